package protocol

import (
	"fmt"
	"regexp"
)

// SigAudit (agent → server) reports something the session moved, for the
// session's append-only event log: its kind and size, never its content.
// The server records it as an event of that kind with the agent as actor.
const SigAudit = "audit"

// Kinds of Audit, and the event kinds they become in the session log.
const (
	// AuditClipboardToCustomer: text the engineer pasted was put on the
	// customer's clipboard.
	AuditClipboardToCustomer = "clipboard_to_customer"
	// AuditClipboardToEngineer: text the customer copied was sent to the
	// engineer.
	AuditClipboardToEngineer = "clipboard_to_engineer"
)

// Audit is one transfer the agent reports. Clipboard transfers fill Kind,
// Size (bytes of text) and Count; files also Name, SHA256 and Direction.
type Audit struct {
	Kind      string `json:"kind"`
	Size      int64  `json:"size"`
	Count     int    `json:"count"`
	Name      string `json:"name,omitempty"`
	SHA256    string `json:"sha256,omitempty"`
	Direction string `json:"direction,omitempty"`
}

// AuditGrant is the grant an audit kind needs; zero for an unknown kind.
func AuditGrant(kind string) Grants {
	switch kind {
	case AuditClipboardToCustomer, AuditClipboardToEngineer:
		return GrantClipboard
	}
	return 0
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks an audit report before it is recorded: a known kind,
// sizes and counts in range, and short fields.
func (a Audit) Validate() error {
	switch {
	case AuditGrant(a.Kind) == 0:
		return fmt.Errorf("%w: audit kind %q", ErrInvalid, a.Kind)
	case a.Size < 0 || a.Size > 1<<40:
		return fmt.Errorf("%w: audit size %d", ErrInvalid, a.Size)
	case a.Count < 1 || a.Count > 1<<20:
		return fmt.Errorf("%w: audit count %d", ErrInvalid, a.Count)
	case len(a.Name) > 255 || len(a.Direction) > 32:
		return fmt.Errorf("%w: audit name or direction too long", ErrInvalid)
	case a.SHA256 != "" && !sha256Hex.MatchString(a.SHA256):
		return fmt.Errorf("%w: audit sha256 %q", ErrInvalid, a.SHA256)
	}
	return nil
}

// Detail is the event log's text for a: its sizes, never content.
func (a Audit) Detail() string {
	if a.Count > 1 {
		return fmt.Sprintf("%d transfers, %d bytes", a.Count, a.Size)
	}
	return fmt.Sprintf("%d bytes", a.Size)
}
