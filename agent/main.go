// Command agent is the one-shot support program a customer downloads from an
// invitation. It reads its session settings from the trailer the server
// appended to this very file, asks the customer for consent, shares the
// screen with the engineer, and removes itself when the session ends.
//
// Flags and environment, for developers only:
//
//	-keep, TETHER_AGENT_KEEP=1   do not delete the program when the session ends
//	-v, TETHER_AGENT_DEBUG=1     log details to stderr
//	TETHER_AGENT_SETTINGS=path   read the settings trailer from path instead of
//	                             the program itself (implies -keep)
package main

import "os"

func main() {
	code := run(os.Args, os.Stdout, os.Stderr)
	holdWindow(os.Stdin, os.Stdout)
	os.Exit(code)
}
