package protocol

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
)

// Grants is the set of things the customer allows the engineer, decided on
// the customer's machine and nowhere else: the agent asks, enforces what it
// was given, and tells the server, which records and relays accordingly but
// can never grant anything itself.
//
// On the binary wire a set is one byte (a bit per grant); in signaling JSON
// it is an array of names, ["view","control"]; in the store a comma list,
// "view,control". An empty set means no consent (yet).
type Grants uint8

// The grants. Values are part of the wire contract: never reuse a bit.
const (
	// GrantView: the engineer sees the screen. Every other grant needs it.
	GrantView Grants = 1 << iota
	// GrantControl: the engineer's mouse and keyboard reach the computer.
	GrantControl
	// GrantClipboard: text on the clipboard is exchanged both ways.
	GrantClipboard
	// GrantFiles: files are sent and received.
	GrantFiles
	// GrantLimited (limited control): the engineer's mouse reaches the
	// computer, the keyboard does not. GrantControl implies it (Has).
	GrantLimited
)

// grantAll is every grant this version knows.
const grantAll = GrantView | GrantControl | GrantClipboard | GrantFiles | GrantLimited

// grantNames are the grants' names on the wire and in the store, in order.
type grantName struct {
	g     Grants
	name  string
	short string // a chip on the engineer's screens
	label string // what the customer reads: the engineer may …
}

var grantNames = []grantName{
	{GrantView, "view", "View", "see your screen"},
	{GrantControl, "control", "Control", "use your mouse and keyboard"},
	{GrantLimited, "limited", "Limited control", "use your mouse, not your keyboard"},
	{GrantClipboard, "clipboard", "Clipboard", "copy and paste text between the computers"},
	{GrantFiles, "files", "Files", "send and receive files"},
}

// Has reports whether every grant in want is in g. Control implies
// limited control: a set with GrantControl has GrantLimited.
func (g Grants) Has(want Grants) bool { g = g.implied(); return want != 0 && g&want == want }

// implied adds what the grants in g imply.
func (g Grants) implied() Grants {
	if g&GrantControl != 0 {
		g |= GrantLimited
	}
	return g
}

// All is every grant this version knows.
func All() Grants { return grantAll }

// Each lists every grant this version knows, one by one, in the order
// pages show them (view, control, limited control, clipboard, files).
func Each() []Grants {
	out := make([]Grants, len(grantNames))
	for i, n := range grantNames {
		out[i] = n.g
	}
	return out
}

// Consented reports whether the customer has allowed anything.
func (g Grants) Consented() bool { return g != 0 }

// Valid checks g is a set this version understands: no unknown bits, and
// anything beyond nothing includes view (control of a screen nobody sees
// makes no sense).
func (g Grants) Valid() error {
	if g&^grantAll != 0 {
		return fmt.Errorf("%w: unknown grants %#x", ErrInvalid, uint8(g&^grantAll))
	}
	if g != 0 && !g.Has(GrantView) {
		return fmt.Errorf("%w: grants %s without view", ErrInvalid, g)
	}
	return nil
}

// Names lists the grants in g by name, in a fixed order.
func (g Grants) Names() []string { return g.pick(func(n grantName) string { return n.name }) }

// Labels lists what the grants in g let the engineer do, as the customer
// reads it ("see your screen", "use your mouse and keyboard").
func (g Grants) Labels() []string { return g.pick(func(n grantName) string { return n.label }) }

// Shorts lists the grants in g as the engineer's chips show them ("View",
// "Control").
func (g Grants) Shorts() []string { return g.pick(func(n grantName) string { return n.short }) }

func (g Grants) pick(field func(grantName) string) []string {
	out := []string{}
	for _, n := range grantNames {
		if g&n.g != 0 { // as given: control does not list limited too
			out = append(out, field(n))
		}
	}
	return out
}

// GrantLabels maps every grant's name to its customer sentence, for page
// scripts that word live updates; pages embed it, so the words stay here.
func GrantLabels() map[string]string {
	m := make(map[string]string, len(grantNames))
	for _, n := range grantNames {
		m[n.name] = n.label
	}
	return m
}

// String is the store form, "view,control"; "" for none.
func (g Grants) String() string { return strings.Join(g.Names(), ",") }

// ParseGrants reads the store form or a single name. Unknown names are an
// error, never ignored, so a typo cannot silently drop a restriction.
func ParseGrants(s string) (Grants, error) {
	var g Grants
	if s == "" {
		return 0, nil
	}
	for _, name := range strings.Split(s, ",") {
		one, err := parseGrant(strings.TrimSpace(name))
		if err != nil {
			return 0, err
		}
		g |= one
	}
	return g, g.Valid()
}

func parseGrant(name string) (Grants, error) {
	for _, n := range grantNames {
		if n.name == name {
			return n.g, nil
		}
	}
	return 0, fmt.Errorf("%w: grant %q", ErrInvalid, name)
}

// MarshalJSON writes the set as an array of names.
func (g Grants) MarshalJSON() ([]byte, error) { return json.Marshal(g.Names()) }

// UnmarshalJSON reads an array of names, refusing unknown ones.
func (g *Grants) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("%w: grants: %v", ErrInvalid, err)
	}
	var set Grants
	for _, name := range names {
		one, err := parseGrant(name)
		if err != nil {
			return err
		}
		set |= one
	}
	if err := set.Valid(); err != nil {
		return err
	}
	*g = set
	return nil
}

// Value stores the set in its comma form (database/sql/driver.Valuer).
func (g Grants) Value() (driver.Value, error) { return g.String(), nil }

// Scan reads the comma form back (database/sql.Scanner).
func (g *Grants) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("%w: grants from %T", ErrInvalid, src)
	}
	set, err := ParseGrants(s)
	if err != nil {
		return err
	}
	*g = set
	return nil
}
