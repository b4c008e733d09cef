package templates

import (
	"strings"
	"time"
)

// Words of the admin pages (branding, desks, team, API, widget, operator, sign-up) that are more than one
// catalog message.

// markup stands in for a variable that a page shows as markup (a link, a span a script updates), so that
// SayBefore and SayAfter can cut the sentence around it in any language's word order.
const markup = "\x00"

// SayBefore is message id up to its variable key, which the page renders as markup of its own; with
// two such variables, key is the first and the other is set to markup in data.
func (p Page) SayBefore(id, key string, data map[string]any) string {
	before, _ := p.sayAround(id, key, data)
	return before
}

// SayAfter is message id after its variable key (the last one, where there are two).
func (p Page) SayAfter(id, key string, data map[string]any) string {
	_, after := p.sayAround(id, key, data)
	return after
}

func (p Page) sayAround(id, key string, data map[string]any) (string, string) {
	d := map[string]any{key: markup}
	for k, v := range data {
		if k != key {
			d[k] = v
		}
	}
	said := p.Say(id, d)
	i, j := strings.Index(said, markup), strings.LastIndex(said, markup)
	if i < 0 {
		return said, ""
	}
	return said[:i], said[j+len(markup):]
}

// RoleWord is a role in the page's language ("Engineer", "Techniker", "工程师").
func (p Page) RoleWord(role string) string {
	switch strings.ToLower(role) {
	case "owner":
		return p.Say("admin_role_owner")
	case "admin":
		return p.Say("admin_role_admin")
	case "engineer":
		return p.Say("admin_role_engineer")
	}
	return role
}

// WhenOr is When of t, or none when there is no time.
func (p Page) WhenOr(t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return p.When(*t)
}

// ShortNames is the first max names, and how many more: "Ann, Bob, Cy and 2 more".
func (p Page) ShortNames(names []string, max int) string {
	if len(names) <= max {
		return p.joinNames(names)
	}
	return p.Say("admin_names_more", map[string]any{"Names": p.joinNames(names[:max]), "More": len(names) - max})
}

func (p Page) joinNames(names []string) string {
	return strings.Join(names, p.Say("admin_list_sep"))
}

// RoleAs is a role as in "invited you as …": "an engineer" (en), "Techniker" (de).
func (p Page) RoleAs(role string) string {
	switch strings.ToLower(role) {
	case "owner":
		return p.Say("admin_role_as_owner")
	case "admin":
		return p.Say("admin_role_as_admin")
	case "engineer":
		return p.Say("admin_role_as_engineer")
	}
	return role
}

// SayBetween is message id between its variables first and second, both rendered as markup.
func (p Page) SayBetween(id, first, second string) string {
	_, after, _ := strings.Cut(p.Say(id, map[string]any{first: markup + "1", second: markup + "2"}), markup+"1")
	between, _, _ := strings.Cut(after, markup+"2")
	return between
}

// DeliveryLabel is a webhook delivery's state in words.
func (p Page) DeliveryLabel(status string) string {
	switch status {
	case "delivered":
		return p.Say("admin_api_delivered")
	case "retrying":
		return p.Say("admin_api_retrying")
	case "failed":
		return p.Say("admin_api_failed")
	}
	return p.Say("admin_api_pending")
}

// Websites says on how many websites the widget may be embedded.
func (p Page) Websites(n int) string {
	if n == 1 {
		return p.Say("admin_widget_allowed_one")
	}
	return p.Say("admin_widget_allowed_many", map[string]any{"N": n})
}

// Usage says "3 of 10", or "3 · no limit" when limit is 0.
func (p Page) Usage(n, limit int) string {
	if limit <= 0 {
		return p.Say("admin_usage_unlimited", map[string]any{"N": n})
	}
	return p.Say("admin_usage", map[string]any{"N": n, "Max": limit})
}

// DisableLead says what disabling a provider with live sessions does.
func (p Page) DisableLead(live int) string {
	switch live {
	case 0:
		return p.Say("admin_op_disable_lead_none")
	case 1:
		return p.Say("admin_op_disable_lead_one")
	}
	return p.Say("admin_op_disable_lead", map[string]any{"N": live})
}
