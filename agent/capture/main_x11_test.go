//go:build linux

package capture

import (
	"io"
	"log"
	"os"
	"testing"

	"github.com/jezek/xgb"
)

// TestMain silences xgb's log of the missing ~/.Xauthority on every
// connection to a test Xvfb.
func TestMain(m *testing.M) {
	xgb.Logger = log.New(io.Discard, "", 0)
	os.Exit(m.Run())
}
