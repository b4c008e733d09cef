package branding

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image/png"
	"io"
	"sort"
)

// Limits of an uploaded icon.
const (
	// MaxIconBytes bounds the .ico upload.
	MaxIconBytes = 1 << 20
	// MaxIconImages bounds the images in one .ico (Windows uses a handful: 16, 24, 32, 48, 64, 256).
	MaxIconImages = 16
	// MaxIconSide is the largest image an ICO holds (an entry's width byte 0 means 256).
	MaxIconSide = 256
)

// Icon is a checked Windows icon: an ICO file rebuilt from its checked images.
type Icon struct {
	Data []byte
	// Sizes are the images' widths, largest first.
	Sizes []int
}

// An ICO file (https://learn.microsoft.com/en-us/previous-versions/ms997538(v=msdn.10)):
//
//	ICONDIR        reserved u16 = 0 | type u16 = 1 (icon) | count u16
//	ICONDIRENTRY×n width u8 (0 = 256) | height u8 | colours u8 | reserved u8 | planes u16 | bit count u16 |
//	               bytes u32 | offset u32
//	images         each a PNG file, or a BMP without its file header: BITMAPINFOHEADER, palette,
//	               XOR (colour) rows, AND (mask) rows, height counting both
//
// All little-endian.
const (
	icoDirSize   = 6
	icoEntrySize = 16
	bmpInfoSize  = 40
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

type icoImage struct {
	width, height int
	bitCount      int
	colours       int
	data          []byte
}

// CheckIcon reads an uploaded .ico (at most MaxIconBytes) and returns it rebuilt from its images after
// checking every one: a PNG that decodes, or a BMP whose header, palette and pixel rows fit its entry;
// at most MaxIconImages images of at most MaxIconSide pixels a side. Anything else is a Refusal.
func CheckIcon(r io.Reader) (Icon, error) {
	data, err := readLimited(r, MaxIconBytes, "icon")
	if err != nil {
		return Icon{}, err
	}
	images, err := parseICO(data)
	if err != nil {
		return Icon{}, err
	}
	sort.SliceStable(images, func(i, j int) bool { return images[i].width > images[j].width })
	return Icon{Data: buildICO(images), Sizes: sizes(images)}, nil
}

func sizes(images []icoImage) []int {
	out := make([]int, len(images))
	for i, im := range images {
		out[i] = im.width
	}
	return out
}

func parseICO(data []byte) ([]icoImage, error) {
	notICO := refuse("The icon is not a Windows icon (.ico) file. Convert it to .ico, with sizes up to %d×%d.", MaxIconSide, MaxIconSide)
	if len(data) < icoDirSize {
		return nil, notICO
	}
	le := binary.LittleEndian
	if le.Uint16(data[0:]) != 0 || le.Uint16(data[2:]) != 1 {
		return nil, notICO
	}
	n := int(le.Uint16(data[4:]))
	if n == 0 {
		return nil, refuse("The icon file holds no images.")
	}
	if n > MaxIconImages {
		return nil, refuse("The icon file holds %d images; the limit is %d.", n, MaxIconImages)
	}
	dirEnd := icoDirSize + n*icoEntrySize
	if len(data) < dirEnd {
		return nil, refuse("The icon file is cut short: its directory lists %d images that are not there.", n)
	}
	images := make([]icoImage, 0, n)
	for i := range n {
		e := data[icoDirSize+i*icoEntrySize:]
		size, off := int64(le.Uint32(e[8:])), int64(le.Uint32(e[12:]))
		if size == 0 || off < int64(dirEnd) || off+size > int64(len(data)) {
			return nil, refuse("The icon file is damaged: image %d lies outside the file.", i+1)
		}
		img := data[off : off+size]
		var im icoImage
		var err error
		if bytes.HasPrefix(img, pngMagic) {
			im, err = checkPNGImage(img, i+1)
		} else {
			im, err = checkBMPImage(img, i+1)
		}
		if err != nil {
			return nil, err
		}
		images = append(images, im)
	}
	return images, nil
}

func checkPNGImage(img []byte, n int) (icoImage, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return icoImage{}, refuse("The icon file is damaged: image %d is not a valid PNG.", n)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxIconSide || cfg.Height > MaxIconSide {
		return icoImage{}, refuse("Image %d of the icon is %d×%d pixels; an icon's images are at most %d×%d.", n, cfg.Width, cfg.Height, MaxIconSide, MaxIconSide)
	}
	// At most 256×256: decoding it whole costs little and proves the pixels are there.
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		return icoImage{}, refuse("The icon file is damaged: image %d is not a valid PNG.", n)
	}
	return icoImage{width: cfg.Width, height: cfg.Height, bitCount: 32, data: img}, nil
}

func checkBMPImage(img []byte, n int) (icoImage, error) {
	damaged := refuse("The icon file is damaged: image %d is neither a PNG nor a valid bitmap.", n)
	if len(img) < bmpInfoSize {
		return icoImage{}, damaged
	}
	le := binary.LittleEndian
	hdr := int64(le.Uint32(img[0:]))
	w, h2 := int64(int32(le.Uint32(img[4:]))), int64(int32(le.Uint32(img[8:])))
	planes, bpp := le.Uint16(img[12:]), int(le.Uint16(img[14:]))
	compression, clrUsed := le.Uint32(img[16:]), int64(le.Uint32(img[32:]))
	if hdr < bmpInfoSize || hdr > int64(len(img)) || planes != 1 {
		return icoImage{}, damaged
	}
	// The height counts the colour rows and the mask rows.
	h := h2 / 2
	if w < 1 || h < 1 || h2%2 != 0 || w > MaxIconSide || h > MaxIconSide {
		return icoImage{}, refuse("Image %d of the icon has a size of %d×%d pixels; an icon's images are 1 to %d pixels a side.", n, w, h, MaxIconSide)
	}
	switch bpp {
	case 1, 4, 8, 24, 32:
	default:
		return icoImage{}, damaged
	}
	// BI_RGB, or BI_BITFIELDS with its three masks for 32-bit images.
	masks := int64(0)
	switch {
	case compression == 0:
	case compression == 3 && bpp == 32:
		if hdr == bmpInfoSize {
			masks = 12
		}
	default:
		return icoImage{}, damaged
	}
	palette := int64(0)
	if bpp <= 8 {
		entries := int64(1) << bpp
		if clrUsed != 0 {
			if clrUsed > entries {
				return icoImage{}, damaged
			}
			entries = clrUsed
		}
		palette = entries * 4
	}
	xorRow := (w*int64(bpp) + 31) / 32 * 4
	andRow := (w + 31) / 32 * 4
	need := hdr + masks + palette + xorRow*h + andRow*h
	if need > int64(len(img)) {
		// Some writers leave out the AND mask of 32-bit images; the colour rows must be there.
		if bpp != 32 || hdr+masks+xorRow*h > int64(len(img)) {
			return icoImage{}, refuse("The icon file is damaged: image %d is cut short.", n)
		}
	}
	colours := 0
	if bpp <= 8 {
		colours = int(palette / 4)
	}
	return icoImage{width: int(w), height: int(h), bitCount: bpp, colours: colours, data: img}, nil
}

// buildICO writes images into a new ICO file with a directory computed from the checked images.
func buildICO(images []icoImage) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, icoDirSize)
	le.PutUint16(hdr[2:], 1)
	le.PutUint16(hdr[4:], uint16(len(images)))
	b.Write(hdr)
	off := icoDirSize + len(images)*icoEntrySize
	for _, im := range images {
		e := make([]byte, icoEntrySize)
		e[0], e[1] = byte(im.width%256), byte(im.height%256) // 256 is written 0
		if im.colours > 0 && im.colours < 256 {
			e[2] = byte(im.colours)
		}
		le.PutUint16(e[4:], 1)
		le.PutUint16(e[6:], uint16(im.bitCount))
		le.PutUint32(e[8:], uint32(len(im.data)))
		le.PutUint32(e[12:], uint32(off))
		off += len(im.data)
		b.Write(e)
	}
	for _, im := range images {
		b.Write(im.data)
	}
	return b.Bytes()
}

// String describes the icon's sizes, for the admin page: "256, 48, 32 and 16 pixels".
func (ic Icon) String() string {
	s := ""
	for i, n := range ic.Sizes {
		switch {
		case i == 0:
		case i == len(ic.Sizes)-1:
			s += " and "
		default:
			s += ", "
		}
		s += fmt.Sprint(n)
	}
	return s + " pixels"
}
