package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
)

// consoleProfiled is the store with every signed-in user's profile replaced by one the test sets, as the
// profile page would have saved it.
type consoleProfiled struct {
	Store
	mu sync.Mutex
	p  store.Profile
}

func (s *consoleProfiled) set(p store.Profile) { s.mu.Lock(); s.p = p; s.mu.Unlock() }

func (s *consoleProfiled) LoginUser(ctx context.Context, hash string) (store.User, time.Time, error) {
	u, exp, err := s.Store.LoginUser(ctx, hash)
	s.mu.Lock()
	u.Profile = s.p
	s.mu.Unlock()
	return u, exp, err
}

func consoleProfiledHarness(t *testing.T) (*harness, *consoleProfiled) {
	var ps *consoleProfiled
	h := newHarnessWith(t, nil, func(d *Deps) { ps = &consoleProfiled{Store: d.Store}; d.Store = ps })
	return h, ps
}

// consoleRawID is a message id shown instead of its words.
var consoleRawID = regexp.MustCompile(`\b(console|admin|customer)_[a-z0-9_]+\b`)

func consoleMustSay(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	for _, m := range consoleRawID.FindAllString(body, -1) {
		if !locales.Known(m) {
			continue // a word of another vocabulary ("customer_joined", a notification kind)
		}
		t.Errorf("the page shows the message id %q", m)
	}
}

func consoleMustNotSay(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("the page still says %q", w)
		}
	}
}

// TestConsoleSpeaksTheProfilesLanguage: the console, a session's page and the settings speak the
// language the engineer's profile names, and show times in the profile's zone and clock.
func TestConsoleSpeaksTheProfilesLanguage(t *testing.T) {
	h, ps := consoleProfiledHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	id, _ := h.newSession(b, "Maria Lopez")
	// The harness's clock: 2026-11-21 09:00 UTC.
	english := []string{"New support session", "Waiting for the customer", "Audit log", "Save settings", "Sign out", "Invitation created"}
	for _, tc := range []struct {
		lang, zone string
		clock12h   bool
		console    []string
		session    []string
		settings   []string
		bad        string
	}{
		{"de", "Europe/Berlin", false,
			[]string{`<html lang="de"`, "Sitzungen", "Abmelden", "Neue Support-Sitzung", "Name des Kunden", "Einladung erstellen",
				"Warten auf den Kunden", ">Wartet<", "21.11.2026, 10:00", "Noch keine beendeten Sitzungen."},
			[]string{"Alle Sitzungen", "Kunden einladen", "Link kopieren", "Die Einladung läuft am 22.11.2026, 10:00 CET ab.",
				"Protokoll", "Einladung erstellt", "21.11.2026, 10:00:00", "Sitzung beenden", "Zusammenfassung für den Bericht"},
			[]string{"Einstellungen", "Maximale Sitzungsdauer", "Minuten", "Einstellungen speichern"},
			"Nicht gespeichert: Die maximale Sitzungsdauer muss zwischen 5 Minuten und 24 Stunden liegen."},
		{"zh-Hans", "Asia/Shanghai", true,
			[]string{`<html lang="zh-Hans"`, "会话", "退出登录", "新建支持会话", "客户姓名", "创建邀请", "等待客户", ">等待中<",
				"2026年11月21日 5:00 PM"},
			[]string{"全部会话", "邀请客户", "复制链接", "邀请将于 2026年11月22日 5:00 PM CST 过期。", "审计日志", "已创建邀请",
				"2026年11月21日 5:00:00 PM", "结束会话"},
			[]string{"设置", "会话最长时长", "分钟", "保存设置"},
			"未保存：会话最长时长必须在 5 分钟到 24 小时之间。"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ps.set(store.Profile{Language: tc.lang, TimeZone: tc.zone, Clock12h: tc.clock12h})
			_, body, _ := b.get("/console")
			consoleMustSay(t, body, tc.console...)
			consoleMustNotSay(t, body, english...)
			if strings.Contains(body, `id="lang-switch"`) {
				t.Error("the shell offers a language switch to a user whose profile names a language")
			}
			_, body, _ = b.get("/console/sessions")
			consoleMustSay(t, body, tc.console[6:9]...)
			_, body, _ = b.get("/sessions/" + id)
			consoleMustSay(t, body, tc.session...)
			consoleMustNotSay(t, body, english...)
			_, body, _ = b.get("/settings")
			consoleMustSay(t, body, tc.settings...)
			consoleMustNotSay(t, body, english...)
			code, body, _ := b.post("/settings", url.Values{"session_max_minutes": {"2"}, "idle_timeout_minutes": {"15"},
				"recording_retention_days": {"30"}, "file_max_mb": {"100"}, "request_timeout_minutes": {"10"}})
			if code != http.StatusBadRequest {
				t.Fatalf("bad settings: %d", code)
			}
			consoleMustSay(t, body, tc.bad)
		})
	}
}

// TestErrorPageSpeaksTheProfilesLanguage: the central error handler's generic answers are in the signed-in
// engineer's language, on a page in that language.
func TestErrorPageSpeaksTheProfilesLanguage(t *testing.T) {
	h, ps := consoleProfiledHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	ps.set(store.Profile{Language: "de"})
	code, body, _ := b.get("/sessions/" + store.NewID())
	if code != http.StatusNotFound {
		t.Fatalf("an unknown session: %d", code)
	}
	consoleMustSay(t, body, `<html lang="de"`, "Nicht gefunden", "Der Link ist möglicherweise falsch")
	ps.set(store.Profile{Language: "zh-Hans"})
	_, body, _ = b.get("/sessions/" + store.NewID())
	consoleMustSay(t, body, `<html lang="zh-Hans"`, "未找到")
	// Someone signed out reads it in their browser's language, English here.
	_, body, _ = h.browser().get("/i/nonsense")
	consoleMustNotSay(t, body, "Nicht gefunden", "未找到")
}

// TestConsoleLanguageSwitch: a user whose profile names no language gets the shell's switch; ?lang= picks
// the language for the browser, and it stays picked.
func TestConsoleLanguageSwitch(t *testing.T) {
	h, ps := consoleProfiledHarness(t)
	b := h.signedUp("Acme", "erin@acme.test")
	ps.set(store.Profile{})
	_, body, _ := b.get("/console")
	consoleMustSay(t, body, `id="lang-switch"`, `<option value="de" lang="de">Deutsch</option>`, "New support session")
	_, body, _ = b.get("/console?lang=zh-Hans")
	consoleMustSay(t, body, `<html lang="zh-Hans"`, "新建支持会话", `<option value="zh-Hans" lang="zh-Hans" selected>简体中文</option>`)
	_, body, _ = b.get("/settings")
	consoleMustSay(t, body, "保存设置")
	// The profile's language wins over the browser's choice.
	ps.set(store.Profile{Language: "de"})
	_, body, _ = b.get("/console")
	consoleMustSay(t, body, "Neue Support-Sitzung")
}

// TestConsoleWordsCovered: every end reason, grant and event kind the console words has its message in
// English (and so, by TestCatalogsComplete, in every language).
func TestConsoleWordsCovered(t *testing.T) {
	en := locales.Localizer{}
	for kind, k := range eventKinds {
		if got := en.T(k.Label); got == k.Label {
			t.Errorf("event kind %s: no message %s", kind, k.Label)
		}
	}
	for _, reason := range []string{protocol.EndCustomerClosed, protocol.EndCustomerStopped, protocol.EndCustomerDenied,
		protocol.EndCannotCapture, protocol.EndAgentLost, protocol.EndExpired, protocol.EndInterrupted, protocol.EndProviderDisabled,
		protocol.EndTimeLimit, protocol.EndIdle, protocol.EndNobodyFree, protocol.EndEngineerDeactivated} {
		if got := endReason(en.T, reason); got != reason {
			t.Errorf("end reason %q reads %q in English", reason, got)
		}
	}
	if got := endReason(en.T, "ended by Erin"); got != "ended by Erin" {
		t.Errorf("ended by: %q", got)
	}
	de, _ := locales.For("de")
	if got := endReason(de.T, "ended by Erin"); got != "beendet von Erin" {
		t.Errorf("ended by, in German: %q", got)
	}
	for _, g := range []string{"view", "control", "limited", "clipboard", "files"} {
		if id := "console_grant_" + g; en.T(id) == id {
			t.Errorf("grant %s: no message", g)
		}
	}
}
