package protocol

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/pierrec/lz4/v4"
)

// Codec names how a Tile's Data encodes its pixels. Every codec is lossless
// and decodes to packed RGB, 3 bytes a pixel, rows top to bottom.
type Codec uint8

const (
	// CodecRaw is packed RGB, uncompressed.
	CodecRaw Codec = 0
	// CodecSolid is one RGB colour filling the tile: 3 bytes.
	CodecSolid Codec = 1
	// CodecLZ4 is packed RGB compressed as one LZ4 block.
	CodecLZ4 Codec = 2
	// CodecS2 is packed RGB compressed as one S2 block (Snappy-compatible).
	CodecS2 Codec = 3
)

func (c Codec) String() string {
	switch c {
	case CodecRaw:
		return "raw"
	case CodecSolid:
		return "solid"
	case CodecLZ4:
		return "lz4"
	case CodecS2:
		return "s2"
	}
	return fmt.Sprintf("codec(%d)", uint8(c))
}

// DefaultCodec is the compressor the agent uses for changed tiles. S2 was
// chosen by the benchmarks in server/protocol/codecbench on real X screens:
// against LZ4 it sends 4-14% fewer bytes and encodes faster on every screen,
// for 2-7 ms more WebAssembly decode per full 1080p frame; zstd saves more
// bytes but decodes 1.4-2.6x slower than LZ4 in wasm. See docs/codec.md.
const DefaultCodec = CodecS2

// TileEncoder compresses rectangles of a BGRA frame (the byte order both X11
// and Windows GDI capture in). It keeps scratch buffers between calls, so one
// encoder serves one goroutine.
type TileEncoder struct {
	Codec Codec
	rgb   []byte
	out   []byte
	lz4   lz4.Compressor
}

// Encode compresses the W×H rectangle at X, Y of src, a BGRA image with
// stride bytes per row. The returned Data is valid until the next call.
func (e *TileEncoder) Encode(src []byte, stride, x, y, w, h int) Tile {
	t := Tile{X: uint16(x), Y: uint16(y), W: uint16(w), H: uint16(h)}
	n := w * h * 3
	if cap(e.rgb) < n {
		e.rgb = make([]byte, n)
	}
	rgb := e.rgb[:n]
	solid := true
	first := src[y*stride+x*4 : y*stride+x*4+4]
	fb, fg, fr := first[0], first[1], first[2]
	o := 0
	for row := y; row < y+h; row++ {
		line := src[row*stride+x*4 : row*stride+(x+w)*4]
		for i := 0; i+3 < len(line); i += 4 {
			b, g, r := line[i], line[i+1], line[i+2]
			rgb[o], rgb[o+1], rgb[o+2] = r, g, b
			o += 3
			if solid && (b != fb || g != fg || r != fr) {
				solid = false
			}
		}
	}
	if solid {
		t.Codec = CodecSolid
		t.Data = append(e.out[:0], fr, fg, fb)
		e.out = t.Data
		return t
	}
	switch e.Codec {
	case CodecLZ4:
		bound := lz4.CompressBlockBound(n)
		if cap(e.out) < bound {
			e.out = make([]byte, bound)
		}
		m, err := e.lz4.CompressBlock(rgb, e.out[:bound])
		if err == nil && m > 0 && m < n {
			t.Codec, t.Data = CodecLZ4, e.out[:m]
			return t
		}
	case CodecS2:
		bound := s2.MaxEncodedLen(n)
		if cap(e.out) < bound {
			e.out = make([]byte, bound)
		}
		enc := s2.Encode(e.out[:bound], rgb)
		if len(enc) < n {
			t.Codec, t.Data = CodecS2, enc
			return t
		}
	}
	t.Codec, t.Data = CodecRaw, rgb
	return t
}

// TileDecoder decodes tiles into an RGBA image. It keeps a scratch buffer
// between calls, so one decoder serves one goroutine.
type TileDecoder struct {
	rgb []byte
}

// Decode writes t into dst, an RGBA image of width×height pixels with stride
// bytes per row, and sets alpha to 255. It checks that the tile lies inside
// the image and that the codec output has exactly the tile's size.
func (d *TileDecoder) Decode(dst []byte, stride, width, height int, t Tile) error {
	x, y, w, h := int(t.X), int(t.Y), int(t.W), int(t.H)
	if w == 0 || h == 0 || x+w > width || y+h > height || stride < width*4 || len(dst) < (height-1)*stride+width*4 {
		return fmt.Errorf("%w: tile %dx%d+%d+%d outside %dx%d", ErrInvalid, w, h, x, y, width, height)
	}
	n := w * h * 3
	var rgb []byte
	switch t.Codec {
	case CodecSolid:
		if len(t.Data) != 3 {
			return fmt.Errorf("%w: solid tile of %d bytes", ErrInvalid, len(t.Data))
		}
		r, g, b := t.Data[0], t.Data[1], t.Data[2]
		for row := y; row < y+h; row++ {
			line := dst[row*stride+x*4 : row*stride+(x+w)*4]
			for i := 0; i < len(line); i += 4 {
				line[i], line[i+1], line[i+2], line[i+3] = r, g, b, 255
			}
		}
		return nil
	case CodecRaw:
		rgb = t.Data
	case CodecLZ4:
		rgb = d.scratch(n)
		m, err := lz4.UncompressBlock(t.Data, rgb)
		if err != nil {
			return fmt.Errorf("%w: lz4: %v", ErrInvalid, err)
		}
		rgb = rgb[:m]
	case CodecS2:
		if l, err := s2.DecodedLen(t.Data); err != nil || l != n {
			return fmt.Errorf("%w: s2 length %d, want %d (%v)", ErrInvalid, l, n, err)
		}
		out, err := s2.Decode(d.scratch(n), t.Data)
		if err != nil {
			return fmt.Errorf("%w: s2: %v", ErrInvalid, err)
		}
		rgb = out
	default:
		return fmt.Errorf("%w: codec %d", ErrInvalid, uint8(t.Codec))
	}
	if len(rgb) != n {
		return fmt.Errorf("%w: %s tile decodes to %d bytes, want %d", ErrInvalid, t.Codec, len(rgb), n)
	}
	// One 32-bit store per pixel: in wasm this loop is most of the decode
	// time, and a single store is about a quarter faster than four.
	o := 0
	for row := y; row < y+h; row++ {
		line := dst[row*stride+x*4 : row*stride+(x+w)*4]
		src := rgb[o : o+w*3]
		for i, j := 0, 0; i+3 < len(line) && j+2 < len(src); i, j = i+4, j+3 {
			binary.LittleEndian.PutUint32(line[i:], uint32(src[j])|uint32(src[j+1])<<8|uint32(src[j+2])<<16|0xff000000)
		}
		o += w * 3
	}
	return nil
}

func (d *TileDecoder) scratch(n int) []byte {
	if cap(d.rgb) < n {
		d.rgb = make([]byte, n)
	}
	return d.rgb[:n]
}
