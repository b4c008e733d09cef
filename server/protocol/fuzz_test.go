package protocol

import (
	"bytes"
	"testing"
)

// FuzzUnmarshal feeds arbitrary bytes to the session decoder: it must never
// panic, and whatever it accepts must re-encode to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range sampleMessages() {
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unmarshal(b)
		if err != nil {
			return
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("decoded %T does not re-encode: %v", m, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}

// FuzzDecodeSignal feeds arbitrary bytes to the signaling decoder.
func FuzzDecodeSignal(f *testing.F) {
	f.Add([]byte(`{"type":"consent","payload":{"level":"view"}}`))
	f.Add([]byte(`{"type":"agent-hello","payload":{"token":"x","width":5}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeSignal(b)
		if err != nil {
			return
		}
		var h AgentHello
		_ = e.Decode(&h)
		var c Candidate
		_ = e.Decode(&c)
	})
}
