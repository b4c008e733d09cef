package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"tether/server/protocol"
)

// settingsEnv names a developer override: a file ending in a settings
// trailer, used instead of this program's own file.
const settingsEnv = "TETHER_AGENT_SETTINGS"

// loadSettings reads the trailer from the override file or from this
// program's own file. fromOverride tells which.
func loadSettings() (s protocol.AgentSettings, fromOverride bool, err error) {
	if p := os.Getenv(settingsEnv); p != "" {
		s, err := readSettings(p)
		return s, true, err
	}
	exe, err := os.Executable()
	if err != nil {
		return s, false, fmt.Errorf("find own file: %w", err)
	}
	s, err = readSettings(exe)
	return s, false, err
}

// readSettings reads the settings trailer at the end of the file at path.
// Windows lets a running program open its own file for reading, so the same
// code serves every OS.
func readSettings(path string) (protocol.AgentSettings, error) {
	f, err := os.Open(path)
	if err != nil {
		return protocol.AgentSettings{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close() // read-only; a close error loses nothing
	fi, err := f.Stat()
	if err != nil {
		return protocol.AgentSettings{}, fmt.Errorf("stat %s: %w", path, err)
	}
	return protocol.ReadSettings(f, fi.Size())
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
