package templates

import "time"

// OperatorRow is one provider in the operator's list.
type OperatorRow struct {
	ID         string
	Name       string
	Address    string // the provider's portal address
	OwnerName  string
	OwnerEmail string
	// Used and allowed of each quota; a limit of 0 is no limit.
	Engineers, MaxEngineers int
	Sessions, MaxSessions   int
	Desks, MaxDesks         int
	Created                 time.Time
	Disabled                bool
	// Own: the operator's own provider, which cannot be disabled.
	Own bool
}

// Full reports whether a quota is used up.
func Full(n, limit int) bool { return limit > 0 && n >= limit }

// OperatorHome is the operator's page: sign-up switch, new provider, the providers.
type OperatorHome struct {
	Page
	Providers  []OperatorRow
	SignupOpen bool
	// Mail: an SMTP server is configured (links are mailed, sign-ups confirm their email).
	Mail bool
	// The create form's values and what was wrong with them.
	NewName, NewOwner, NewEmail string
	Error                       string
	// Created is the provider just created, with the owner's link when it was not mailed.
	Created *OperatorCreated
	Notice  string
}

// OperatorCreated says a provider was created and how its owner gets in.
type OperatorCreated struct {
	Name       string
	OwnerEmail string
	// Link is shown once when no mail went out: the owner chooses their password there.
	Link   string
	Mailed bool
	Hours  int
}

// OperatorProvider is one provider's page for the operator: quotas, disable or enable.
type OperatorProvider struct {
	Page
	Row OperatorRow
	// The quota form's values as typed.
	MaxEngineers, MaxSessions, MaxDesks string
	Error                               string
	Notice                              string
}

// LoginChoice is one provider a person may sign in to after their password matched there.
type LoginChoice struct {
	Provider string
	Role     string
	// Token is the short-lived signed choice that signs in without a second password entry.
	Token string
}

// LoginChooser asks which provider to sign in to.
type LoginChooser struct {
	Page
	Email   string
	Choices []LoginChoice
}

// SwitchAccount is another provider where the signed-in email has an account.
type SwitchAccount struct {
	Provider string
	URL      string // that provider's sign-in page, the email filled in
	Disabled bool
}

// SwitchPage lists the signed-in person's other accounts.
type SwitchPage struct {
	Page
	Accounts []SwitchAccount
}

// SignupForm is the self-service sign-up of a new provider.
type SignupForm struct {
	Page
	Company, Name, Email string
	Error                string
	MaxCompany           int
	MinPassword          int
}

// SignupSent says the confirmation email went out.
type SignupSent struct {
	Page
	Email string
}

// SignupConfirm asks to confirm a pending sign-up (a button, so that a mail scanner opening the link
// creates nothing).
type SignupConfirm struct {
	Page
	Token   string
	Company string
	Email   string
}

// Welcome lets the owner of a provider the operator created choose a password.
type Welcome struct {
	Page
	Token       string
	Name        string
	Provider    string
	Email       string
	Error       string
	MinPassword int
}
