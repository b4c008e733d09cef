package protocol

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AgentBrand is how the provider looks on the customer's computer: in the
// agent's window and on the consent page it serves. It travels inside the
// signed settings (AgentSettings.Brand), so nobody between the server and
// the customer can swap the logo or the contact line for another's, and
// the agent asks the server for nothing to show it.
type AgentBrand struct {
	// Primary and Accent are colours "#rrggbb" (lowercase), or "" for
	// Tether's own.
	Primary string `json:"primary,omitempty"`
	Accent  string `json:"accent,omitempty"`
	// Contact is one line the customer may use to reach the provider
	// (phone, email, hours), at most MaxAgentContact characters.
	Contact string `json:"contact,omitempty"`
	// Logo is a PNG of at most MaxAgentLogo bytes and MaxAgentLogoSide
	// pixels a side, or nil.
	Logo []byte `json:"logo,omitempty"`
}

// Bounds of AgentBrand. The logo is base64 in the settings JSON, so
// maxSettingsJSON leaves room for 4/3 of MaxAgentLogo.
const (
	MaxAgentLogo     = 48 << 10
	MaxAgentLogoSide = 512
	MaxAgentContact  = 160
)

// ValidColor reports whether c is a colour as the brand carries it:
// "#rrggbb", lowercase hexadecimal digits. Only such a string is ever put
// into CSS.
func ValidColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for i := 1; i < 7; i++ {
		if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'a' && c[i] <= 'f') {
			return false
		}
	}
	return true
}

// CleanLine makes s one line of at most max characters: control and
// formatting characters (newlines, bidirectional overrides) become spaces,
// runs of spaces one space, and a longer line is cut with "…". The server
// fits the provider's texts with it; Validate refuses what it would change.
func CleanLine(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		out = strings.TrimSpace(string([]rune(out)[:max-1])) + "…"
	}
	return out
}

// errBrand wraps every reason a brand is refused.
var errBrand = errors.New("brand")

// Validate checks the brand: colours "#rrggbb", a clean contact line, and a
// logo that is a PNG within the bounds, decoded in full (a few
// milliseconds at most) so that a damaged one is refused here and not
// shown broken.
func (b AgentBrand) Validate() error {
	for _, c := range []string{b.Primary, b.Accent} {
		if c != "" && !ValidColor(c) {
			return fmt.Errorf("%w: colour %q is not #rrggbb", errBrand, c)
		}
	}
	if b.Contact != CleanLine(b.Contact, MaxAgentContact) {
		return fmt.Errorf("%w: the contact line is not one clean line of at most %d characters", errBrand, MaxAgentContact)
	}
	if b.Logo == nil {
		return nil
	}
	if len(b.Logo) == 0 || len(b.Logo) > MaxAgentLogo {
		return fmt.Errorf("%w: a logo of %d bytes (at most %d)", errBrand, len(b.Logo), MaxAgentLogo)
	}
	if err := checkLogo(b.Logo); err != nil {
		return fmt.Errorf("%w: %v", errBrand, err)
	}
	return nil
}
