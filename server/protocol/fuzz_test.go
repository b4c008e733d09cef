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

// FuzzTileDecode feeds arbitrary tiles to the tile decoder.
func FuzzTileDecode(f *testing.F) {
	enc := TileEncoder{Codec: DefaultCodec}
	src := randomScreen(64, 64, 2)
	for _, c := range []Codec{CodecLZ4, CodecS2, CodecRaw} {
		enc.Codec = c
		t := enc.Encode(src, 64*4, 20, 0, 44, 64)
		f.Add(uint8(t.Codec), uint16(t.X), uint16(t.Y), uint16(t.W), uint16(t.H), append([]byte(nil), t.Data...))
	}
	f.Add(uint8(CodecSolid), uint16(0), uint16(0), uint16(64), uint16(64), []byte{1, 2, 3})
	dst := make([]byte, 64*64*4)
	var dec TileDecoder
	f.Fuzz(func(t *testing.T, codec uint8, x, y, w, h uint16, data []byte) {
		_ = dec.Decode(dst, 64*4, 64, 64, Tile{X: x, Y: y, W: w, H: h, Codec: Codec(codec), Data: data})
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
