package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// consoleShots is where TestConsoleInChinese keeps its screenshots, to be looked at.

// consoleRawMessageID is a catalog id shown instead of its words.
var consoleRawMessageID = regexp.MustCompile(`\b(console|admin|customer)_[a-z0-9_]+\b`)

// consoleOverflowing lists the buttons, links and table cells of the page whose text does not fit.
const consoleOverflowing = `[...document.querySelectorAll('button, a.button, nav a, .me a, .pill, th, td, label, h1, h2')]
	.filter(e => e.offsetParent !== null && e.clientWidth > 2 && e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'auto')
	.map(e => e.tagName + ' ' + e.textContent.trim().slice(0, 40))`

// consoleTooWide lists the innermost elements reaching past the window's right edge.
// A phone's browser widens its layout to fit what overflows, so the width to check against is the
// phone's, given as the argument. What scrolls in a box of its own (the audit log's table) may be wider.
const consoleTooWide = `(w => {
	return [...document.querySelectorAll('body *')]
	.filter(e => e.getBoundingClientRect().right > w + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
	.filter(e => { for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX === 'auto') return false; return true })
	.slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)) })`

// consolePageSays checks the visible text of the page: every wanted phrase, no English phrase of the console,
// no raw message id, nothing consoleOverflowing its box, and on a phone (width > 0) nothing wider than the screen.
func consolePageSays(t testing.TB, ctx context.Context, where string, width int64, want []string) {
	t.Helper()
	// textContent: on a phone the menu folds its words away, and they must be translated all the same.
	text := eval[string](t, ctx, `document.body.textContent`)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: the page lacks %q", where, w)
		}
	}
	for _, en := range []string{"New support session", "Sign out", "Waiting for the customer", "Invite the customer", "Audit log", "End session", "Open viewer"} {
		if strings.Contains(text, en) {
			t.Errorf("%s: the page still says %q", where, en)
		}
	}
	if m := consoleRawMessageID.FindString(text); m != "" {
		t.Errorf("%s: the page shows the message id %q", where, m)
	}
	if over := eval[[]any](t, ctx, consoleOverflowing); len(over) > 0 {
		t.Errorf("%s: text overflows its box: %v", where, over)
	}
	if width == 0 {
		return
	}
	if wide := eval[[]any](t, ctx, consoleTooWide+"("+strconv.FormatInt(width, 10)+")"); len(wide) > 0 {
		t.Errorf("%s: wider than the window: %v", where, wide)
	}
}

// TestConsoleInChinese: an engineer whose profile names no language picks Chinese in the console's
// language switch; the console, a session's page and, after signing out and in again, the sign-in page
// and the console speak Chinese, with times in Chinese form. German is checked for overflow too.
func TestConsoleInChinese(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	fullShot(t, w.engineer, "console-en")
	// The switch takes effect as soon as a language is picked (lang.js).
	// chromedp's SetValue fires the select's change event, as a person's pick does.
	do(t, w.engineer, 20*time.Second, "pick Chinese",
		chromedp.SetValue(chromedp.CSS(`#lang-switch select`), "zh-Hans"),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"] #session-list`)),
	)
	consolePageSays(t, w.engineer, "console", 0, []string{"会话", "退出登录", "新建支持会话", "客户姓名", "创建邀请", "等待客户", "还没有已结束的会话。"})
	do(t, w.engineer, 20*time.Second, "new session",
		chromedp.SendKeys(chromedp.CSS(`input[name=customer]`), "王芳"),
		chromedp.Click(chromedp.CSS(`input[name=open_viewer]`)),
		chromedp.Click(chromedp.CSS(`.new-session button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit`)),
	)
	consolePageSays(t, w.engineer, "session page", 0, []string{"全部会话", "邀请客户", "复制链接", "复制代码", "审计日志", "已创建邀请", "结束会话", "报告总结"})
	year := time.Now().Format("2006年")
	if text := eval[string](t, w.engineer, `document.querySelector('.audit-time').innerText`); !strings.HasPrefix(text, year) {
		t.Errorf("the audit log's time reads %q, not in Chinese form", text)
	}
	fullShot(t, w.engineer, "session-zh-Hans")
	// The viewer: the page's words, the scripts' (msgs.js) and the viewer's own status (wasm).
	do(t, w.engineer, 20*time.Second, "open the viewer",
		chromedp.Click(chromedp.CSS(`.actions a[href$="/view"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#v-keys-btn`)),
	)
	waitJS(t, w.engineer, 15*time.Second, "the viewer's status in Chinese", `document.getElementById("v-state").textContent === "正在等待客户…"`)
	consolePageSays(t, w.engineer, "viewer", 0, []string{"正在等待 王芳", "发送按键", "全屏", "剪贴板", "截图"})
	fullShot(t, w.engineer, "viewer-zh-Hans")
	do(t, w.engineer, 20*time.Second, "back to the console",
		chromedp.Navigate(w.srv.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS(`.group-waiting .row`)),
	)
	consolePageSays(t, w.engineer, "console with a session", 0, []string{"王芳", "等待中", "打开查看器", year})
	fullShot(t, w.engineer, "console-zh-Hans")
	// Signing out keeps the browser's choice: the sign-in page speaks Chinese, and so does the console after.
	do(t, w.engineer, 20*time.Second, "sign out and in",
		chromedp.Click(chromedp.CSS(`.me form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
	)
	consolePageSays(t, w.engineer, "sign-in page", 0, []string{"工程师登录", "电子邮箱", "密码", "登录"})
	fullShot(t, w.engineer, "signin-zh-Hans")
	do(t, w.engineer, 20*time.Second, "sign in",
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "erin@acme.test"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-Hans"] #session-list`)),
	)
	// German's long words: the console, the session page and the settings at 1280 and at 390 wide.
	sessionURL := w.srv.url + eval[string](t, w.engineer, `document.querySelector('.group-waiting .row a').getAttribute('href')`)
	for _, width := range []int64{1280, 390} {
		do(t, w.engineer, 20*time.Second, "viewport",
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: width, Height: 844, DeviceScaleFactor: 1, Mobile: width < 500})
				return err
			}),
		)
		for _, p := range []struct{ name, url, ready string }{
			{"console", w.srv.url + "/console?lang=de", `#session-list`},
			{"session", sessionURL + "?lang=de", `#audit`},
			{"settings", w.srv.url + "/settings?lang=de", `form.form`},
		} {
			do(t, w.engineer, 20*time.Second, "German "+p.name, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] `+p.ready)))
			consolePageSays(t, w.engineer, "German "+p.name, map[bool]int64{true: width, false: 0}[width < 500], []string{"Abmelden"})
			fullShot(t, w.engineer, p.name+"-de-"+map[bool]string{true: "390", false: "1280"}[width < 500])
		}
	}
}
