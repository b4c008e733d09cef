package protocol

import (
	"bytes"
	"crypto/rand"
	"errors"
	"image"
	"image/png"
	"reflect"
	"strings"
	"testing"
)

// testLogo is a w×h PNG; noise makes it hard to compress, so its size
// grows with its area.
func testLogo(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if w*h > 256 {
		_, _ = rand.Read(img.Pix)
	} else {
		for i := range img.Pix {
			img.Pix[i] = byte(i)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestAgentBrandValidate(t *testing.T) {
	good := AgentBrand{Primary: "#0a7d5a", Accent: "#ffb000", Contact: "+1 555 0100 · help@acme.example · Mon–Fri 9–17", Logo: testLogo(120, 40)}
	if err := good.Validate(); err != nil {
		t.Fatalf("good brand refused: %v", err)
	}
	if err := (AgentBrand{}).Validate(); err != nil {
		t.Fatalf("no brand refused: %v", err)
	}
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	huge := testLogo(MaxAgentLogoSide+1, 1)
	damaged := append([]byte(nil), good.Logo...)
	damaged = damaged[:len(damaged)-40]
	var tall bytes.Buffer
	_ = png.Encode(&tall, image.NewGray(image.Rect(0, 0, 1, MaxAgentLogoSide+1)))
	for name, b := range map[string]AgentBrand{
		"colour name":         {Primary: "red"},
		"colour in capitals":  {Accent: "#FFB000"},
		"colour css trick":    {Primary: "#000;}body{"},
		"short colour":        {Primary: "#fff"},
		"contact two lines":   {Contact: "call us\n<script>"},
		"contact bidi":        {Contact: "help\u202eexe.evil"},
		"contact too long":    {Contact: strings.Repeat("x", MaxAgentContact+1)},
		"contact edge spaces": {Contact: " help "},
		"logo not png":        {Logo: gif},
		"logo empty":          {Logo: []byte{}},
		"logo too wide":       {Logo: huge},
		"logo too tall":       {Logo: tall.Bytes()},
		"logo cut short":      {Logo: damaged},
		"logo too heavy":      {Logo: append(append([]byte(nil), good.Logo...), make([]byte, MaxAgentLogo)...)},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCleanLine(t *testing.T) {
	for in, want := range map[string]string{
		"  Call  us:\t+1 555\r\n0100 ": "Call us: +1 555 0100",
		"a\u202eb\u200bc":              "a b c",
		"bad \xff byte":                "bad \uFFFD byte",
		strings.Repeat("é", 200):       strings.Repeat("é", MaxAgentContact-1) + "…",
	} {
		if got := CleanLine(in, MaxAgentContact); got != want {
			t.Errorf("CleanLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSettingsCarryBrand: the brand goes through the signed trailer and
// back intact, the largest logo fits, and an edited colour breaks the
// signature.
func TestSettingsCarryBrand(t *testing.T) {
	// Noise does not compress: 4 bytes a pixel, close to the limit.
	logo := testLogo(108, 108)
	if len(logo) > MaxAgentLogo || len(logo) < MaxAgentLogo-4<<10 {
		t.Fatalf("test logo of %d bytes", len(logo))
	}
	want := AgentSettings{Server: "https://acme.example.com", Token: "abcdefghijklmnopqrstuvwxyz234567", Source: SourceLink, Provider: "Acme Support",
		Engineer: "Ann", Brand: AgentBrand{Primary: "#0a7d5a", Accent: "#ffb000", Contact: strings.Repeat("☎", MaxAgentContact), Logo: logo}}
	var buf bytes.Buffer
	buf.WriteString("program")
	if err := AppendSettings(&buf, want, testKey); err != nil {
		t.Fatalf("settings with a %d-byte logo: %v", len(logo), err)
	}
	b := buf.Bytes()
	got, err := ReadSettings(bytes.NewReader(b), int64(len(b)), testPub())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back: %v (logo %d bytes, want %d)", err, len(got.Brand.Logo), len(want.Brand.Logo))
	}
	edited := bytes.Replace(append([]byte(nil), b...), []byte("#0a7d5a"), []byte("#ff0000"), 1)
	if _, err := ReadSettings(bytes.NewReader(edited), int64(len(edited)), testPub()); !errors.Is(err, ErrSettingsTampered) {
		t.Fatalf("edited colour: %v", err)
	}
	bad := want
	bad.Brand.Primary = "#zzzzzz"
	if err := AppendSettings(&buf, bad, testKey); !errors.Is(err, ErrSettingsTampered) {
		t.Fatalf("bad colour written: %v", err)
	}
}

// FuzzCleanLine: whatever the provider typed, the cleaned line is one the
// settings accept, and cleaning it again changes nothing.
func FuzzCleanLine(f *testing.F) {
	for _, s := range []string{"", "+1 555 0100 · help@acme.example", "a\nb\x1b]0;x\x07", "\u202e\u200b  x  ", strings.Repeat("é ", 200), "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanLine(s, MaxAgentContact)
		if err := (AgentBrand{Contact: c}).Validate(); err != nil {
			t.Fatalf("CleanLine(%q) = %q, refused: %v", s, c, err)
		}
		if again := CleanLine(c, MaxAgentContact); again != c {
			t.Fatalf("CleanLine not stable: %q then %q", c, again)
		}
	})
}
