package branding

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"golang.org/x/image/draw"
)

// Limits of a profile photo.
const (
	// MaxPhotoBytes bounds the upload: a photo straight from a phone fits.
	MaxPhotoBytes = 8 << 20
	// PhotoSide is the side of the stored photo, a square cut from the middle of the upload.
	PhotoSide = 256
)

// Why a photo is refused; the web layer says each in the reader's language.
var (
	ErrPhotoEmpty    = errors.New("branding: the photo file is empty")
	ErrPhotoTooLarge = errors.New("branding: the photo file is too large")
	ErrPhotoFormat   = errors.New("branding: the photo is not a PNG, JPEG or WebP image")
	ErrPhotoPixels   = errors.New("branding: the photo has too many pixels")
	ErrPhotoDamaged  = errors.New("branding: the photo cannot be decoded")
)

// CheckPhoto reads an uploaded profile photo with the logo's checks (size read with a limit, pixels
// counted from the header before anything is decoded, so a decompression bomb never decodes) and returns
// it re-encoded as a JPEG square of PhotoSide pixels: nothing of the uploaded file (metadata, location,
// trailing bytes) is kept.
func CheckPhoto(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPhotoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("branding: read photo: %w", err)
	}
	switch {
	case len(data) == 0:
		return nil, ErrPhotoEmpty
	case len(data) > MaxPhotoBytes:
		return nil, ErrPhotoTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, ErrPhotoFormat
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxLogoPixels {
		return nil, ErrPhotoPixels
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, ErrPhotoDamaged
	}
	// The middle square, scaled to PhotoSide (up or down: every photo is shown at the same size).
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	dst := image.NewRGBA(image.Rect(0, 0, PhotoSide, PhotoSide))
	// JPEG has no transparency: a transparent picture sits on white.
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Over, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("branding: encode photo: %w", err)
	}
	return out.Bytes(), nil
}
