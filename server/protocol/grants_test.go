package protocol

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestGrants(t *testing.T) {
	tests := []struct {
		g     Grants
		store string
		json  string
	}{
		{0, "", `[]`},
		{GrantView, "view", `["view"]`},
		{GrantView | GrantControl, "view,control", `["view","control"]`},
		{GrantView | GrantControl | GrantClipboard | GrantFiles, "view,control,clipboard,files", `["view","control","clipboard","files"]`},
		{GrantView | GrantLimited, "view,limited", `["view","limited"]`},
		{GrantView | GrantControl | GrantLimited, "view,control,limited", `["view","control","limited"]`},
	}
	for _, tt := range tests {
		if s := tt.g.String(); s != tt.store {
			t.Errorf("%#x.String() = %q, want %q", uint8(tt.g), s, tt.store)
		}
		if g, err := ParseGrants(tt.store); err != nil || g != tt.g {
			t.Errorf("ParseGrants(%q) = %v, %v", tt.store, g, err)
		}
		b, err := json.Marshal(tt.g)
		if err != nil || string(b) != tt.json {
			t.Errorf("json %s, %v; want %s", b, err, tt.json)
		}
		var back Grants
		if err := json.Unmarshal(b, &back); err != nil || back != tt.g {
			t.Errorf("json round trip of %s: %v, %v", b, back, err)
		}
		var scanned Grants
		v, _ := tt.g.Value()
		if err := scanned.Scan(v); err != nil || scanned != tt.g {
			t.Errorf("sql round trip: %v, %v", scanned, err)
		}
	}
	for _, bad := range []string{"view,typo", "control", "files", "limited", "VIEW", "view,,control"} {
		if _, err := ParseGrants(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseGrants(%q) accepted: %v", bad, err)
		}
	}
	for _, bad := range []string{`["view","root"]`, `["control"]`, `"view"`, `[1]`} {
		var g Grants
		if err := json.Unmarshal([]byte(bad), &g); err == nil {
			t.Errorf("json %s accepted as %v", bad, g)
		}
	}
	if (GrantView | GrantControl).Has(GrantFiles) || !(GrantView | GrantControl).Has(GrantControl) || Grants(0).Has(0) {
		t.Error("Has is wrong")
	}
}

// TestLimitedControl: control implies limited control (the pointer), never
// the other way round, and the implication does not change the names.
func TestLimitedControl(t *testing.T) {
	full, limited := GrantView|GrantControl, GrantView|GrantLimited
	if !full.Has(GrantLimited) || !full.Has(GrantView|GrantLimited) {
		t.Error("control does not imply limited control")
	}
	if limited.Has(GrantControl) {
		t.Error("limited control implies control")
	}
	if got := full.String(); got != "view,control" {
		t.Errorf("control lists %q", got)
	}
	if got := limited.Labels(); len(got) != 2 || got[1] != "use your mouse, not your keyboard" {
		t.Errorf("labels %q", got)
	}
	for _, tt := range []struct {
		g          Grants
		point, key bool
	}{{GrantView, false, false}, {limited, true, false}, {full, true, true}, {full | GrantLimited, true, true}} {
		_, pointer := TypeMouseButton.Route()
		_, keys := TypeKey.Route()
		if tt.g.Has(pointer) != tt.point || tt.g.Has(keys) != tt.key {
			t.Errorf("%s: pointer %v keys %v, want %v %v", tt.g, tt.g.Has(pointer), tt.g.Has(keys), tt.point, tt.key)
		}
	}
}

func TestRoute(t *testing.T) {
	for typ := Type(0); typ < 255; typ++ {
		from, need := typ.Route()
		switch typ {
		case TypeMouseMove, TypeMouseButton, TypeWheel:
			if from != SenderViewer || need != GrantLimited {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeKey:
			if from != SenderViewer || need != GrantControl {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeHello, TypeUpdate, TypePhoto, TypeFrameEnd, TypeCursorPos, TypeCursorShape:
			if from != SenderAgent || need != GrantView {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeDisplays:
			if from != SenderAgent || need != GrantView {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeFrameAck, TypeRequestFull, TypeSelectDisplay:
			if from != SenderViewer || need != GrantView {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypePaused:
			if from != SenderAgent || need != GrantView {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypePing, TypePong:
			if from != SenderAgent|SenderViewer {
				t.Errorf("%s: from %d", typ, from)
			}
		case TypeFileOffer, TypeFileAnswer, TypeFileChunk, TypeFileAck, TypeFileEnd, TypeFileResult, TypeFileCancel:
			if from != SenderAgent|SenderViewer || need != GrantView|GrantFiles {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeScope, TypePoint:
			// TestWindowMessagesRoutes
		case TypeClipboardText:
			if from != SenderAgent|SenderViewer || need != GrantView|GrantClipboard {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		case TypeClipboardTooLarge:
			if from != SenderAgent || need != GrantView|GrantClipboard {
				t.Errorf("%s: from %d need %s", typ, from, need)
			}
		default:
			if from != 0 {
				t.Errorf("unknown type %d has a route", typ)
			}
		}
	}
}

func TestCheckScreenSize(t *testing.T) {
	for _, ok := range [][2]int{{1, 1}, {1920, 1080}, {11520, 2160}, {7680, 4320}, {8192, 8192}} {
		if err := CheckScreenSize(ok[0], ok[1]); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	for _, bad := range [][2]int{{0, 1080}, {1920, 0}, {65535, 65535}, {16385, 100}, {16384, 16384}} {
		if err := CheckScreenSize(bad[0], bad[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v accepted", bad)
		}
	}
}
