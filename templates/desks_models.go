package templates

// DesksPage lists a provider's desks (support queues) for its owner and admins, with a form to add one.
type DesksPage struct {
	Page
	Desks []DeskRow
	// Name is the create form's value, kept when it was refused with Error.
	Name  string
	Error string
	// Notice says what the last change did ("Desk Billing deleted.").
	Notice string
	// Quota is the plan's limit in words ("3 of 5 desks"), empty when there is none; Full disables the form.
	Quota string
	Full  bool
}

// DeskRow is one desk in the list.
type DeskRow struct {
	ID, Name string
	Default  bool
	// Members are the members' names, in order.
	Members []string
	Live    int // sessions joined or active
	Waiting int // invitations and requests not yet taken up
	// Allowed are the chips of what its engineers may ask for ("View", "Limited control").
	Allowed []string
}

// DeskEdit is one desk's page: name, members, permission template, delete.
type DeskEdit struct {
	Page
	ID, Name string
	Default  bool
	Live     int
	Waiting  int
	Members  []DeskMemberChoice
	Grants   []DeskGrantChoice
	Error    string
	Saved    bool
}

// DeskMemberChoice is one of the provider's active users, ticked when a member.
type DeskMemberChoice struct {
	ID, Name, Email, Role string
	Member                bool
}

// DeskGrantChoice is one grant in the permission template: whether engineers may ask for it and whether
// the customer's consent page ticks it to begin with. Required grants (view) cannot be unticked.
type DeskGrantChoice struct {
	Name, Short, Label string
	Allowed, Default   bool
	Required           bool
}

// DeskChoice is a desk the console's "New support session" may open a session in.
type DeskChoice struct {
	ID, Name string
}

// requestable reports whether the viewer's Request menu offers grant name.
func requestable(v Viewer, name string) bool {
	for _, n := range v.Requestable {
		if n == name {
			return true
		}
	}
	return false
}
