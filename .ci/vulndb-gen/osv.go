package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/mod/semver"
)

// entry is one OSV report as the Go vulnerability database publishes it
// (https://go.dev/security/vuln/database#schema). Only the fields this
// program reads or sets are typed; the rest pass through unchanged.
// parseEntry rejects fields it does not know, so that an addition to the
// schema fails loudly here instead of vanishing from the snapshot.
type entry struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        time.Time       `json:"published"`
	Withdrawn        json.RawMessage `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details"`
	Affected         []affected      `json:"affected"`
	References       json.RawMessage `json:"references,omitempty"`
	Credits          json.RawMessage `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

type affected struct {
	Package struct {
		// Name is the module path, or "stdlib" or "toolchain".
		Name      string `json:"name"`
		Ecosystem string `json:"ecosystem"`
	} `json:"package"`
	Ranges            []osvRange      `json:"ranges,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

type osvRange struct {
	Type   string  `json:"type"`
	Events []event `json:"events"`
}

// event is a version without the leading "v" ("1.22.0-0", "0.23.0").
type event struct {
	Introduced string `json:"introduced,omitempty"`
	Fixed      string `json:"fixed,omitempty"`
}

func parseEntry(b []byte) (entry, error) {
	var e entry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return entry{}, err
	}
	if e.ID == "" {
		return entry{}, fmt.Errorf("no id")
	}
	return e, nil
}

// latestFixed returns the version from which on no version is affected, or
// "" if there is none. It is the "fixed" of index/modules.json, computed as
// the database does (golang.org/x/vulndb/internal/osvutils.LatestFixed).
func latestFixed(ranges []osvRange) string {
	var fixed string
	for _, r := range ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && versionLess(fixed, e.Fixed) {
				fixed = e.Fixed
			}
		}
		// Reintroduced after the latest fix: nothing fixes this range.
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && versionLess(fixed, e.Introduced) {
				fixed = ""
				break
			}
		}
	}
	return fixed
}

// versionLess compares OSV versions, which lack semver's "v". "" sorts
// before every version.
func versionLess(a, b string) bool {
	return semver.Compare("v"+a, "v"+b) < 0
}
