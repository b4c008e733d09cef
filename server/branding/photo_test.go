package branding

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func encodePNG(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckPhoto(t *testing.T) {
	wide := image.NewRGBA(image.Rect(0, 0, 1200, 300))
	for i := range wide.Pix {
		wide.Pix[i] = 200
	}
	// A transparent picture: JPEG has no alpha, so it must come out on white, not black.
	clear := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	// Only the header of a 5000×5000 PNG is read: it is refused before decoding.
	huge := encodePNG(t, image.NewGray(image.Rect(0, 0, 5000, 5000)))
	tests := []struct {
		name string
		data []byte
		err  error
	}{
		{"wide", encodePNG(t, wide), nil},
		{"transparent", encodePNG(t, clear), nil},
		{"empty", nil, ErrPhotoEmpty},
		{"text", []byte("hello"), ErrPhotoFormat},
		{"too many pixels", huge, ErrPhotoPixels},
		{"too large", bytes.Repeat([]byte{0}, MaxPhotoBytes+1), ErrPhotoTooLarge},
		{"damaged", encodePNG(t, wide)[:200], ErrPhotoDamaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := CheckPhoto(bytes.NewReader(tt.data))
			if !errors.Is(err, tt.err) {
				t.Fatalf("CheckPhoto = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			img, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil || img.Bounds().Dx() != PhotoSide || img.Bounds().Dy() != PhotoSide {
				t.Fatalf("stored photo: %v %v", err, img.Bounds())
			}
			if tt.name == "transparent" {
				if r, g, b, _ := img.At(10, 10).RGBA(); r < 0xf000 || g < 0xf000 || b < 0xf000 {
					t.Fatalf("transparent became %v", color.RGBAModel.Convert(img.At(10, 10)))
				}
			}
		})
	}
}
