package web

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"tether/server/auth"
	"tether/server/branding"
	"tether/server/protocol"
	"tether/server/store"
	"tether/static/locales"
	"tether/templates"
)

// The store and server/branding word their refusals in English, for logs, the API and English pages.
// The admin pages (branding, desks, team, widget) show them in the reader's language: sayReason maps each
// known wording to a message of the admin catalog, taking its numbers and names along. English pages keep
// the store's words exactly; a wording not known here (a rule added later) is shown in English, and
// TestReasonsTranslated fails for every refusal of these pages it cannot map.

// reasonRule is one known wording: the regular expression matches the whole reason, its groups fill keys.
type reasonRule struct {
	re   *regexp.Regexp
	id   string
	keys []string
}

func reasonOf(pattern, id string, keys ...string) reasonRule {
	return reasonRule{re: regexp.MustCompile("^" + pattern + "$"), id: id, keys: keys}
}

// storeReasons are the store's refusals that reach the admin pages, after their sentinel ("store: invalid
// argument: ").
var storeReasons = []reasonRule{
	reasonOf(`the display name must have 1 to (\d+) characters`, "admin_reason_display_name_length", "Max"),
	reasonOf(`the display name has control characters`, "admin_reason_display_name_control"),
	reasonOf(`the (primary colour|accent colour) must be a colour written #rrggbb, like (#[0-9a-f]{6})`, "admin_reason_colour", "Field", "Example"),
	reasonOf(`the (contact line|banner text|welcome message) has (\d+) characters; at most (\d+) are allowed`, "admin_reason_text_length", "Field", "N", "Max"),
	reasonOf(`the (contact line|banner text|welcome message) has control characters`, "admin_reason_text_control", "Field"),
	reasonOf(`the banner link is longer than (\d+) characters`, "admin_reason_banner_link_length", "Max"),
	reasonOf(`the banner link must be a web address starting with https://`, "admin_reason_banner_link_https"),
	reasonOf(`a banner link needs a banner text to show`, "admin_reason_banner_link_text"),
	reasonOf(`the subdomain "(.*)" is taken by another provider; choose another`, "admin_reason_subdomain_taken", "Subdomain"),
	reasonOf(`the subdomain must have (\d+) to (\d+) characters`, "admin_reason_subdomain_length", "Min", "Max"),
	reasonOf(`the subdomain cannot start or end with a hyphen`, "admin_reason_subdomain_hyphen"),
	reasonOf(`the subdomain may only have Latin letters, digits and hyphens`, "admin_reason_subdomain_letters"),
	reasonOf(`"(.*)" is reserved; choose another subdomain`, "admin_reason_subdomain_reserved", "Subdomain"),
	reasonOf(`unknown permissions`, "admin_reason_unknown_permissions"),
	reasonOf(`seeing the screen is part of every support session`, "admin_reason_view_required"),
	reasonOf(`a permission offered by default must be allowed \((.*)\)`, "admin_reason_default_allowed", "Grants"),
	reasonOf(`a desk name has 1 to (\d+) characters`, "admin_reason_desk_name_length", "Max"),
	reasonOf(`a desk name cannot contain control characters`, "admin_reason_desk_name_control"),
	reasonOf(`another desk is already called "(.*)"`, "admin_reason_desk_name_taken", "Name"),
	reasonOf(`(.*) is the default desk, where sessions go when no desk is chosen; it cannot be deleted`, "admin_reason_desk_default", "Name"),
	reasonOf(`(.*) has (\d+) (?:session or request|sessions or requests) not yet ended; end them first`, "admin_reason_desk_in_use", "Name", "N"),
	reasonOf(`an address is empty`, "admin_reason_origin_empty"),
	reasonOf(`an address is too long`, "admin_reason_origin_long"),
	reasonOf(`"(.*)" has no scheme: write it as https://.*`, "admin_reason_origin_scheme", "Address"),
	reasonOf(`"(.*)" is not a website address`, "admin_reason_origin_invalid", "Address"),
	reasonOf(`"(.*)" has a user name or password; list only scheme://host\[:port\]`, "admin_reason_origin_user", "Address"),
	reasonOf(`"(.*)" has a path; list only the origin, such as (.*)`, "admin_reason_origin_path", "Address", "Origin"),
	reasonOf(`"(.*)" has a wildcard; list each website address on its own line`, "admin_reason_origin_wildcard", "Address"),
	reasonOf(`"(.*)" does not name a valid host`, "admin_reason_origin_host", "Address"),
	reasonOf(`"(.*)" uses http: a website must use https \(http is only for localhost\)`, "admin_reason_origin_http", "Address"),
	reasonOf(`"(.*)" must start with https://`, "admin_reason_origin_https", "Address"),
	reasonOf(`"(.*)" has an invalid port`, "admin_reason_origin_port", "Address"),
	reasonOf(`at most (\d+) website addresses may embed the widget`, "admin_reason_origin_many", "Max"),
	reasonOf(`role "(.*)" cannot be given`, "admin_reason_role", "Role"),
	reasonOf(`you cannot change your own account here`, "admin_reason_not_yourself"),
	reasonOf(`only the owner and admins manage the team`, "admin_reason_only_admins"),
	reasonOf(`only the owner can change an admin's account`, "admin_reason_only_owner_admins"),
	reasonOf(`only the owner can make admins`, "admin_reason_only_owner_make_admins"),
	reasonOf(`only the owner can transfer ownership`, "admin_reason_only_owner_transfer"),
	reasonOf(`you are the owner already`, "admin_reason_owner_already"),
}

// brandingReasons are server/branding's refusals of an uploaded logo or icon.
var brandingReasons = []reasonRule{
	reasonOf(`The (logo|icon) is larger than (.*)\. Upload a smaller file\.`, "admin_reason_file_large", "What", "Size"),
	reasonOf(`The (logo|icon) file is empty\.`, "admin_reason_file_empty", "What"),
	reasonOf(`The logo is not a PNG, JPEG, WebP or SVG image\.`, "admin_reason_logo_format"),
	reasonOf(`The logo has no pixels\.`, "admin_reason_logo_empty"),
	reasonOf(`The logo is (\d+)×(\d+) pixels; the limit is (\d+) megapixels \(for example 4096×4096\)\. Upload a smaller picture\.`, "admin_reason_logo_pixels", "W", "H", "Max"),
	reasonOf(`The logo's (.*) data is damaged and cannot be read\.`, "admin_reason_logo_damaged", "Format"),
	reasonOf(`The icon is not a Windows icon \(\.ico\) file\. Convert it to \.ico, with sizes up to (\d+)×\d+\.`, "admin_reason_icon_format", "Side"),
	reasonOf(`The icon file holds no images\.`, "admin_reason_icon_empty"),
	reasonOf(`The icon file holds (\d+) images; the limit is (\d+)\.`, "admin_reason_icon_count", "N", "Max"),
	reasonOf(`The icon file is (?:cut short|damaged).*`, "admin_reason_icon_damaged"),
	reasonOf(`Image (\d+) of the icon (?:is|has a size of) (\d+)×(\d+) pixels; .* (\d+)(?: pixels a side|×\d+)\.`, "admin_reason_icon_image_size", "N", "W", "H", "Max"),
	reasonOf(`The SVG logo is not well-formed XML.*`, "admin_reason_svg_xml"),
	reasonOf(`The SVG logo has a DOCTYPE or entity declaration, which is not allowed\. Export it again as plain SVG\.`, "admin_reason_svg_doctype"),
	reasonOf(`The SVG logo has a processing instruction \(.*\), which is not allowed\.`, "admin_reason_svg_pi"),
	reasonOf(`The SVG logo has text outside its <svg> element\.`, "admin_reason_svg_text"),
	reasonOf(`The SVG logo has more than (\d+) elements\. Simplify it or upload a PNG\.`, "admin_reason_svg_elements", "Max"),
	reasonOf(`The SVG logo nests elements more than (\d+) deep\.`, "admin_reason_svg_depth", "Max"),
	reasonOf(`The SVG logo has more than one root element\.`, "admin_reason_svg_roots"),
	reasonOf(`The file is not an SVG image.*`, "admin_reason_svg_not_svg"),
	reasonOf(`The SVG logo uses the element <(.*)>, which is not allowed in a logo .*`, "admin_reason_svg_element", "Element"),
}

// webhookReasons are webhook.ValidURL's refusals of a webhook address.
var webhookReasons = []reasonRule{
	reasonOf(`enter the address of your webhook, up to (\d+) characters`, "admin_reason_webhook_empty", "Max"),
	reasonOf(`enter a full address such as https://crm\.example\.com/hooks/tether`, "admin_reason_webhook_full"),
	reasonOf(`the webhook's address must start with https://`, "admin_reason_webhook_https"),
	reasonOf(`put no user name or password in the address; check the signature instead`, "admin_reason_webhook_user"),
	reasonOf(`the address cannot have a #fragment`, "admin_reason_webhook_fragment"),
	reasonOf(`(.*) is not a public address; this server sends webhooks to the internet only`, "admin_reason_webhook_private", "Address"),
}

// reasonSentinels prefix the store's reasons.
var reasonSentinels = []error{store.ErrInvalidArgument, store.ErrSubdomainTaken, store.ErrNotAllowed, store.ErrDeskNameTaken, store.ErrDeskInUse}

// sayReason is a refusal from the store or server/branding as a sentence in loc's language.
func sayReason(loc locales.Localizer, err error) string {
	var qe *store.QuotaError
	if errors.As(err, &qe) {
		if loc.Lang() == "en" {
			return qe.Message()
		}
		return loc.T("admin_reason_quota", map[string]any{"Limit": qe.Limit, "What": adminQuotaWhat(loc, qe.What)})
	}
	if reason, ok := branding.Refused(err); ok {
		if said, ok := sayRule(loc, brandingReasons, reason); ok {
			return said
		}
		return reason
	}
	msg := err.Error()
	for again := true; again; {
		again = false
		for _, s := range reasonSentinels {
			if rest, ok := strings.CutPrefix(msg, s.Error()+": "); ok {
				msg, again = rest, true
			}
		}
	}
	if said, ok := sayRule(loc, storeReasons, msg); ok {
		return said
	}
	return sentence(msg)
}

// sayRule says reason by the first rule that matches it; English as written.
func sayRule(loc locales.Localizer, rules []reasonRule, reason string) (string, bool) {
	for _, r := range rules {
		m := r.re.FindStringSubmatch(reason)
		if m == nil {
			continue
		}
		if loc.Lang() == "en" {
			return sentence(reason), true
		}
		data := map[string]any{}
		for i, k := range r.keys {
			v := m[i+1]
			switch k {
			case "Field":
				v = reasonField(loc, v)
			case "What":
				v = reasonFile(loc, v)
			}
			if n, err := strconv.Atoi(v); err == nil {
				data[k] = n
			} else {
				data[k] = v
			}
		}
		return loc.T(r.id, data), true
	}
	return "", false
}

// reasonField is a field of the branding page named in a reason.
func reasonField(loc locales.Localizer, label string) string {
	switch label {
	case "primary colour":
		return loc.T("admin_branding_primary")
	case "accent colour":
		return loc.T("admin_branding_accent")
	case "contact line":
		return loc.T("admin_branding_contact")
	case "banner text":
		return loc.T("admin_branding_banner")
	case "welcome message":
		return loc.T("admin_branding_welcome")
	}
	return label
}

// reasonFile is the uploaded file a reason is about.
func reasonFile(loc locales.Localizer, what string) string {
	if what == "icon" {
		return loc.T("admin_branding_icon")
	}
	return loc.T("admin_branding_logo")
}

// adminQuotaWhat is what a quota counts.
func adminQuotaWhat(loc locales.Localizer, what string) string {
	switch what {
	case "engineers":
		return loc.T("admin_quota_engineers")
	case "concurrent sessions":
		return loc.T("admin_quota_sessions")
	case "desks":
		return loc.T("admin_quota_desks")
	}
	return what
}

// adminGrantShort is a grant's chip ("View", "Ansehen") and adminGrantLabel what it lets the engineer do, as the
// admin reads it (protocol's labels speak to the customer: "see your screen").
func adminGrantShort(loc locales.Localizer, g protocol.Grants) string {
	switch g {
	case protocol.GrantView:
		return loc.T("admin_grant_short_view")
	case protocol.GrantControl:
		return loc.T("admin_grant_short_control")
	case protocol.GrantLimited:
		return loc.T("admin_grant_short_limited")
	case protocol.GrantClipboard:
		return loc.T("admin_grant_short_clipboard")
	case protocol.GrantFiles:
		return loc.T("admin_grant_short_files")
	}
	return strings.Join(g.Shorts(), ", ")
}

func adminGrantLabel(loc locales.Localizer, g protocol.Grants) string {
	switch g {
	case protocol.GrantView:
		return loc.T("admin_grant_view")
	case protocol.GrantControl:
		return loc.T("admin_grant_control")
	case protocol.GrantLimited:
		return loc.T("admin_grant_limited")
	case protocol.GrantClipboard:
		return loc.T("admin_grant_clipboard")
	case protocol.GrantFiles:
		return loc.T("admin_grant_files")
	}
	return ""
}

// adminGrantShorts are the chips of the grants in gs, in protocol order.
func adminGrantShorts(loc locales.Localizer, gs protocol.Grants) []string {
	out := []string{}
	for _, g := range protocol.Each() {
		if gs&g != 0 { // as given: control does not list limited too
			out = append(out, adminGrantShort(loc, g))
		}
	}
	return out
}

// choosePasswordIn is choosePassword, its refusal said in loc's language.
func choosePasswordIn(loc locales.Localizer, pw, again string) (hash, msg string) {
	hash, msg = choosePassword(pw, again)
	if msg == "" || loc.Lang() == "en" {
		return hash, msg
	}
	switch {
	case pw != again:
		return "", loc.T("admin_passwords_differ")
	case len(pw) < auth.MinPasswordLength:
		return "", loc.T("admin_password_short", map[string]any{"Min": auth.MinPasswordLength})
	}
	return "", loc.T("admin_password_long", map[string]any{"Max": 72})
}

// sayWebhookReason is a refusal of webhook.ValidURL in loc's language.
func sayWebhookReason(loc locales.Localizer, err error) string {
	if loc.Lang() == "en" {
		return err.Error() + "." // "Not saved: the webhook's address must start with https://."
	}
	if said, ok := sayRule(loc, webhookReasons, err.Error()); ok {
		return said
	}
	return sentence(err.Error())
}

// saidError is a refusal for the error page in the visitor's language (their choice, their browser's,
// else fallback): heading and message are messages headingID and messageID.
func (s *Server) saidError(c echo.Context, fallback string, status int, headingID, messageID string, data map[string]any) error {
	loc := s.localizer(c, "", fallback)
	return &httpError{status: status, heading: loc.T(headingID, data), message: loc.T(messageID, data)}
}

// mailUntil is when a mailed link stops working, as a mail in loc's language says it: in zone (the
// reader's, when known; nil for the server's) with the zone's name.
func mailUntil(loc locales.Localizer, zone *time.Location, t time.Time) string {
	return templates.Page{Lang: loc.Lang(), T: loc.T, Zone: zone}.WhenZone(t)
}
