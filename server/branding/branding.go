// Package branding checks what a provider uploads to brand its customer pages: the logo (PNG, JPEG or
// WebP, re-encoded to PNG; or SVG, kept only through a strict allowlist) and the icon (a real Windows ICO,
// rebuilt from its checked images). Everything here is pure: bytes in, checked bytes or a Refusal out.
package branding

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	// Registered decoders: the logo formats accepted. GIF and anything else are refused by name.
	_ "image/jpeg"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"
)

// Limits of an uploaded logo.
const (
	// MaxLogoBytes bounds the upload, any format.
	MaxLogoBytes = 2 << 20
	// MaxLogoPixels bounds width×height of a raster logo before it is decoded: a small file that
	// claims a huge picture (a decompression bomb) is refused without allocating it.
	MaxLogoPixels = 4096 * 4096
	// MaxLogoSide is the largest width or height a stored raster logo has; larger ones are scaled down.
	MaxLogoSide = 512
)

// Refusal is an upload that is not accepted; its message names the limit or the reason, for the admin.
type Refusal struct{ Reason string }

func (r *Refusal) Error() string { return r.Reason }

// Refused reports whether err is a Refusal and returns its reason.
func Refused(err error) (string, bool) {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason, true
	}
	return "", false
}

func refuse(format string, args ...any) error { return &Refusal{Reason: fmt.Sprintf(format, args...)} }

// Logo is a checked logo, ready to store and serve.
type Logo struct {
	Data        []byte
	ContentType string // image/png or image/svg+xml
	Ext         string // "png" or "svg"
	Width       int    // of the stored PNG; 0 for SVG
	Height      int
}

// readLimited reads all of r, refusing more than limit bytes.
func readLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("branding: read %s: %w", what, err)
	}
	if int64(len(data)) > limit {
		return nil, refuse("The %s is larger than %s. Upload a smaller file.", what, humanSize(limit))
	}
	if len(data) == 0 {
		return nil, refuse("The %s file is empty.", what)
	}
	return data, nil
}

// CheckLogo reads an uploaded logo (at most MaxLogoBytes) and returns it re-encoded as a PNG of at most
// MaxLogoSide pixels a side, or, for SVG, sanitised (SanitizeSVG). Anything else is a Refusal.
func CheckLogo(r io.Reader) (Logo, error) {
	data, err := readLimited(r, MaxLogoBytes, "logo")
	if err != nil {
		return Logo{}, err
	}
	if looksLikeSVG(data) {
		clean, err := SanitizeSVG(data)
		if err != nil {
			return Logo{}, err
		}
		return Logo{Data: clean, ContentType: "image/svg+xml", Ext: "svg"}, nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Logo{}, refuse("The logo is not a PNG, JPEG, WebP or SVG image.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Logo{}, refuse("The logo has no pixels.")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxLogoPixels {
		return Logo{}, refuse("The logo is %d×%d pixels; the limit is %d megapixels (for example 4096×4096). Upload a smaller picture.",
			cfg.Width, cfg.Height, MaxLogoPixels/1_000_000)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Logo{}, refuse("The logo's %s data is damaged and cannot be read.", format)
	}
	img = fit(img, MaxLogoSide)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		return Logo{}, fmt.Errorf("branding: encode logo: %w", err)
	}
	b := img.Bounds()
	return Logo{Data: out.Bytes(), ContentType: "image/png", Ext: "png", Width: b.Dx(), Height: b.Dy()}, nil
}

// fit scales img down (never up) so that neither side exceeds side, keeping its proportions.
func fit(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		h, w = max(1, h*side/w), side
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// looksLikeSVG reports whether data starts like an XML document (after a BOM and white space).
func looksLikeSVG(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(data, []byte("<"))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
