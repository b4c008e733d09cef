package protocol

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

func sampleMessages() []Message {
	return []Message{
		&Paused{Paused: true},
		&Paused{},
		&Hello{Grants: GrantView | GrantControl, Width: 1920, Height: 1080, OS: "linux"},
		&Update{Seq: 8, Width: 1920, Height: 1080, Flags: UpdateReset, RawLen: 900, Data: []byte{1, 2, 3}},
		&Update{Seq: 9, Width: 1920, Height: 1080, Flags: UpdateEnd | UpdateFull, RawLen: 9, EncodeMicros: 1234, Data: []byte{4, 5}},
		&Photo{Seq: 8, Width: 1920, Height: 1080, X: 10, Y: 20, W: 640, H: 360, Format: PhotoJPEG, Data: []byte{0xff, 0xd8}},
		&FrameEnd{Seq: 7, Flags: FlagFull, Width: 1920, Height: 1080, EncodeMicros: 12345},
		&CursorPos{X: 100, Y: 200, Visible: true, Serial: 3},
		&CursorShape{Serial: 3, HotX: 1, HotY: 2, W: 2, H: 2, RGBA: bytes.Repeat([]byte{1}, 16)},
		&FrameAck{Seq: 9},
		&MouseMove{X: 65535, Y: 0},
		&MouseButton{Button: ButtonRight, Down: true, X: 5, Y: 6},
		&Wheel{DX: -120, DY: 240},
		&Key{Down: true, Mods: ModShift | ModAltGr, Key: "é", Code: "Digit2"},
		&RequestFull{},
		&Ping{Micros: 1 << 60},
		&Pong{Micros: 42},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		t.Run(m.Type().String(), func(t *testing.T) {
			b, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != m.MarshalSize() {
				t.Fatalf("wrote %d bytes, MarshalSize %d", len(b), m.MarshalSize())
			}
			got, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("got %#v, want %#v", got, m)
			}
			// Every strict prefix must fail cleanly, except for messages
			// ending in opaque data, whose fixed part must be whole.
			fixed := len(b)
			switch m.(type) {
			case *Update:
				fixed = UpdateOverhead
			case *Photo:
				fixed = PhotoOverhead
			}
			for i := 0; i < fixed; i++ {
				if _, err := Unmarshal(b[:i]); err == nil {
					t.Fatalf("prefix of %d bytes decoded", i)
				}
			}
			if _, err := Unmarshal(append(b, 0)); err == nil && fixed == len(b) {
				t.Fatal("trailing byte accepted")
			}
		})
	}
}

func TestUnmarshalRejects(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"version", []byte{Version - 1, byte(TypePing)}, ErrVersion},
		{"type", []byte{Version, 99}, ErrType},
		{"too large", append([]byte{Version, byte(TypeUpdate)}, make([]byte, MaxMessageSize)...), ErrTooLarge},
		{"bad button", []byte{Version, byte(TypeMouseButton), 9, 1, 0, 0, 0, 0}, ErrInvalid},
		{"unknown grant", []byte{Version, byte(TypeHello), 0x21, 0, 1, 0, 1, 0}, ErrInvalid},
		{"control without view", []byte{Version, byte(TypeHello), byte(GrantControl), 0, 1, 0, 1, 0}, ErrInvalid},
		{"photo outside", []byte{Version, byte(TypePhoto), 0, 0, 0, 0, 0, 10, 0, 10, 0, 8, 0, 0, 0, 4, 0, 1, 1}, ErrInvalid},
		{"full without end", []byte{Version, byte(TypeUpdate), 0, 0, 0, 0, 0, 10, 0, 10, UpdateFull, 0, 0, 0, 1}, ErrInvalid},
		{"update with too many operations", []byte{Version, byte(TypeUpdate), 0, 0, 0, 0, 0, 10, 0, 10, 0, 0xff, 0xff, 0xff, 0xff}, ErrInvalid},
		{"retired tiles", []byte{Version, 2, 0, 0, 0, 0, 0, 10, 0, 10, 0, 0}, ErrType},
		{"cursor size", []byte{Version, byte(TypeCursorShape), 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 1, 2, 3}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal(tt.b)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func mustMarshal(t *testing.T, m Message) []byte {
	t.Helper()
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomScreen makes a BGRA image with flat areas, text-like noise and a
// gradient, so every codec path is taken.
func randomScreen(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	img := make([]byte, w*h*4)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 4
			switch {
			case x < w/3:
				img[i], img[i+1], img[i+2] = 30, 40, 50
			case x < 2*w/3:
				v := byte(r.IntN(2) * 255)
				img[i], img[i+1], img[i+2] = v, v, v
			default:
				img[i], img[i+1], img[i+2] = byte(x), byte(y), byte(x+y)
			}
			img[i+3] = 0xff
		}
	}
	return img
}

func TestSignalRoundTrip(t *testing.T) {
	b, err := EncodeSignal(SigConsent, Consent{Grants: GrantView | GrantControl})
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeSignal(b)
	if err != nil {
		t.Fatal(err)
	}
	var c Consent
	if string(e.Payload) != `{"grants":["view","control"]}` {
		t.Errorf("consent on the wire: %s", e.Payload)
	}
	if err := e.Decode(&c); err != nil || e.Type != SigConsent || c.Grants != GrantView|GrantControl {
		t.Fatalf("got %+v %+v %v", e, c, err)
	}
	for _, bad := range []string{``, `{}`, `[1]`, `{"type":""}`} {
		if _, err := DecodeSignal([]byte(bad)); err == nil {
			t.Errorf("DecodeSignal(%q) accepted", bad)
		}
	}
	if err := (Envelope{Type: SigConsent, Payload: []byte(`"x"`)}).Decode(&c); err == nil {
		t.Error("wrong payload shape accepted")
	}
}
