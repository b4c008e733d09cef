//go:build linux

package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// adminLayoutJS finds what a person would see as broken on a page: a message id shown instead of words,
// a page wider than the window, and a button, label, pill or table cell whose text is cut off or runs out
// of its box (German's long words). Tables inside a scrolling wrapper may be wider than the window.
const adminLayoutJS = `(() => {
  const out = [];
  const ids = document.body.innerText.match(/\b(admin|console|customer)_[a-z0-9_]+\b/g);
  if (ids) out.push("raw ids: " + ids.join(", "));
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    out.push("page is " + document.documentElement.scrollWidth + " px wide in a " + window.innerWidth + " px window");
  }
  const visible = (el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden";
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return true; } return false; };
  document.querySelectorAll("main button, main .button, main summary.button, main label, main .pill, main th, main td, main h1, main h2").forEach((el) => {
    if (!visible(el) || el.closest(".sr-only")) return;
    const text = (el.innerText || "").trim().split("\n")[0].slice(0, 40);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible") {
      out.push("cut off: " + el.tagName + " " + JSON.stringify(text));
    }
    const r = el.getBoundingClientRect();
    if (!scrolls(el) && (r.right > window.innerWidth + 1 || r.left < -1)) {
      out.push("outside the window: " + el.tagName + " " + JSON.stringify(text) + " at " + Math.round(r.left) + ".." + Math.round(r.right));
    }
    const box = el.closest("td, th, .panel, form, section");
    if (box && box !== el && !scrolls(el) && r.right > box.getBoundingClientRect().right + 1) {
      out.push("runs out of its box: " + el.tagName + " " + JSON.stringify(text));
    }
  });
  // Cells of one table row (a card on a phone) must not lie over each other: a longer word in a button
  // placed in a corner would cover the text beside it.
  document.querySelectorAll("main tr").forEach((tr) => {
    const cells = Array.from(tr.children).filter(visible).map((el) => [el, el.getBoundingClientRect()]);
    for (let i = 0; i < cells.length; i++) for (let j = i + 1; j < cells.length; j++) {
      const [a, ra] = cells[i], [b, rb] = cells[j];
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left), h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 2 && h > 2) out.push("overlap: " + JSON.stringify((a.innerText || "").trim().slice(0, 30)) + " and " + JSON.stringify((b.innerText || "").trim().slice(0, 30)));
    }
  });
  return out.join("\n");
})()`

// TestAdminPagesInGerman: an owner who chose German goes through the admin pages (branding, desks, a
// desk, team, API, website widget, the operator's pages) in a real browser, at 1280 px and at a phone's
// 390 px: every page speaks German, shows no message id, and no German word overflows a button, a label
// or a table. A refused branding form says why in German. Screenshots go to $TETHER_E2E_SHOTS
// (/tmp/shots10/admin for the record).
func TestAdminPagesInGerman(t *testing.T) {
	requireTools(t)
	w := &world{a: build(t)}
	w.srv = startServer(t, w.a)
	w.engineer = newBrowser(t)
	w.setupAccount(t)
	owner := w.engineer
	do(t, owner, 20*time.Second, "choose German", chromedp.Navigate(w.srv.url+"/settings/desks?lang=de"), chromedp.WaitVisible(chromedp.CSS(`#desk-table`)))
	deskURL := eval[string](t, owner, `document.querySelector("#desk-table tbody a").href`)
	do(t, owner, 20*time.Second, "open the operator page", chromedp.Navigate(w.srv.url+"/operator"), chromedp.WaitVisible(chromedp.CSS(`.providers`)))
	providerURL := eval[string](t, owner, `document.querySelector(".providers a.provider-name").href`)

	pages := []struct {
		name, url, ready string
		says             []string
	}{
		{"branding", w.srv.url + "/settings/branding", "#branding-form", []string{"Branding speichern", "Anzeigename", "Vorschau: die Einladungsseite, die Ihre Kunden sehen"}},
		{"desks", w.srv.url + "/settings/desks", "#desk-table", []string{"Desk hinzufügen", "Techniker dürfen anfragen"}},
		{"desk", deskURL, "#grant-table", []string{"Berechtigungsvorlage", "Vorab angekreuzt", "Desk speichern"}},
		{"team", w.srv.url + "/settings/team", "#invite-form", []string{"Jemanden einladen", "Letzte Anmeldung", "Einladungslink erstellen"}},
		{"api", w.srv.url + "/settings/api", "#api-tokens", []string{"Token erstellen", "Webhook einrichten"}},
		{"widget", w.srv.url + "/settings/widget", "#widget-origins", []string{"Widget-Einstellungen speichern", "Einbettungscode"}},
		{"operator", w.srv.url + "/operator", ".providers", []string{"Neuer Anbieter", "Selbstregistrierung"}},
		{"operator-provider", providerURL, "#quotas", []string{"Kontingente speichern", "Gleichzeitige Sitzungen"}},
	}
	for _, width := range []int64{1280, 390} {
		if width == 390 {
			do(t, owner, 10*time.Second, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		} else {
			do(t, owner, 10*time.Second, "desktop viewport", chromedp.EmulateViewport(1280, 900))
		}
		for _, p := range pages {
			do(t, owner, 20*time.Second, "open "+p.name, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.CSS(p.ready)))
			if lang := eval[string](t, owner, `document.documentElement.lang`); lang != "de" {
				t.Errorf("%s at %d px: <html lang=%q>", p.name, width, lang)
			}
			text := eval[string](t, owner, `document.querySelector("main").textContent`)
			for _, s := range p.says {
				if !strings.Contains(text, s) {
					t.Errorf("%s at %d px lacks %q", p.name, width, s)
				}
			}
			if bad := eval[string](t, owner, adminLayoutJS); bad != "" {
				t.Errorf("%s at %d px:\n%s", p.name, width, bad)
			}
			fullShot(t, owner, "admin-de-"+p.name+"-"+strconv.FormatInt(width, 10))
		}
	}

	// The same pages in Chinese: CJK text, no ids, nothing out of its box.
	do(t, owner, 10*time.Second, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	do(t, owner, 20*time.Second, "choose Chinese", chromedp.Navigate(w.srv.url+"/settings/branding?lang=zh-Hans"), chromedp.WaitVisible(chromedp.CSS(`#branding-form`)))
	for _, p := range []struct{ name, url, ready, says string }{
		{"branding", w.srv.url + "/settings/branding", "#branding-form", "保存品牌设置"},
		{"desk", deskURL, "#grant-table", "权限模板"},
		{"team", w.srv.url + "/settings/team", "#invite-form", "邀请成员"},
		{"operator", w.srv.url + "/operator", ".providers", "新建服务商"},
	} {
		do(t, owner, 20*time.Second, "open "+p.name, chromedp.Navigate(p.url), chromedp.WaitVisible(chromedp.CSS(p.ready)))
		if text := eval[string](t, owner, `document.querySelector("main").textContent`); !strings.Contains(text, p.says) {
			t.Errorf("%s in Chinese lacks %q", p.name, p.says)
		}
		if bad := eval[string](t, owner, adminLayoutJS); bad != "" {
			t.Errorf("%s in Chinese:\n%s", p.name, bad)
		}
		fullShot(t, owner, "admin-zh-"+p.name+"-1280")
	}
	do(t, owner, 20*time.Second, "back to German", chromedp.Navigate(w.srv.url+"/settings/branding?lang=de"), chromedp.WaitVisible(chromedp.CSS(`#branding-form`)))

	// A refusal in German, with the fields as typed.
	do(t, owner, 20*time.Second, "open branding", chromedp.Navigate(w.srv.url+"/settings/branding"), chromedp.WaitVisible(chromedp.CSS(`#branding-form`)))
	// The browser's own pattern check would stop the form first; the server's refusal is what is tested.
	eval[bool](t, owner, `(() => { const s = document.getElementById("b-slug"); s.removeAttribute("pattern"); s.value = "-acme"; return true; })()`)
	do(t, owner, 20*time.Second, "refused branding", chromedp.Click(chromedp.CSS(`#b-save`)), chromedp.WaitVisible(chromedp.CSS(`#branding-error`)))
	if got := eval[string](t, owner, `document.getElementById("branding-error").textContent`); got != "Nicht gespeichert. Die Subdomain darf nicht mit einem Bindestrich beginnen oder enden." {
		t.Errorf("branding refusal %q", got)
	}
	fullShot(t, owner, "admin-de-branding-refused")
	// The page's script speaks German too: a colour typed wrong is flagged in German.
	msg := eval[string](t, owner, `(() => { const c = document.getElementById("b-primary_color"); c.value = "blue"; c.dispatchEvent(new Event("input")); return c.validationMessage; })()`)
	if !strings.HasPrefix(msg, "Geben Sie die Farbe als #rrggbb an") {
		t.Errorf("colour check in the page says %q", msg)
	}
}
