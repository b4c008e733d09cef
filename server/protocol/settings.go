package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// AgentSettings is what one download of the generic agent binary carries:
// where to connect and which invitation it answers. The server appends it to
// the binary at download time (see AppendSettings), so no build is made per
// invitation and the binary's code is identical for every customer.
type AgentSettings struct {
	// Server is the base URL of the Tether server, http(s)://host[:port].
	Server string `json:"server"`
	// Token is the invitation token (at least 128 random bits, base32).
	Token string `json:"token"`
	// Source is how the customer got here: "link" or "code".
	Source string `json:"source"`
	// Provider and Engineer are shown to the customer before connecting.
	Provider string `json:"provider"`
	Engineer string `json:"engineer"`
}

// The settings trailer sits at the very end of the agent binary:
//
//	... executable bytes ... | settings JSON | len u32 BE | SHA-256(JSON) 32 bytes | "TETHERS1"
//
// Executables of every OS we build ignore bytes past their last section, so
// the trailer does not change how the program loads. The hash detects a
// damaged or edited trailer; protection against a malicious rebuild of the
// whole file is the job of code signing.
const (
	settingsMagic   = "TETHERS1"
	settingsTail    = 4 + sha256.Size + 8 // len(settingsMagic)
	maxSettingsJSON = 4 << 10
)

// Errors from ReadSettings.
var (
	ErrNoSettings       = errors.New("this program was not downloaded from a Tether invitation: it carries no session settings")
	ErrSettingsTampered = errors.New("this program's session settings are damaged or were changed after download")
)

// Validate checks the settings are complete and well-formed.
func (s AgentSettings) Validate() error {
	u, err := url.Parse(s.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: server %q", ErrSettingsTampered, s.Server)
	}
	if len(s.Token) < 26 || len(s.Token) > 128 {
		return fmt.Errorf("%w: token length %d", ErrSettingsTampered, len(s.Token))
	}
	if s.Source != "link" && s.Source != "code" {
		return fmt.Errorf("%w: source %q", ErrSettingsTampered, s.Source)
	}
	return nil
}

// AppendSettings writes the trailer for s to w, to follow the binary's bytes.
func AppendSettings(w io.Writer, s AgentSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	js, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if len(js) > maxSettingsJSON {
		return fmt.Errorf("protocol: settings of %d bytes", len(js))
	}
	sum := sha256.Sum256(js)
	var tail [settingsTail]byte
	binary.BigEndian.PutUint32(tail[:4], uint32(len(js)))
	copy(tail[4:], sum[:])
	copy(tail[4+sha256.Size:], settingsMagic)
	if _, err := w.Write(js); err != nil {
		return err
	}
	_, err = w.Write(tail[:])
	return err
}

// ReadSettings reads the trailer from the end of a file of the given size.
func ReadSettings(r io.ReaderAt, size int64) (AgentSettings, error) {
	var s AgentSettings
	if size < settingsTail {
		return s, ErrNoSettings
	}
	var tail [settingsTail]byte
	if _, err := r.ReadAt(tail[:], size-settingsTail); err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if !bytes.Equal(tail[4+sha256.Size:], []byte(settingsMagic)) {
		return s, ErrNoSettings
	}
	n := int64(binary.BigEndian.Uint32(tail[:4]))
	if n == 0 || n > maxSettingsJSON || n > size-settingsTail {
		return s, ErrSettingsTampered
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, size-settingsTail-n); err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if sum := sha256.Sum256(js); !bytes.Equal(sum[:], tail[4:4+sha256.Size]) {
		return s, ErrSettingsTampered
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return AgentSettings{}, fmt.Errorf("%w: %v", ErrSettingsTampered, err)
	}
	if err := s.Validate(); err != nil {
		return AgentSettings{}, err
	}
	return s, nil
}
