package branding

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withIHDRSize rewrites a PNG's declared size (and the chunk's CRC): a small file that claims a huge picture.
func withIHDRSize(p []byte, w, h uint32) []byte {
	p = bytes.Clone(p)
	// signature (8) | length (4) | "IHDR" (4) | width (4) | height (4) | 5 bytes | CRC (4)
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

func refusal(t *testing.T, err error, want string) {
	t.Helper()
	reason, ok := Refused(err)
	if !ok {
		t.Fatalf("got %v, want a refusal containing %q", err, want)
	}
	if !strings.Contains(reason, want) {
		t.Fatalf("refusal %q does not contain %q", reason, want)
	}
}

func TestCheckLogoRaster(t *testing.T) {
	t.Run("png kept in size", func(t *testing.T) {
		l, err := CheckLogo(bytes.NewReader(pngOf(t, 120, 40)))
		if err != nil {
			t.Fatal(err)
		}
		if l.ContentType != "image/png" || l.Ext != "png" || l.Width != 120 || l.Height != 40 {
			t.Fatalf("%+v", l)
		}
		if _, err := png.Decode(bytes.NewReader(l.Data)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("large png scaled to 512", func(t *testing.T) {
		l, err := CheckLogo(bytes.NewReader(pngOf(t, 1600, 400)))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(l.Data))
		if err != nil || cfg.Width != 512 || cfg.Height != 128 {
			t.Fatalf("%v %+v", err, cfg)
		}
	})
	t.Run("jpeg re-encoded as png", func(t *testing.T) {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 600, 900)), nil); err != nil {
			t.Fatal(err)
		}
		l, err := CheckLogo(&b)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(l.Data))
		if err != nil || cfg.Width != 341 || cfg.Height != 512 {
			t.Fatalf("%v %+v", err, cfg)
		}
	})
	t.Run("webp", func(t *testing.T) {
		data, err := os.ReadFile("testdata/red-3x2.webp")
		if err != nil {
			t.Fatal(err)
		}
		l, err := CheckLogo(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(l.Data))
		if err != nil || img.Bounds().Dx() != 3 || img.Bounds().Dy() != 2 {
			t.Fatalf("%v", err)
		}
		if r, g, _, _ := img.At(1, 1).RGBA(); r>>8 < 200 || g>>8 > 40 {
			t.Fatalf("pixel %v is not red", img.At(1, 1))
		}
	})
}

func TestCheckLogoRefusals(t *testing.T) {
	small := pngOf(t, 8, 8)
	var gif bytes.Buffer
	gif.WriteString("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"not an image", []byte("hello, this is a text file"), "not a PNG, JPEG, WebP or SVG"},
		{"gif", gif.Bytes(), "not a PNG, JPEG, WebP or SVG"},
		{"too big", append(bytes.Clone(small), make([]byte, MaxLogoBytes)...), "larger than 2 MB"},
		{"decompression bomb", withIHDRSize(small, 100000, 100000), "100000×100000 pixels; the limit is 16 megapixels"},
		{"just over the pixel limit", withIHDRSize(small, 4097, 4096), "the limit is 16 megapixels"},
		{"damaged png", withIHDRSize(small, 8, 9), "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckLogo(bytes.NewReader(tc.data))
			refusal(t, err, tc.want)
		})
	}
}

const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Created with an editor -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 100 40" inkscape:version="1.3" data-name="Layer 1">
  <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <defs><linearGradient id="g1"><stop offset="0" stop-color="#f60"/><stop offset="1" style="stop-color:#c30;stop-opacity:1"/></linearGradient></defs>
  <rect width="100" height="40" rx="6" fill="url(#g1)"/>
  <text x="50" y="26" text-anchor="middle" font-family="Arial" fill="#fff">Acme &amp; Co</text>
  <use xlink:href="#g1" x="2"/>
</svg>`

func TestSanitizeSVGKeepsALogo(t *testing.T) {
	l, err := CheckLogo(strings.NewReader(goodSVG))
	if err != nil {
		t.Fatal(err)
	}
	out := string(l.Data)
	if l.ContentType != "image/svg+xml" {
		t.Fatal(l.ContentType)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 40">`,
		`fill="url(#g1)"`, `Acme &amp; Co</text>`, `xlink:href="#g1"`, `style="stop-color:#c30;stop-opacity:1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("sanitised SVG lacks %s:\n%s", want, out)
		}
	}
	for _, gone := range []string{"inkscape", "metadata", "rdf", "data-name", "<!--", "<?xml"} {
		if strings.Contains(out, gone) {
			t.Errorf("sanitised SVG still has %s:\n%s", gone, out)
		}
	}
	// What comes out passes again, unchanged.
	again, err := SanitizeSVG(l.Data)
	if err != nil || !bytes.Equal(again, l.Data) {
		t.Fatalf("not stable: %v\n%s", err, again)
	}
}

func TestSanitizeSVGRefusals(t *testing.T) {
	const open = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">`
	for _, tc := range []struct {
		name, svg, want string
	}{
		{"script", open + `<script>alert(1)</script></svg>`, "<script>"},
		{"script in a foreign namespace", open + `<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script></svg>`, "<script>"},
		{"event handler", open + `<rect width="1" height="1" onclick="alert(1)"/></svg>`, "event handler"},
		{"onload on the root", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`, "event handler"},
		{"foreignObject", open + `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>`, "foreignObject"},
		{"style sheet", open + `<style>@import url(http://evil/x.css);</style></svg>`, "<style>"},
		{"external image", open + `<image href="http://evil.example/x.png"/></svg>`, "<image>"},
		{"link", open + `<a href="javascript:alert(1)"><rect/></a></svg>`, "<a>"},
		{"animation", open + `<set attributeName="href" to="javascript:alert(1)"/></svg>`, "<set>"},
		{"external use", open + `<use href="http://evil.example/s.svg#x"/></svg>`, "only references to the logo's own parts"},
		{"javascript xlink", open + `<use xlink:href="javascript:alert(1)"/></svg>`, "only references"},
		{"external fill", open + `<rect fill="url(http://evil.example/p.svg#g)"/></svg>`, "url(#id)"},
		{"external url in style", open + `<rect style="fill:url('https://evil.example/g')"/></svg>`, "url(#id)"},
		{"style escapes", open + `<rect style="fill:\75rl(x)"/></svg>`, "escapes"},
		{"style property", open + `<rect style="background-image:none"/></svg>`, "background-image"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]>` + open + `<text>&x;</text></svg>`, "DOCTYPE"},
		{"unknown entity", open + `<text>&x;</text></svg>`, "not well-formed"},
		{"processing instruction", open + `<?php echo 1 ?></svg>`, "processing instruction"},
		{"not svg", `<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>`, "not an SVG image"},
		{"svg without namespace", `<svg><rect/></svg>`, "not an SVG image"},
		{"unclosed", open + `<g>`, "not well-formed"},
		{"another default namespace", open + `<g xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></g></svg>`, "<script>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckLogo(strings.NewReader(tc.svg))
			refusal(t, err, tc.want)
		})
	}
}

// icoOf builds an ICO file around PNG images of the given sizes.
func icoOf(t testing.TB, sizes ...int) []byte {
	var images []icoImage
	for _, s := range sizes {
		images = append(images, icoImage{width: s, height: s, bitCount: 32, data: pngOf(t, s, s)})
	}
	return buildICO(images)
}

func TestCheckIcon(t *testing.T) {
	t.Run("png images", func(t *testing.T) {
		ic, err := CheckIcon(bytes.NewReader(icoOf(t, 16, 256, 32)))
		if err != nil {
			t.Fatal(err)
		}
		if ic.String() != "256, 32 and 16 pixels" {
			t.Fatal(ic.String())
		}
		if ic.Data[6] != 0 { // the 256 image comes first, its width written 0
			t.Fatalf("first entry width byte %d", ic.Data[6])
		}
	})
	t.Run("bitmap images written by ImageMagick", func(t *testing.T) {
		data, err := os.ReadFile("testdata/bmp-32-16.ico")
		if err != nil {
			t.Fatal(err)
		}
		ic, err := CheckIcon(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if ic.String() != "32 and 16 pixels" || !bytes.Equal(ic.Data, data) {
			t.Fatalf("%s; rebuilt file differs from a clean one: %d vs %d bytes", ic, len(ic.Data), len(data))
		}
	})
}

func TestCheckIconRefusals(t *testing.T) {
	good := icoOf(t, 32)
	le := binary.LittleEndian
	patch := func(data []byte, at int, v uint32, size int) []byte {
		d := bytes.Clone(data)
		if size == 2 {
			le.PutUint16(d[at:], uint16(v))
		} else {
			le.PutUint32(d[at:], v)
		}
		return d
	}
	bmp, err := os.ReadFile("testdata/bmp-32-16.ico")
	if err != nil {
		t.Fatal(err)
	}
	bmpAt := int(le.Uint32(bmp[6+12:]))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"a png, not an ico", pngOf(t, 16, 16), "not a Windows icon"},
		{"text", []byte("not an icon at all"), "not a Windows icon"},
		{"cursor", patch(good, 2, 2, 2), "not a Windows icon"},
		{"no images", patch(good, 4, 0, 2), "no images"},
		{"too many images", patch(good, 4, 17, 2), "the limit is 16"},
		{"directory cut short", patch(good, 4, 3, 2)[:6+16+8], "cut short"},
		{"image outside the file", patch(good, 6+12, 1<<30, 4), "outside the file"},
		{"image size outside the file", patch(good, 6+8, 1<<30, 4), "outside the file"},
		{"png too large", icoOf(t, 300), "at most 256×256"},
		{"damaged png", func() []byte { d := bytes.Clone(good); d[len(d)-20] ^= 0xff; return d }(), "not a valid PNG"},
		{"bitmap too wide", patch(bmp, bmpAt+4, 4000, 4), "1 to 256 pixels"},
		{"bitmap with odd bit depth", patch(bmp, bmpAt+14, 7, 2), "neither a PNG nor a valid bitmap"},
		{"bitmap cut short", patch(bmp, 6+8, 200, 4), "cut short"},
		{"too big", append(bytes.Clone(good), make([]byte, MaxIconBytes)...), "larger than 1 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckIcon(bytes.NewReader(tc.data))
			refusal(t, err, tc.want)
		})
	}
}

func FuzzCheckIcon(f *testing.F) {
	f.Add(icoOf(f, 16, 32))
	if bmp, err := os.ReadFile("testdata/bmp-32-16.ico"); err == nil {
		f.Add(bmp)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ic, err := CheckIcon(bytes.NewReader(data))
		if err != nil {
			if _, ok := Refused(err); !ok {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		// What passed is a clean ICO that passes again to the same bytes.
		again, err := CheckIcon(bytes.NewReader(ic.Data))
		if err != nil || !bytes.Equal(again.Data, ic.Data) {
			t.Fatalf("rebuilt icon does not pass again: %v", err)
		}
	})
}

func FuzzSanitizeSVG(f *testing.F) {
	f.Add([]byte(goodSVG))
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := SanitizeSVG(data)
		if err != nil {
			if _, ok := Refused(err); !ok {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		again, err := SanitizeSVG(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("sanitised SVG does not pass again unchanged: %v\n%s\n%s", err, out, again)
		}
		if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
			t.Fatalf("script survived: %s", out)
		}
	})
}
