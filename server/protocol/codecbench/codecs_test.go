package codecbench

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"tether/server/protocol"
)

// codecCandidate marks tiles of a candidate that protocol has no Codec for
// (zstd, pre-filtered data); only the candidate's own decode reads them.
const codecCandidate protocol.Codec = 0xf0

// variant is one way to compress tiles. Production codecs go through
// protocol.TileEncoder and protocol.TileDecoder unchanged; candidates pack
// and solid-detect with the same TileEncoder (CodecRaw), compress the packed
// RGB themselves, and hand the decompressed RGB back to TileDecoder as a raw
// tile, so every variant pays the same packing and unpacking cost.
type variant struct {
	name string
	// prod is the production codec when compress is nil.
	prod     protocol.Codec
	filter   bool
	compress func(dst, rgb []byte) []byte
	// decompress appends the decoded bytes of src to dst[:0].
	decompress func(dst, src []byte) ([]byte, error)
}

func variants() ([]variant, error) {
	zenc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), zstd.WithSingleSegment(true), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("zstd encoder: %w", err)
	}
	zdec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<20))
	if err != nil {
		return nil, fmt.Errorf("zstd decoder: %w", err)
	}
	var lz4c lz4.Compressor
	lz4Compress := func(dst, rgb []byte) []byte {
		dst = grow(dst, lz4.CompressBlockBound(len(rgb)))
		n, err := lz4c.CompressBlock(rgb, dst)
		if err != nil || n == 0 {
			return nil // incompressible: the caller sends raw
		}
		return dst[:n]
	}
	lz4Decompress := func(dst, src []byte) ([]byte, error) {
		dst = grow(dst, 64*64*3)
		n, err := lz4.UncompressBlock(src, dst)
		if err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
		return dst[:n], nil
	}
	s2Compress := func(dst, rgb []byte) []byte { return s2.Encode(grow(dst, s2.MaxEncodedLen(len(rgb))), rgb) }
	s2Decompress := func(dst, src []byte) ([]byte, error) {
		n, err := s2.DecodedLen(src)
		if err != nil {
			return nil, fmt.Errorf("s2: %w", err)
		}
		out, err := s2.Decode(grow(dst, n), src)
		if err != nil {
			return nil, fmt.Errorf("s2: %w", err)
		}
		return out, nil
	}
	zCompress := func(dst, rgb []byte) []byte { return zenc.EncodeAll(rgb, dst[:0]) }
	zDecompress := func(dst, src []byte) ([]byte, error) {
		out, err := zdec.DecodeAll(src, dst[:0])
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return out, nil
	}
	return []variant{
		{name: "raw", prod: protocol.CodecRaw},
		{name: "lz4", prod: protocol.CodecLZ4},
		{name: "s2", prod: protocol.CodecS2},
		// EncodeBetter writes the same S2 block format, so TileDecoder reads it as CodecS2.
		{name: "s2better", compress: func(dst, rgb []byte) []byte {
			return s2.EncodeBetter(grow(dst, s2.MaxEncodedLen(len(rgb))), rgb)
		}, decompress: s2Decompress},
		{name: "zstd", compress: zCompress, decompress: zDecompress},
		{name: "lz4+left", filter: true, compress: lz4Compress, decompress: lz4Decompress},
		{name: "s2+left", filter: true, compress: s2Compress, decompress: s2Decompress},
		{name: "zstd+left", filter: true, compress: zCompress, decompress: zDecompress},
	}, nil
}

// candidate reports whether v compresses outside TileEncoder.
func (v variant) candidate() bool { return v.compress != nil }

// s2Compatible reports whether v's tiles are plain S2 blocks TileDecoder reads.
func (v variant) s2Compatible() bool { return v.name == "s2better" }

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// coder holds one variant's scratch state; it serves one goroutine.
type coder struct {
	v    variant
	enc  protocol.TileEncoder
	dec  protocol.TileDecoder
	buf  []byte // compressed output
	tmp  []byte // filtered or decompressed RGB
	tile protocol.Tile
}

func newCoder(v variant) *coder {
	c := &coder{v: v}
	c.enc.Codec = v.prod
	if v.candidate() {
		c.enc.Codec = protocol.CodecRaw
	}
	return c
}

// encode compresses one rectangle of a BGRA frame. Data is valid until the next call.
func (c *coder) encode(src []byte, stride, x, y, w, h int) protocol.Tile {
	t := c.enc.Encode(src, stride, x, y, w, h)
	if !c.v.candidate() || t.Codec != protocol.CodecRaw {
		return t
	}
	rgb := t.Data
	if c.v.filter {
		c.tmp = grow(c.tmp, len(rgb))
		leftDelta(c.tmp, rgb)
		rgb = c.tmp
	}
	out := c.v.compress(c.buf, rgb)
	if out == nil || len(out) >= len(t.Data) {
		return t // raw, unfiltered, as TileEncoder falls back
	}
	c.buf = out
	t.Codec, t.Data = codecCandidate, out
	if c.v.s2Compatible() {
		t.Codec = protocol.CodecS2
	}
	return t
}

// decode paints t into an RGBA frame.
func (c *coder) decode(dst []byte, stride, width, height int, t protocol.Tile) error {
	if t.Codec != codecCandidate {
		return c.dec.Decode(dst, stride, width, height, t)
	}
	rgb, err := c.v.decompress(c.tmp, t.Data)
	if err != nil {
		return err
	}
	c.tmp = rgb
	if c.v.filter {
		undoLeftDelta(rgb)
	}
	t.Codec, t.Data = protocol.CodecRaw, rgb
	return c.dec.Decode(dst, stride, width, height, t)
}

// leftDelta stores each byte minus the same channel of the previous pixel in
// scan order (PNG's "Sub" filter run across row ends), so flat runs and smooth
// gradients become runs of zeros and small numbers.
func leftDelta(dst, rgb []byte) {
	copy(dst[:3], rgb[:3])
	for i := 3; i < len(rgb); i++ {
		dst[i] = rgb[i] - rgb[i-3]
	}
}

func undoLeftDelta(b []byte) {
	for i := 3; i < len(b); i++ {
		b[i] += b[i-3]
	}
}
