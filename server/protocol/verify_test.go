package protocol

import (
	"bytes"
	"testing"
)

func TestSettingsVerifyURL(t *testing.T) {
	base := AgentSettings{Server: "https://support.example.com/p/acme", Token: "abcdefghijklmnopqrstuvwxyz", Source: SourceCode}
	if got := base.VerifyURL(); got != "" {
		t.Errorf("without a code: %q", got)
	}
	with := base
	with.Code = "KQW7XR"
	if got := with.VerifyURL(); got != "https://support.example.com/p/acme/verify?code=KQW7XR" {
		t.Errorf("VerifyURL() = %q", got)
	}
	var buf bytes.Buffer
	if err := AppendSettings(&buf, with, testKey); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSettings(bytes.NewReader(buf.Bytes()), int64(buf.Len()), testPub())
	if err != nil || got.Code != "KQW7XR" {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	for _, code := range []string{"kqw7xr", "KQW 7XR", "K&x=1", "ABC", "ABCDEFGHIJKLM", "ÄBCDEF"} {
		bad := base
		bad.Code = code
		if err := AppendSettings(&buf, bad, testKey); err == nil {
			t.Errorf("code %q accepted", code)
		}
	}
}
