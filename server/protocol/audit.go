package protocol

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// SigAudit: agent → server. Something the session did on the end-to-end path, which the server cannot
// see, for the session's audit log: a file moved, clipboard text crossed. It carries names, sizes and
// hashes, never contents. The server records it as an event of its kind.
const SigAudit = "audit"

// Audit is one entry the agent reports for the audit log.
type Audit struct {
	Kind string `json:"kind"` // one of the Audit* kinds
	// Name is a file's name (as saved or offered); empty for other kinds.
	Name string `json:"name,omitempty"`
	// Size is the bytes moved; Count how many items (clipboard transfers since the last report).
	Size  int64 `json:"size,omitempty"`
	Count int   `json:"count,omitempty"`
	// SHA256 is a file's hash, lowercase hex.
	SHA256 string `json:"sha256,omitempty"`
	// Note is a short reason ("cancelled by the customer", "over the size limit").
	Note string `json:"note,omitempty"`
}

// Audit kinds: the event kinds the agent may report. The session log records them under these names.
const (
	AuditFileToCustomer      = "file_to_customer"
	AuditFileToEngineer      = "file_to_engineer"
	AuditFileFailed          = "file_failed"
	AuditClipboardToCustomer = "clipboard_to_customer"
	AuditClipboardToEngineer = "clipboard_to_engineer"
)

// maxAuditText bounds Audit's Name and Note.
const maxAuditText = 255

// Validate checks an Audit from an agent: a known kind, bounded text, sane numbers.
func (a Audit) Validate() error {
	switch a.Kind {
	case AuditFileToCustomer, AuditFileToEngineer, AuditFileFailed, AuditClipboardToCustomer, AuditClipboardToEngineer:
	default:
		return fmt.Errorf("%w: audit kind %q", ErrInvalid, a.Kind)
	}
	for _, s := range []string{a.Name, a.Note} {
		if len(s) > maxAuditText || !utf8.ValidString(s) {
			return fmt.Errorf("%w: audit text", ErrInvalid)
		}
	}
	if a.Size < 0 || a.Size > 1<<50 || a.Count < 0 || a.Count > 1<<20 {
		return fmt.Errorf("%w: audit numbers", ErrInvalid)
	}
	if a.SHA256 != "" {
		if b, err := hex.DecodeString(a.SHA256); err != nil || len(b) != 32 || a.SHA256 != hex.EncodeToString(b) {
			return fmt.Errorf("%w: audit sha256", ErrInvalid)
		}
	}
	return nil
}
