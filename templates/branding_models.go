package templates

// Branding is the provider's branding page (owners and admins): the fields as saved or as typed after a
// refusal, and the saved logo and icon.
type Branding struct {
	Page
	Name string
	Slug string
	// Address is the provider's portal as saved; AddressBefore + subdomain + AddressAfter is it for any
	// subdomain, for the page's script.
	Address       string
	AddressBefore string
	AddressAfter  string
	// Colours are "#rrggbb", or "" for Tether's.
	PrimaryColor string
	AccentColor  string
	Contact      string
	BannerText   string
	BannerLink   string
	Welcome      string
	PatchIcon    bool
	// LogoURL and IconURL are the saved files; "" when none.
	LogoURL string
	IconURL string
	// DefaultLanguage is the provider's default customer language ("" English); LanguageSaved says it
	// was just saved (i18n-customer).
	DefaultLanguage string
	LanguageSaved   bool
	// Engineer names the signed-in engineer in the preview.
	Engineer    string
	WindowsFile string
	// Limits, as the page states them.
	MaxName       int
	MinSubdomain  int
	MaxSubdomain  int
	MaxContact    int
	MaxBanner     int
	MaxBannerLink int
	MaxWelcome    int
	MaxLogo       string
	MaxLogoSide   int
	MaxIcon       string
	MaxIconSide   int
	Error         string
	Saved         bool
}

// Tether's own colours, as static/css/app.css has them: the colour inputs show them while a provider
// keeps Tether's.
const (
	DefaultPrimary = "#2457d6"
	DefaultAccent  = "#2457d6"
)

// Or returns c, or def when c is empty.
func colorOr(c, def string) string {
	if c == "" {
		return def
	}
	return c
}
