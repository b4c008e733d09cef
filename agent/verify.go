package main

import (
	"fmt"
	"io"

	"tether/server/protocol"
	"tether/static/locales"
)

// printVerify tells the customer, among the program's first lines, where to check who is helping them:
// the provider's verification page with the session's code filled in. Downloads made before the
// settings carried the code print nothing.
func printVerify(out io.Writer, loc locales.Localizer, s protocol.AgentSettings) {
	u := s.VerifyURL()
	if u == "" {
		return
	}
	fmt.Fprintln(out, protocol.CleanLine(loc.T("verify_agent_line", map[string]any{"URL": u}), 300))
	fmt.Fprintln(out)
}
