package main

import (
	"fmt"
	"io"

	"tether/server/protocol"
	"tether/static/locales"
)

// maxTitleName bounds a name in the window title and the banner; the
// server's own limits are lower, this only keeps a strange settings file
// from filling the window.
const maxTitleName = 60

// windowTitle is the title of the agent's window: the provider's name, so
// that the customer sees whose program it is among their windows.
func windowTitle(s protocol.AgentSettings, loc locales.Localizer) string {
	if name := protocol.CleanLine(s.Provider, maxTitleName); name != "" {
		return name + " · " + loc.T("customer_title_invite")
	}
	return loc.T("customer_title_invite")
}

// printBanner writes the program's first lines: whose support program this
// is and how to reach them (the contact line of the provider's brand).
// Names are one clean line each: nothing from the settings can move the
// cursor or change the console.
func printBanner(out io.Writer, s protocol.AgentSettings, loc locales.Localizer) {
	name := protocol.CleanLine(s.Provider, maxTitleName)
	fmt.Fprintln(out, windowTitle(s, loc))
	if s.Brand.Contact != "" {
		who := name
		if who == "" {
			who = loc.T("customer_agent_your_provider")
		}
		fmt.Fprintln(out, loc.T("customer_agent_contact", map[string]any{"Provider": who}), protocol.CleanLine(s.Brand.Contact, protocol.MaxAgentContact))
	}
	fmt.Fprintln(out)
}
