package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"tether/server/config"
	"tether/server/store"
)

// disableUser is `tether user disable [flags] EMAIL`: the operator's way to
// deactivate someone at once (an engineer who left), on the database the
// server's flags name, while the server keeps running. Their sign-ins end
// now; the server closes their open consoles and viewers when it next
// checks those sign-ins (web.Deps.SignInRecheck, 30 s).
func disableUser(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[len(args)-1], "-") {
		fmt.Fprintln(stderr, "usage: tether user disable [-data DIR | -database DSN] EMAIL")
		return 2
	}
	email := args[len(args)-1]
	cfg, err := config.Parse(args[:len(args)-1], getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tether: configuration error:\n%v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, cfg.Database, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "tether: %v\n", err)
		return 1
	}
	defer st.Close()
	// A person who works for several providers has an account with each: all of them are deactivated.
	users, err := st.UsersByEmail(ctx, email)
	if err != nil {
		fmt.Fprintf(stderr, "tether: %v\n", err)
		return 1
	}
	if len(users) == 0 {
		fmt.Fprintf(stderr, "tether: no user has the email %q\n", email)
		return 1
	}
	for _, u := range users {
		ended, err := st.DisableUser(ctx, u.ProviderID, u.ID)
		if err != nil {
			fmt.Fprintf(stderr, "tether: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s (%s) is deactivated and can no longer sign in. %d sign-ins ended; their open consoles and viewers close within 30 seconds.\n",
			u.Name, u.Email, len(ended))
	}
	return 0
}
