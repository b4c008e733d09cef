package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"

	"tether/server/protocol"
)

// settingsEnv names a developer override: a downloaded agent whose settings
// (checked against the key in that file's own slot) are used instead of
// this program's.
const settingsEnv = "TETHER_AGENT_SETTINGS"

// loadSettings reads the trailer from the override file or from this
// program's own file. fromOverride tells which.
func loadSettings() (s protocol.AgentSettings, fromOverride bool, err error) {
	if p := os.Getenv(settingsEnv); p != "" {
		s, err := readSettings(p, nil)
		return s, true, err
	}
	exe, err := os.Executable()
	if err != nil {
		return s, false, fmt.Errorf("find own file: %w", err)
	}
	s, err = readSettings(exe, signingKey())
	return s, false, err
}

// readSettings reads the settings trailer at the end of the file at path and
// checks its signature with key, or, when key is nil, with the key in that
// file's own slot. Windows lets a running program open its own file for
// reading, so the same code serves every OS.
func readSettings(path string, key ed25519.PublicKey) (protocol.AgentSettings, error) {
	f, err := os.Open(path)
	if err != nil {
		return protocol.AgentSettings{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close() // read-only; a close error loses nothing
	fi, err := f.Stat()
	if err != nil {
		return protocol.AgentSettings{}, fmt.Errorf("stat %s: %w", path, err)
	}
	if key == nil {
		if _, key, err = protocol.FindKeySlot(f, fi.Size()); err != nil {
			return protocol.AgentSettings{}, fmt.Errorf("%w: %v", protocol.ErrNoSettings, err)
		}
	}
	return protocol.ReadSettings(f, fi.Size(), key)
}

// plainSettingsError is the sentence the customer sees, without the
// technical detail wrapped around the protocol's sentinel errors.
func plainSettingsError(err error) string {
	var msg string
	switch {
	case errors.Is(err, protocol.ErrNoSettings):
		msg = protocol.ErrNoSettings.Error()
	case errors.Is(err, protocol.ErrSettingsTampered):
		msg = protocol.ErrSettingsTampered.Error()
	default:
		msg = "this program could not read its session settings: " + err.Error()
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}
