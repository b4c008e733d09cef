package protocol

import (
	"bytes"
	"slices"
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

// FuzzOpen feeds arbitrary bytes to the relay's opener: it must never
// panic, never open what it was not sealed with its keys, and still open
// the genuine next message afterwards.
func FuzzOpen(f *testing.F) {
	agent, viewer := exchange(f, "fuzz", "fuzz")
	var genuine [][]byte
	for _, m := range sampleMessages() {
		b, err := Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		sealed, err := agent.Sealer.Seal(nil, b)
		if err != nil {
			f.Fatal(err)
		}
		genuine = append(genuine, sealed)
		f.Add(sealed)
	}
	f.Add([]byte{Version, byte(TypePing)})
	f.Fuzz(func(t *testing.T, b []byte) {
		// A fresh opener each time: only a genuine message (an identical
		// copy) may open.
		o := *viewer.Opener
		o.next = 0
		got, err := o.Open(b)
		if err == nil {
			if !slices.ContainsFunc(genuine, func(g []byte) bool { return bytes.Equal(g, b) }) {
				t.Fatalf("opened bytes that were not sealed: %x", b)
			}
			if _, err := Unmarshal(got); err != nil {
				t.Fatalf("opened message does not decode: %v", err)
			}
			return
		}
		if _, err := o.Open(genuine[len(genuine)-1]); err != nil {
			t.Fatalf("a refused message broke the opener: %v", err)
		}
	})
}
