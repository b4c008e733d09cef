package templates

import "time"

// ProfileForm is what the profile form holds: the stored profile, or what was typed when it was refused.
type ProfileForm struct {
	FirstName, LastName, EmployeeNo, Department string
	Country, Language, TimeZone                 string
	Clock12h                                    bool
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// ProfileSignIn is one of the user's active sign-ins.
type ProfileSignIn struct {
	// ID names it in the "sign out" form: a prefix of the token's hash, never the token.
	ID       string
	Device   string
	Address  string
	SignedIn time.Time
	LastSeen time.Time
	Current  bool
}

// ProfilePage is /profile: the person, their password, two-factor sign-in, their sign-ins and deleting
// the account. Each section has its own error, so a refusal shows where it belongs and keeps what was
// typed.
type ProfilePage struct {
	Page
	Form ProfileForm
	// FieldErrors name the refused fields of Form ("first_name" → message).
	FieldErrors map[string]string
	// Saved names what was just saved ("profile", "photo", "password", …) for the notice.
	Saved     string
	Email     string
	Role      string
	PhotoURL  string
	Countries []Option
	Languages []Option
	Zones     []string
	// PhotoError, PasswordError, TwoFactorError, DeleteError are the refusals of those sections.
	PhotoError, PasswordError, TwoFactorError, DeleteError string
	TwoFactor                                              bool
	TwoFactorSince                                         time.Time
	RecoveryLeft                                           int
	// Required: the provider requires two-factor sign-in.
	Required bool
	SignIns  []ProfileSignIn
	Owner    bool
}

// FieldError is the message for a refused field, "" when it is fine.
func (p ProfilePage) FieldError(name string) string { return p.FieldErrors[name] }

// TwoFactorEnrol is the enrolment page: scan the QR code or type the secret, then confirm with a code.
type TwoFactorEnrol struct {
	Page
	// QR is the otpauth:// URL as a PNG data: URL; Secret the same secret in groups of four.
	QR     string
	Secret string
	// Required: the provider requires it, and nothing else opens until it is on.
	Required bool
	Error    string
}

// RecoveryCodesPage shows new recovery codes once.
type RecoveryCodesPage struct {
	Page
	Codes []string
	// Fresh: two-factor sign-in was just turned on (else: new codes replaced the old ones).
	Fresh bool
}

// TwoFactorStep is the sign-in's second step: the code from the app, or a recovery code.
type TwoFactorStep struct {
	Page
	// Action is where the code is posted (the address's prefix + /login/2fa); Token the signed proof of
	// the password step.
	Action string
	Token  string
	Error  string
}

// ForgotPage is "Forgot password?".
type ForgotPage struct {
	Page
	Action   string
	Login    string
	Email    string
	CanMail  bool
	Sent     bool
	Error    string
	Provider string
}

// initials are the letters shown in place of a missing photo.
func initials(first, last string) string {
	var out []rune
	for _, s := range []string{first, last} {
		for _, r := range s {
			out = append(out, r)
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// SavedText says what was just saved.
func (p ProfilePage) SavedText() string {
	switch p.Saved {
	case "profile":
		return p.Say("profile_saved_profile")
	case "photo":
		return p.Say("profile_saved_photo")
	case "photo_removed":
		return p.Say("profile_saved_photo_removed")
	case "password":
		return p.Say("profile_saved_password")
	case "signins":
		return p.Say("profile_saved_signins")
	case "signin":
		return p.Say("profile_saved_signin")
	case "2fa_off":
		return p.Say("profile_saved_2fa_off")
	}
	return ""
}

// EngineerCard is who helps, as the customer's pages show them: the name, and the employee number,
// department and photo the engineer gave in their profile, so that the customer can check who it is.
type EngineerCard struct {
	Name, EmployeeNo, Department, PhotoURL string
	FirstName, LastName                    string
}
