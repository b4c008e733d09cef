package templates

import (
	"strings"
	"time"
)

// Team is the provider's team page (owners and admins): its people, pending invitations, the
// invitation form and ownership transfer.
type Team struct {
	Page
	Members []TeamMember
	Invites []TeamInvite
	// Desks are the provider's desks for the invitation form, ticked as last submitted.
	Desks []TeamDesk
	// Owner: the signed-in user is the owner (may invite admins, change roles, transfer ownership).
	Owner bool
	// Mail: invitations and reset links are mailed; otherwise they are shown to hand over.
	Mail bool
	// Seats says the engineers quota in words ("3 of 5 seats used"); empty without a quota.
	Seats string
	// Invite keeps the invitation form's values after a refusal.
	Invite TeamInviteForm
	// Transfer lists who may become the owner (active users other than the owner).
	Transfer []TeamChoice
	Error    string
	Notice   string
	// Link is a one-time link just made (invitation or reset), shown once to hand over.
	Link TeamLink
}

// TeamMember is one person on the team page.
type TeamMember struct {
	ID    string
	Name  string
	Email string
	Role  string // owner, admin, engineer
	Desks []string
	// Active: may sign in; false once deactivated.
	Active bool
	// TwoFactor: they sign in with a code after the password (profile).
	TwoFactor  bool
	LastSignIn *time.Time
	You        bool
	// Manage: the signed-in user may deactivate, reactivate and reset them; SetRole: and change their role.
	Manage  bool
	SetRole bool
}

// TeamInvite is a pending invitation.
type TeamInvite struct {
	ID        string
	Email     string
	Name      string
	Role      string
	Desks     []string
	InvitedBy string
	Expires   time.Time
	Expired   bool
	Revoke    bool // the signed-in user may revoke it
}

// TeamDesk is a desk choice in the invitation form.
type TeamDesk struct {
	ID      string
	Name    string
	Checked bool
}

// TeamInviteForm is what the invitation form was last given.
type TeamInviteForm struct {
	Email string
	Name  string
	Role  string
}

// TeamChoice is a person to pick.
type TeamChoice struct {
	ID    string
	Label string
}

// TeamLink is a one-time link shown to the admin to hand over.
type TeamLink struct {
	URL     string
	What    string // "invitation" or "password reset link"
	For     string // whom it is for
	Expires time.Time
}

// Join is the page where an invited person sets their name and password.
type Join struct {
	Page
	Action    string
	Provider  string
	Email     string
	Name      string
	Role      string
	InvitedBy string
	Expires   time.Time
	Error     string
}

// ResetPassword is the page where a person sets a new password with a reset link.
type ResetPassword struct {
	Page
	Action   string
	Provider string
	Email    string
	Name     string
	Error    string
}

// Possessive is a name with the English possessive: "Acme's", "Acme IT Services'".
func Possessive(name string) string {
	if strings.HasSuffix(name, "s") || strings.HasSuffix(name, "S") {
		return name + "'"
	}
	return name + "'s"
}
