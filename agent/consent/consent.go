// Package consent asks the customer, on their own computer, what the
// engineer may do: in a page the agent serves on 127.0.0.1 (Page), and in
// the agent's console (Ask). Consent comes from nowhere else.
package consent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"tether/server/protocol"
	"tether/static/locales"
)

// Prompt is the question printed in the console, in English; PromptIn says it in the customer's language.
const Prompt = "Type v for view only, c for full control, d to deny, then Enter: "

// PromptIn is Prompt in loc's language: the letters stay v, c and d in every language (Parse reads them).
func PromptIn(loc locales.Localizer) string {
	return loc.T("customer_agent_prompt") + " "
}

// ErrUnsupported is returned where this OS has no way to open a browser.
var ErrUnsupported = errors.New("consent: opening a browser is not supported on this system")

// Parse reads one typed answer. It accepts the letters of Prompt and the
// whole words, in any case.
func Parse(line string) (Decision, bool) {
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "v", "view", "view only":
		return Decision{Allow: true, Grants: protocol.GrantView}, true
	case "c", "control", "full control":
		return Decision{Allow: true, Grants: protocol.GrantView | protocol.GrantControl}, true
	case "d", "deny", "no", "n":
		return Decision{Deny: true}, true
	}
	return Decision{}, false
}

// Ask prints prompt to out and reads lines from in until one is a valid
// answer. It returns ctx's error when ctx ends first; the read of in cannot be
// interrupted, so the reading goroutine lives on until in has another line or
// closes (the program exits soon after in practice).
func Ask(ctx context.Context, in io.Reader, out io.Writer, prompt string) (Decision, error) {
	type result struct {
		answer Decision
		err    error
	}
	done := make(chan result, 1)
	go func() {
		sc := bufio.NewScanner(in)
		for {
			if _, err := fmt.Fprint(out, prompt); err != nil {
				done <- result{err: fmt.Errorf("consent: write prompt: %w", err)}
				return
			}
			if !sc.Scan() {
				err := sc.Err()
				if err == nil {
					err = io.EOF
				}
				done <- result{err: fmt.Errorf("consent: read answer: %w", err)}
				return
			}
			if a, ok := Parse(sc.Text()); ok {
				done <- result{answer: a}
				return
			}
			if ctx.Err() != nil {
				done <- result{err: ctx.Err()}
				return
			}
		}
	}()
	select {
	case r := <-done:
		return r.answer, r.err
	case <-ctx.Done():
		return Decision{}, ctx.Err()
	}
}

// IsTerminal reports whether f is an interactive console, where a typed
// answer can come from.
func IsTerminal(f *os.File) bool {
	return f != nil && term.IsTerminal(int(f.Fd()))
}
