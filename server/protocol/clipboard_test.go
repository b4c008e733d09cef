package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestClipboardTextBounds(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		want error
	}{
		{"largest", strings.Repeat("a", MaxClipboardText), nil},
		{"multibyte", "ж€😀", nil},
		{"one byte too many", strings.Repeat("a", MaxClipboardText+1), ErrTooLarge},
		{"empty", "", ErrInvalid},
		{"not utf-8", "caf\xe9", ErrInvalid},
		{"nul", "a\x00b", ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(&ClipboardText{Text: tt.text})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Marshal: %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				// The same bytes forged by hand are refused on arrival too.
				forged := append([]byte{Version, byte(TypeClipboardText)}, tt.text...)
				if _, err := Unmarshal(forged); err == nil && len(forged) <= MaxMessageSize {
					t.Fatalf("forged %s accepted", tt.name)
				}
				return
			}
			if len(b) > MaxMessageSize {
				t.Fatalf("encoded %d bytes, over MaxMessageSize", len(b))
			}
			m, err := Unmarshal(b)
			if err != nil || m.(*ClipboardText).Text != tt.text {
				t.Fatalf("Unmarshal: %v", err)
			}
		})
	}
}

func TestClipboardTooLargeBounds(t *testing.T) {
	if _, err := Marshal(&ClipboardTooLarge{Size: MaxClipboardText}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a size that fits marshalled: %v", err)
	}
	if _, err := Unmarshal([]byte{Version, byte(TypeClipboardTooLarge), 0, 0, 0, 9}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a forged small size decoded: %v", err)
	}
}
