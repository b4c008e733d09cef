package main

import (
	"strings"
	"testing"

	"tether/server/protocol"
	"tether/static/locales"
)

func TestPrintVerify(t *testing.T) {
	s := protocol.AgentSettings{Server: "https://support.example.com/p/acme", Provider: "Acme"}
	var out strings.Builder
	printVerify(&out, locales.Localizer{}, s)
	if out.Len() != 0 {
		t.Errorf("without a code: %q", out.String())
	}
	s.Code = "KQW7XR"
	printVerify(&out, locales.Localizer{}, s)
	if got := out.String(); got != "Check who is helping you: https://support.example.com/p/acme/verify?code=KQW7XR\n\n" {
		t.Errorf("English: %q", got)
	}
	de, err := locales.For("de")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	printVerify(&out, de, s)
	if got := out.String(); !strings.HasPrefix(got, "Prüfen, wer Ihnen hilft: https://support.example.com/p/acme/verify?code=KQW7XR\n") {
		t.Errorf("German: %q", got)
	}
}
