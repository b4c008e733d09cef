package protocol

import (
	"errors"
	"testing"
)

func TestPausedRefusesOtherValues(t *testing.T) {
	for _, b := range [][]byte{
		{Version, byte(TypePaused), 2},
		{Version, byte(TypePaused)},
		{Version, byte(TypePaused), 1, 0},
	} {
		if _, err := Unmarshal(b); err == nil {
			t.Errorf("Unmarshal(%x) accepted", b)
		}
	}
	m, err := Unmarshal([]byte{Version, byte(TypePaused), 1})
	if err != nil || !m.(*Paused).Paused {
		t.Fatalf("Unmarshal(paused) = %+v, %v", m, err)
	}
}

func TestGrantRequestValidate(t *testing.T) {
	for _, tt := range []struct {
		g  Grants
		ok bool
	}{
		{GrantView | GrantControl, true},
		{GrantView | GrantClipboard | GrantFiles, true},
		{GrantView, false},
		{0, false},
		{GrantControl, false}, // without view: not a valid set
	} {
		err := GrantRequest{Grants: tt.g}.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("Validate(%s) = %v, want ok %v", tt.g, err, tt.ok)
		}
	}
}
