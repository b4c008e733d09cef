package templates

import "time"

// Times on pages. Every time a page shows is in the reader's zone and clock (an engineer's profile; the
// server's zone and a 24-hour clock for everyone else), in the page's language. A <time> element carries
// Stamp in its datetime attribute, so that scripts can read the instant.

// When is a date and a time: "Nov 22, 2026, 15:04" (de "22.11.2026, 15:04", zh "2026年11月22日 15:04").
func (p Page) When(t time.Time) string {
	return p.Day(t) + p.sep() + p.Clock(t)
}

// Day is a date: "Nov 22, 2026" (de "22.11.2026", zh "2026年11月22日").
func (p Page) Day(t time.Time) string {
	t = p.in(t)
	switch p.Language() {
	case "de":
		return t.Format("02.01.2006")
	case "zh-Hans":
		return t.Format("2006年1月2日")
	}
	return t.Format("Jan 2, 2006")
}

// Clock is a time of day: "15:04" or "3:04 PM".
func (p Page) Clock(t time.Time) string {
	if p.Clock12h {
		return p.in(t).Format("3:04 PM")
	}
	return p.in(t).Format("15:04")
}

// ClockSec is a time of day with seconds: "15:04:05" or "3:04:05 PM", for logs.
func (p Page) ClockSec(t time.Time) string {
	if p.Clock12h {
		return p.in(t).Format("3:04:05 PM")
	}
	return p.in(t).Format("15:04:05")
}

// WhenZone is When with the zone's abbreviation, for a page that may be read elsewhere (a report, an
// expiry told to a customer): "Nov 22, 2026, 15:04 CET".
func (p Page) WhenZone(t time.Time) string {
	return p.When(t) + " " + p.in(t).Format("MST")
}

// Stamp is the instant for a datetime attribute: RFC 3339 with milliseconds.
func Stamp(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }

func (p Page) in(t time.Time) time.Time { return t.In(p.Location()) }

// Location is the reader's time zone: Zone, or the server's.
func (p Page) Location() *time.Location {
	if p.Zone == nil {
		return time.Local
	}
	return p.Zone
}

func (p Page) sep() string {
	if p.Language() == "zh-Hans" {
		return " "
	}
	return ", "
}

// WhenSecZone is WhenSec with the zone's abbreviation, for a record (a session report): "Nov 22,
// 2026, 15:04:05 CET".
func (p Page) WhenSecZone(t time.Time) string {
	return p.Day(t) + p.sep() + p.ClockSec(t) + " " + p.in(t).Format("MST")
}
