package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether/server/store"
)

// TestUserDisable: the operator deactivates an engineer from the command
// line; their sign-in stops working, and an unknown email is a clear error.
func TestUserDisable(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "tether.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	_, u, err := st.SetUp(ctx, "Acme", "Erin", "erin@acme.test", "hash")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateLogin(ctx, "tok", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	if code := run([]string{"user", "disable", "-data", dir, "nobody@acme.test"}, env, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no user has the email") {
		t.Fatalf("unknown email: exit %d, %q", code, errOut.String())
	}
	if code := run([]string{"user", "disable"}, env, &out, &errOut); code != 2 {
		t.Fatalf("no email: exit %d", code)
	}
	if code := run([]string{"user", "disable", "-data", dir, "ERIN@acme.test"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "1 sign-ins ended") {
		t.Fatalf("disable: exit %d, %q %q", code, out.String(), errOut.String())
	}
	st, err = store.Open(ctx, "sqlite://"+filepath.Join(dir, "tether.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.LoginUser(ctx, "tok"); err == nil {
		t.Fatal("the disabled user's sign-in still works")
	}
}
