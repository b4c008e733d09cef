package consent

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"tether/server/protocol"
)

// brandCSS is the stylesheet that puts the provider's colours on the page:
// custom properties only, made from colours protocol.AgentBrand.Validate
// accepted ("#rrggbb"), so nothing of the settings is ever CSS text of its
// own. Served as a file, since the page's CSP allows no inline style.
// Without colours it is empty and page.css keeps Tether's.
func brandCSS(b protocol.AgentBrand) []byte {
	var css string
	if p, ok := parseColor(b.Primary); ok {
		css += fmt.Sprintf("--accent: %s; --on-accent: %s; --accent-text: %s; --accent-soft: %s; ",
			p.hex(), onColor(p).hex(), readableOn(p, white).hex(), p.mix(white, 0.9).hex())
	}
	if a, ok := parseColor(b.Accent); ok {
		css += fmt.Sprintf("--brand-accent: %s; ", a.hex())
	}
	if css == "" {
		return nil
	}
	return []byte("/* The provider's colours, from the signed settings. */\n:root { " + css + "}\n")
}

// serveBrand answers brand.css and logo.png, both from the settings this
// program carries: the page asks the support server for nothing.
func (p *Page) serveBrand(w http.ResponseWriter, name string) {
	switch {
	case name == "brand.css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(p.brandCSS)
	case name == "logo.png" && p.brand.Logo != nil:
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(p.brand.Logo)))
		_, _ = w.Write(p.brand.Logo)
	default:
		http.NotFound(w, nil)
	}
}

// rgb is a colour with channels 0..1.
type rgb struct{ r, g, b float64 }

var (
	white = rgb{1, 1, 1}
	ink   = rgb{0x1c / 255.0, 0x22 / 255.0, 0x30 / 255.0} // page.css --ink
)

// parseColor reads a validated "#rrggbb".
func parseColor(c string) (rgb, bool) {
	if !protocol.ValidColor(c) {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(c[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}, true
}

func (c rgb) hex() string {
	ch := func(v float64) int { return int(math.Round(min(max(v, 0), 1) * 255)) }
	return fmt.Sprintf("#%02x%02x%02x", ch(c.r), ch(c.g), ch(c.b))
}

// mix is c moved by t (0..1) towards o.
func (c rgb) mix(o rgb, t float64) rgb {
	return rgb{c.r + (o.r-c.r)*t, c.g + (o.g-c.g)*t, c.b + (o.b-c.b)*t}
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio of two colours (1 to 21).
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// onColor is the text colour for a button filled with c: white, or the
// page's ink on a light colour.
func onColor(c rgb) rgb {
	if contrast(white, c) >= contrast(ink, c) {
		return white
	}
	return ink
}

// readableOn is c darkened just enough to be read as text on bg (contrast
// 4.5, WCAG AA): a pale primary colour still colours links and outlined
// buttons, legibly.
func readableOn(c, bg rgb) rgb {
	for t := 0.0; t < 1; t += 0.05 {
		if d := c.mix(rgb{}, t); contrast(d, bg) >= 4.5 {
			return d
		}
	}
	return ink
}
