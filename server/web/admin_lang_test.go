package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/branding"
	"tether/server/protocol"
	"tether/server/store"
	"tether/server/webhook"
	"tether/static/locales"
)

// adminProfiles is the store with the profile language of every signed-in user set by the test, as the
// profile page would have saved it (the profile's store methods are the profile part's).
type adminProfiles struct {
	Store
	mu   sync.Mutex
	lang string
}

func (s *adminProfiles) setLanguage(lang string) { s.mu.Lock(); s.lang = lang; s.mu.Unlock() }

func (s *adminProfiles) LoginUser(ctx context.Context, hash string) (store.User, time.Time, error) {
	u, exp, err := s.Store.LoginUser(ctx, hash)
	s.mu.Lock()
	u.Language = s.lang
	s.mu.Unlock()
	return u, exp, err
}

func adminHarness(t *testing.T) (*harness, *adminProfiles) {
	var ps *adminProfiles
	h := newHarnessWith(t, nil, func(d *Deps) { ps = &adminProfiles{Store: d.Store}; d.Store = ps })
	return h, ps
}

// adminRawID is a message id shown instead of its words.
var adminRawID = regexp.MustCompile(`\badmin_[a-z0-9_]+\b`)

func pageSays(t *testing.T, page, body string, wants []string, unwanted []string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", page, w)
		}
	}
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s still says %q", page, w)
		}
	}
	if m := adminRawID.FindString(body); m != "" {
		t.Errorf("%s shows the message id %q", page, m)
	}
}

// TestAdminPagesSpeakTheProfilesLanguage: branding, desks, a desk, team, API, website widget and the
// operator's pages speak German and Chinese for a user whose profile says so, English otherwise.
func TestAdminPagesSpeakTheProfilesLanguage(t *testing.T) {
	h, ps := adminHarness(t)
	op := h.signedUp("Acme", "erin@acme.test")
	p := h.providerBySlug("acme")
	_, desks, _ := op.get("/settings/desks")
	desk := deskIDIn(t, desks, "Support")
	pages := []string{"/settings/branding", "/settings/desks", "/settings/desks/" + desk, "/settings/team", "/settings/api",
		"/settings/widget", "/operator", "/operator/providers/" + p.ID}
	english := map[string][]string{
		"/settings/branding":          {"Save branding", "Display name", "Put our icon on the Windows support program"},
		"/settings/desks":             {"Add desk", "Engineers may ask for"},
		"/settings/desks/" + desk:     {"Permission template", "Save desk", "Ticked by default"},
		"/settings/team":              {"Pending invitations", "Invite someone", "Transfer ownership"},
		"/settings/api":               {"Create token", "API tokens", "Set up webhook"},
		"/settings/widget":            {"Save widget settings", "Embed code"},
		"/operator":                   {"New provider", "Self-service sign-up"},
		"/operator/providers/" + p.ID: {"Save quotas", "Concurrent sessions"},
	}
	for _, tc := range []struct {
		lang  string
		wants map[string][]string
	}{
		{"de", map[string][]string{
			"/settings/branding":          {`<html lang="de"`, "Branding speichern", "Anzeigename", `Erin Engineer von <span data-pv="name">Acme</span> möchte Ihnen helfen`, "Ihr Portal ist unter"},
			"/settings/desks":             {"Desk hinzufügen", "Techniker dürfen anfragen", "Ansehen", "Steuern"},
			"/settings/desks/" + desk:     {"Berechtigungsvorlage", "Desk speichern", "Vorab angekreuzt", "Maus und Tastatur des Kunden verwenden."},
			"/settings/team":              {"Offene Einladungen", "Jemanden einladen", "Inhaberschaft übertragen", "Inhaber", "21.11.2026, "},
			"/settings/api":               {"Token erstellen", "API-Tokens", "Webhook einrichten"},
			"/settings/widget":            {"Widget-Einstellungen speichern", "Einbettungscode"},
			"/operator":                   {"Neuer Anbieter", "Selbstregistrierung", "1 · unbegrenzt", "21.11.2026"},
			"/operator/providers/" + p.ID: {"Kontingente speichern", "Gleichzeitige Sitzungen", "angelegt am 21.11.2026"},
		}},
		{"zh-Hans", map[string][]string{
			"/settings/branding":          {`<html lang="zh-Hans"`, "保存品牌设置", "显示名称", `<span data-pv="name">Acme</span> 的 Erin Engineer 希望为您提供帮助`},
			"/settings/desks":             {"添加服务台", "工程师可请求", "查看"},
			"/settings/desks/" + desk:     {"权限模板", "保存服务台", "默认勾选"},
			"/settings/team":              {"待接受的邀请", "邀请成员", "转让所有权", "所有者", "2026年11月21日 "},
			"/settings/api":               {"创建令牌", "API 令牌", "设置 Webhook"},
			"/settings/widget":            {"保存小组件设置", "嵌入代码"},
			"/operator":                   {"新建服务商", "自助注册", "2026年11月21日"},
			"/operator/providers/" + p.ID: {"保存配额", "并发会话"},
		}},
		{"", english},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ps.setLanguage(tc.lang)
			for _, path := range pages {
				code, body, _ := op.get(path)
				if code != http.StatusOK {
					t.Fatalf("%s: %d", path, code)
				}
				var unwanted []string
				if tc.lang != "" {
					unwanted = english[path]
				}
				pageSays(t, path, body, tc.wants[path], unwanted)
			}
		})
	}
}

// TestAdminRefusalsTranslated: what the store and the upload checks refuse on the admin pages reaches
// the admin in their language, with the names and numbers of the refusal; in English as the store words it.
func TestAdminRefusalsTranslated(t *testing.T) {
	h, ps := adminHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	owner.get("/settings/branding")
	for _, tc := range []struct {
		lang string
		post func() (int, string)
		want string
	}{
		{"de", func() (int, string) {
			code, body, _ := owner.postBranding("/settings/branding", brandingFields(map[string]string{"slug": "-acme"}), nil)
			return code, body
		}, "Nicht gespeichert. Die Subdomain darf nicht mit einem Bindestrich beginnen oder enden."},
		{"zh-Hans", func() (int, string) {
			code, body, _ := owner.postBranding("/settings/branding", brandingFields(map[string]string{"name": strings.Repeat("x", 31)}), nil)
			return code, body
		}, "未保存。显示名称须为 1 至 30 个字符。"},
		{"de", func() (int, string) {
			code, body, _ := owner.postBranding("/settings/branding", brandingFields(nil), map[string][]byte{"logo": []byte("GIF89a not a logo")})
			return code, body
		}, "Das Logo ist kein PNG-, JPEG-, WebP- oder SVG-Bild. Das bisherige Logo bleibt."},
		{"en", func() (int, string) {
			code, body, _ := owner.postBranding("/settings/branding", brandingFields(map[string]string{"name": strings.Repeat("x", 31)}), nil)
			return code, body
		}, "Not saved. The display name must have 1 to 30 characters."},
		{"de", func() (int, string) {
			code, body, _ := owner.post("/settings/desks", url.Values{"name": {"Support"}})
			return code, body
		}, "Es gibt bereits einen Desk namens „Support“."},
		{"zh-Hans", func() (int, string) {
			code, body, _ := owner.post("/settings/widget", url.Values{"origins": {"shop.acme.example"}})
			return code, body
		}, "未保存：“shop.acme.example”缺少协议，请写成 https://shop.acme.example。"},
		{"de", func() (int, string) {
			code, body, _ := owner.post("/settings/team/invites", url.Values{"email": {"not-an-address"}, "role": {"engineer"}})
			return code, body
		}, "Geben Sie eine gültige E-Mail-Adresse ein."},
		{"de", func() (int, string) {
			code, body, _ := owner.post("/settings/api/webhook", url.Values{"url": {"http://crm.example.com/hook"}})
			return code, body
		}, "Nicht gespeichert: Die Adresse des Webhooks muss mit https:// beginnen."},
	} {
		ps.setLanguage(tc.lang)
		code, body := tc.post()
		if code < 400 {
			t.Errorf("%s: %d, want a refusal", tc.want, code)
		}
		pageSays(t, tc.lang+" refusal", body, []string{tc.want}, nil)
	}
	// The default desk cannot be deleted: said in German, with its name.
	ps.setLanguage("de")
	_, desks, _ := owner.get("/settings/desks")
	code, body, _ := owner.post("/settings/desks/"+deskIDIn(t, desks, "Support")+"/delete", nil)
	if code != http.StatusConflict {
		t.Errorf("delete the default desk: %d", code)
	}
	pageSays(t, "desk delete", body, []string{"Support ist der Standard-Desk, in dem Sitzungen ohne gewählten Desk landen; er kann nicht gelöscht werden."}, nil)
}

// TestReasonsTranslated: every refusal the store, server/branding and webhook word for the admin pages
// is known to sayReason, so that no admin reads it in English on a German or Chinese page. A new rule
// in those packages fails here until it has its message.
func TestReasonsTranslated(t *testing.T) {
	var errs []error
	add := func(err error) {
		if err == nil {
			t.Fatal("a refusal the test expects was accepted")
		}
		errs = append(errs, err)
	}
	_, err := store.ValidOrigin("")
	add(err)
	for _, sub := range []string{"a", "-acme", "ac_me", "www"} {
		add(store.ValidSubdomain(sub))
	}
	for _, b := range []store.Brand{
		{PrimaryColor: "red"}, {AccentColor: "#12345"}, {Contact: strings.Repeat("x", store.MaxBrandContact+1)},
		{BannerText: "a\x07b"}, {Welcome: strings.Repeat("w", store.MaxWelcome+1)},
		{BannerText: "x", BannerLink: "https://" + strings.Repeat("a", store.MaxBannerLink)},
		{BannerText: "x", BannerLink: "http://acme.example"}, {BannerLink: "https://acme.example"},
	} {
		add(b.Validate())
	}
	add(store.DeskTemplate{Allowed: protocol.GrantControl, Defaults: protocol.GrantView}.Validate())
	add(store.DeskTemplate{Allowed: protocol.GrantView, Defaults: protocol.GrantView | protocol.GrantFiles}.Validate())
	_, err = store.NormalizeDeskName(strings.Repeat("d", store.MaxDeskName+1))
	add(err)
	_, err = store.NormalizeDeskName("a\x01b")
	add(err)
	for _, o := range []string{strings.Repeat("a", 400), "shop.example", "https://", "https://u:p@shop.example",
		"https://shop.example/path", "https://*.example", "http://shop.example", "ftp://shop.example", "https://shop.example:99999"} {
		_, err := store.ValidOrigin(o)
		add(err)
	}
	many := ""
	for i := 0; i <= store.MaxWidgetOrigins; i++ {
		many += "https://s" + strings.Repeat("x", i+1) + ".example\n"
	}
	_, err = store.ParseWidgetOrigins(many)
	add(err)
	owner := store.User{ID: "o", Role: store.RoleOwner}
	admin := store.User{ID: "a", Role: store.RoleAdmin}
	engineer := store.User{ID: "e", Role: store.RoleEngineer}
	add(store.CanManage(owner, owner))
	add(store.CanManage(engineer, admin))
	add(store.CanManage(admin, store.User{ID: "a2", Role: store.RoleAdmin}))
	add(store.CanGrant(admin, store.RoleAdmin))
	add(store.CanGrant(owner, store.RoleOwner))
	for _, logo := range [][]byte{nil, []byte("GIF89a"), []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
		[]byte("<svg xmlns=\"http://www.w3.org/2000/svg\"><a"), []byte("<!DOCTYPE svg><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
		[]byte("<html/>"), bytes.Repeat([]byte{0x89}, branding.MaxLogoBytes+1)} {
		_, err := branding.CheckLogo(bytes.NewReader(logo))
		add(err)
	}
	for _, icon := range [][]byte{[]byte("not an icon"), {0, 0, 1, 0, 0, 0}} {
		_, err := branding.CheckIcon(bytes.NewReader(icon))
		add(err)
	}
	for _, u := range []string{"", "crm.example.com", "http://crm.example.com", "https://u:p@crm.example.com/h", "https://crm.example.com/h#x", "https://127.0.0.1/h"} {
		_, err := webhook.ValidURL(u, false)
		add(err)
	}
	add(&store.QuotaError{What: "desks", Limit: 3})
	for _, lang := range []string{"de", "zh-Hans"} {
		loc, err := locales.For(lang)
		if err != nil {
			t.Fatal(err)
		}
		en, _ := locales.For("en")
		for _, e := range errs {
			var said, english string
			if _, isWebhook := webhookError(e); isWebhook {
				said, english = sayWebhookReason(loc, e), sayWebhookReason(en, e)
			} else {
				said, english = sayReason(loc, e), sayReason(en, e)
			}
			if said == english || strings.Contains(said, "admin_") || strings.Contains(said, "<no value>") {
				t.Errorf("%s: %q is said as %q", lang, e, said)
			}
		}
	}
}

// webhookError tells webhook.ValidURL's refusals (plain errors) from the store's and branding's.
func webhookError(err error) (error, bool) {
	var qe *store.QuotaError
	if errors.As(err, &qe) || errors.Is(err, store.ErrInvalidArgument) || errors.Is(err, store.ErrNotAllowed) {
		return nil, false
	}
	if _, ok := branding.Refused(err); ok {
		return nil, false
	}
	return err, true
}

// TestJoinPageSpeaksTheVisitorsLanguage: the invitation to join a team, opened on the provider's address,
// speaks the language the visitor chose (?lang=), and says its refusals in it.
func TestJoinPageSpeaksTheVisitorsLanguage(t *testing.T) {
	h := newHarness(t)
	owner := h.signedUp("Acme", "erin@acme.test")
	owner.get("/settings/team")
	_, body, _ := owner.post("/settings/team/invites", url.Values{"email": {"eve@acme.test"}, "role": {"admin"}})
	join := pathOf(t, handedLink(t, body))
	eve := h.browser()
	code, body, _ := eve.get(join + "?lang=de")
	if code != http.StatusOK {
		t.Fatalf("join page: %d", code)
	}
	pageSays(t, "join page", body, []string{`<html lang="de"`, "<title>Acme beitreten · Acme</title>",
		"Erin Engineer hat Sie als Administrator zum Fernsupport von Acme eingeladen.", "Konto erstellen und anmelden", "Passwort wiederholen"},
		[]string{"Create account and sign in"})
	code, body, _ = eve.post(join, url.Values{"name": {"Eve"}, "password": {"correct horse battery"}, "password2": {"correct horse staple"}})
	if code != http.StatusBadRequest {
		t.Fatalf("different passwords: %d", code)
	}
	pageSays(t, "join refusal", body, []string{"Die beiden Passwörter stimmen nicht überein."}, nil)
	_, body, _ = eve.get(join + "?lang=zh-Hans")
	pageSays(t, "join page", body, []string{"Erin Engineer 邀请您以管理员身份加入 Acme 的远程支持。", "创建账户并登录"}, nil)
	// A link that cannot be used says so in the visitor's language.
	code, body, _ = h.browser().get("/p/acme/join/" + strings.Repeat("a", 32) + "?lang=de")
	if code != http.StatusNotFound {
		t.Fatalf("unknown link: %d", code)
	}
	pageSays(t, "gone link", body, []string{"Nicht gefunden", "Dieser Link kann nicht verwendet werden."}, nil)
}

// TestTeamMailsSpeakTheAdminsLanguage: the invitation and the password link are mailed in the language
// of the admin who sends them (the invitee's is not known yet), with the link and its expiry.
func TestTeamMailsSpeakTheAdminsLanguage(t *testing.T) {
	fm := &fakeMail{}
	var ps *adminProfiles
	h := newHarnessWith(t, nil, func(d *Deps) { d.Mail = fm; ps = &adminProfiles{Store: d.Store}; d.Store = ps })
	owner := h.signedUp("Acme", "erin@acme.test")
	ps.setLanguage("de")
	owner.get("/settings/team")
	code, body, _ := owner.post("/settings/team/invites", url.Values{"email": {"eve@acme.test"}, "name": {"Eve"}, "role": {"engineer"}})
	if code != http.StatusOK {
		t.Fatalf("invite: %d", code)
	}
	pageSays(t, "team page", body, []string{"Einladung an eve@acme.test gesendet."}, nil)
	m := fm.last(t)
	for _, want := range []string{"Guten Tag Eve,", "Erin Engineer hat Sie eingeladen, Acme auf Tether als Techniker beizutreten.", "/p/acme/join/",
		"Der Link funktioniert einmal, bis 28.11.2026, "} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("invitation mail lacks %q:\n%s", want, m.Text)
		}
	}
	if m.Subject != "Erin Engineer hat Sie zum Fernsupport von Acme eingeladen" {
		t.Errorf("subject %q", m.Subject)
	}
	ps.setLanguage("zh-Hans")
	if code, _, _ := owner.post("/settings/team/invites", url.Values{"email": {"zoe@acme.test"}, "role": {"admin"}}); code != http.StatusOK {
		t.Fatalf("invite: %d", code)
	}
	if m := fm.last(t); !strings.Contains(m.Text, "您好：") || !strings.Contains(m.Text, "Erin Engineer 邀请您以管理员身份加入 Tether 上的 Acme。") || adminRawID.MatchString(m.Text) {
		t.Errorf("Chinese invitation mail:\n%s", m.Text)
	}
}
