package protocol

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func fileMessages() []Message {
	return []Message{
		&FileOffer{ID: 7, Size: 1 << 40, Name: "report é.pdf"},
		&FileAnswer{ID: 7, Accept: true},
		&FileAnswer{ID: 8, Reason: "over the size limit"},
		&FileChunk{ID: 7, Offset: 61440, Data: bytes.Repeat([]byte{9}, 100)},
		&FileAck{ID: 7, Offset: 1 << 33},
		&FileEnd{ID: 7, SHA256: [32]byte{1, 2, 3, 31: 4}},
		&FileResult{ID: 7, OK: true},
		&FileResult{ID: 9, Reason: "wrong hash"},
		&FileCancel{ID: 7, Sender: true, Reason: "cancelled by the engineer"},
	}
}

func TestFileMessagesRoundTrip(t *testing.T) {
	for _, m := range fileMessages() {
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
			for n := headerSize; n < len(b); n++ {
				if _, ok := m.(*FileChunk); ok && n > fileChunkHeader {
					break // the data is opaque; any non-empty part decodes
				}
				if _, err := Unmarshal(b[:n]); err == nil {
					t.Fatalf("prefix of %d bytes decoded", n)
				}
			}
			if !m.Type().FileLane() {
				t.Fatalf("%s not on the file lane", m.Type())
			}
			if from, need := m.Type().Route(); from != SenderAgent|SenderViewer || !need.Has(GrantFiles) {
				t.Fatalf("route of %s: from %v need %s", m.Type(), from, need)
			}
		})
	}
}

func TestFileMessagesRefused(t *testing.T) {
	for name, m := range map[string]Message{
		"empty name":    &FileOffer{ID: 1, Name: ""},
		"long name":     &FileOffer{ID: 1, Name: strings.Repeat("a", MaxFileName+1)},
		"bad utf-8":     &FileOffer{ID: 1, Name: "\xff.txt"},
		"empty chunk":   &FileChunk{ID: 1},
		"chunk too big": &FileChunk{ID: 1, Data: make([]byte, MaxFileChunkData+1)},
		"long reason":   &FileCancel{ID: 1, Reason: strings.Repeat("r", 201)},
	} {
		if _, err := Marshal(m); err == nil {
			t.Errorf("%s: marshalled", name)
		}
	}
	if _, err := Marshal(&FileChunk{ID: 1, Data: make([]byte, MaxFileChunkData)}); err != nil {
		t.Errorf("largest chunk: %v", err)
	}
	// A flag other than 0 or 1 would not re-encode the same.
	b, _ := Marshal(&FileAnswer{ID: 1, Accept: true})
	b[6] = 2
	if _, err := Unmarshal(b); !errors.Is(err, ErrInvalid) {
		t.Errorf("flag 2: %v", err)
	}
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                       "report.pdf",
		"../../etc/passwd":                 "passwd",
		`..\..\Windows\system.ini`:         "system.ini",
		"..":                               "file",
		".":                                "file",
		"":                                 "file",
		"/":                                "file",
		".bashrc":                          "bashrc",
		"a\x00b\nc.txt":                    "a_b_c.txt",
		"CON":                              "_CON",
		"nul.txt":                          "_nul.txt",
		"com1.tar.gz":                      "_com1.tar.gz",
		"console.txt":                      "console.txt",
		"what?<>.txt":                      "what___.txt",
		"trailing. . ":                     "trailing",
		"evil\u202egpj.exe":                "evil_gpj.exe",
		"\xff\xfe.txt":                     "_.txt",
		strings.Repeat("é", 100) + ".docx": strings.Repeat("é", 57) + ".docx",
	} {
		got := CleanFileName(in)
		if got != want {
			t.Errorf("CleanFileName(%q) = %q, want %q", in, got, want)
		}
		if len(got) > maxCleanName || strings.ContainsAny(got, `/\`) || got == ".." {
			t.Errorf("CleanFileName(%q) = %q is not safe", in, got)
		}
	}
}

// FuzzFileMessages feeds arbitrary file-lane bytes to the decoder: it must
// never panic, what it accepts re-encodes to the same bytes, and a name it
// accepts cleans to something safe.
func FuzzFileMessages(f *testing.F) {
	for _, m := range fileMessages() {
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
		if o, ok := m.(*FileOffer); ok {
			c := CleanFileName(o.Name)
			if c == "" || c == "." || c == ".." || strings.ContainsAny(c, "/\\\x00") || len(c) > maxCleanName {
				t.Fatalf("name %q cleaned to %q", o.Name, c)
			}
		}
	})
}
