package templates

import (
	"testing"
	"time"
)

func TestTimesInTheReadersZoneAndLanguage(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 22, 14, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		p    Page
		want string
	}{
		{Page{Zone: time.UTC}, "Nov 22, 2026, 14:04"},
		{Page{Zone: berlin}, "Nov 22, 2026, 15:04"},
		{Page{Zone: berlin, Clock12h: true}, "Nov 22, 2026, 3:04 PM"},
		{Page{Zone: berlin, Lang: "de"}, "22.11.2026, 15:04"},
		{Page{Zone: time.UTC, Lang: "zh-Hans"}, "2026年11月22日 14:04"},
	} {
		if got := tt.p.When(at); got != tt.want {
			t.Errorf("%+v: When = %q, want %q", tt.p.Lang, got, tt.want)
		}
	}
	if got := (Page{Zone: berlin, Clock12h: true}).ClockSec(at); got != "3:04:05 PM" {
		t.Errorf("ClockSec = %q", got)
	}
	if got := (Page{Zone: berlin}).WhenZone(at); got != "Nov 22, 2026, 15:04 CET" {
		t.Errorf("WhenZone = %q", got)
	}
}
