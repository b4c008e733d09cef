package protocol

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"image"
	"slices"
)

// Op is one drawing operation inside an Update. Every operation is lossless.
// The operations of an Update apply in order; each starts with
//
//	+--------+--------+--------+--------+--------+--------+--------+--------+--------+
//	|   op   |     x (u16)     |     y (u16)     |     w (u16)     |     h (u16)     |
//	+--------+--------+--------+--------+--------+--------+--------+--------+--------+
//
// followed by a body that depends on op:
//
//	OpCopy     src x (u16), src y (u16): the w×h pixels at src, as the screen
//	           was before this operation, now also at x, y (overlap allowed,
//	           as memmove). Scrolling and moved windows cost 13 bytes.
//	OpFill     r, g, b: one colour.
//	OpPalette  n-1 (u8), n colours as r, g, b, then one index per pixel,
//	           packed most significant bit first at 1, 2, 4 or 8 bits (for
//	           n ≤ 2, 4, 16, 256), each row starting on a byte. Text and UI
//	           rarely use more than a few colours in a small rectangle.
//	OpRaw      w×h pixels as r, g, b.
type Op uint8

const (
	OpCopy    Op = 1
	OpFill    Op = 2
	OpPalette Op = 3
	OpRaw     Op = 4
)

func (o Op) String() string {
	switch o {
	case OpCopy:
		return "copy"
	case OpFill:
		return "fill"
	case OpPalette:
		return "palette"
	case OpRaw:
		return "raw"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

const opHeaderSize = 1 + 4*2

// paletteBits is the index width for n colours.
func paletteBits(n int) int {
	switch {
	case n <= 2:
		return 1
	case n <= 4:
		return 2
	case n <= 16:
		return 4
	}
	return 8
}

// MaxOpPixels bounds the pixels of one palette or raw operation, so that an
// operation never outgrows an Update (MaxUpdateRaw) and a message stays
// small enough to interleave with input.
const MaxOpPixels = 16384

// OpWriter appends operations to a buffer, classifying pixels as it goes.
// It keeps scratch space between calls, so one writer serves one goroutine.
type OpWriter struct {
	Buf []byte // the operations written so far
	// Flush, when set, receives Buf before an operation that could take it
	// past MaxUpdateRaw, and Buf starts again empty. Its first error is
	// kept in Err and stops further flushes.
	Flush func(ops []byte) error
	Err   error

	idx      []uint8
	table    colorTable
	lastFill int // offset of the last operation if it is a fill, else -1
}

// room flushes Buf if n more bytes could take it past MaxUpdateRaw.
func (w *OpWriter) room(n int) {
	if w.Flush == nil || len(w.Buf)+n <= MaxUpdateRaw || len(w.Buf) == 0 {
		return
	}
	if w.Err == nil {
		w.Err = w.Flush(w.Buf)
	}
	w.Buf = w.Buf[:0]
	w.lastFill = -1
}

// Reset empties Buf and clears Err.
func (w *OpWriter) Reset() {
	w.Buf, w.Err, w.lastFill = w.Buf[:0], nil, -1
}

// OpStats counts the operations a writer chose.
type OpStats struct {
	Copies, Fills, Palettes, Raws int
}

// Copy appends an OpCopy moving the pixels of dst.Size() at src to dst.
func (w *OpWriter) Copy(dst image.Rectangle, src image.Point) {
	w.room(opHeaderSize + 4)
	w.lastFill = -1
	w.Buf = appendOpHeader(w.Buf, OpCopy, dst)
	w.Buf = binary.BigEndian.AppendUint16(w.Buf, uint16(src.X))
	w.Buf = binary.BigEndian.AppendUint16(w.Buf, uint16(src.Y))
}

// Fill appends an OpFill of r with the colour of BGRX pixel c. A fill that
// continues the previous one to the right, on the same rows and in the same
// colour, widens it instead: runs of blank tiles cost one operation.
func (w *OpWriter) Fill(r image.Rectangle, c uint32) {
	if i := w.lastFill; i >= 0 && i+opHeaderSize+3 == len(w.Buf) {
		op := w.Buf[i:]
		x, y := int(binary.BigEndian.Uint16(op[1:])), int(binary.BigEndian.Uint16(op[3:]))
		pw, ph := int(binary.BigEndian.Uint16(op[5:])), int(binary.BigEndian.Uint16(op[7:]))
		if y == r.Min.Y && ph == r.Dy() && x+pw == r.Min.X && pw+r.Dx() <= 0xffff &&
			op[9] == byte(c>>16) && op[10] == byte(c>>8) && op[11] == byte(c) {
			binary.BigEndian.PutUint16(op[5:], uint16(pw+r.Dx()))
			return
		}
	}
	w.room(opHeaderSize + 3)
	w.lastFill = len(w.Buf)
	w.Buf = appendOpHeader(w.Buf, OpFill, r)
	w.Buf = append(w.Buf, byte(c>>16), byte(c>>8), byte(c))
}

// Pixels appends r of pix, a BGRX image (the byte order X11 and Windows GDI
// capture in) with stride bytes per row, as fill, palette or raw
// operations, whichever is smallest; areas larger than MaxOpPixels become
// several operations. It reports the kinds it wrote into st.
func (w *OpWriter) Pixels(pix []byte, stride int, r image.Rectangle, st *OpStats) {
	if r.Empty() {
		return
	}
	// Pieces at most 256 wide keep palettes local; rows as many as fit.
	const maxW = 256
	for x := r.Min.X; x < r.Max.X; x += maxW {
		pw := min(maxW, r.Max.X-x)
		rows := max(1, MaxOpPixels/pw)
		for y := r.Min.Y; y < r.Max.Y; y += rows {
			w.piece(pix, stride, image.Rect(x, y, x+pw, min(y+rows, r.Max.Y)), st)
		}
	}
}

// Colors counts the distinct colours of r of a BGRX image, up to 256; ok is
// false when there are more.
func (w *OpWriter) Colors(pix []byte, stride int, r image.Rectangle) (n int, ok bool) {
	if cap(w.idx) < r.Dx()*r.Dy() {
		w.idx = make([]uint8, r.Dx()*r.Dy())
	}
	return w.table.index(pix, stride, r, w.idx[:r.Dx()*r.Dy()])
}

// Texture describes r of a BGRX image for choosing between exact and lossy:
// its distinct colours up to 256 (ok is false past that, after a part of
// r) and the share of the pixels looked at whose colour differs from the
// pixel before them in row order. Text has long runs of background; video
// and photos change colour at most pixels.
func (w *OpWriter) Texture(pix []byte, stride int, r image.Rectangle) (colors int, ok bool, changes float64) {
	colors, ok = w.Colors(pix, stride, r)
	if w.table.seen > 0 {
		changes = float64(w.table.changes) / float64(w.table.seen)
	}
	return colors, ok, changes
}

// piece writes one rectangle of at most MaxOpPixels.
func (w *OpWriter) piece(pix []byte, stride int, r image.Rectangle, st *OpStats) {
	pw, ph := r.Dx(), r.Dy()
	n := pw * ph
	if cap(w.idx) < n {
		w.idx = make([]uint8, n)
	}
	idx := w.idx[:n]
	colors, ok := w.table.index(pix, stride, r, idx)
	if !ok || colors > 1 {
		w.room(opHeaderSize + 1 + 256*3 + n*3)
		w.lastFill = -1
	}
	switch {
	case ok && colors == 1:
		w.Fill(r, w.table.colors[0])
		st.Fills++
	case ok:
		w.palette(r, colors, idx)
		st.Palettes++
	default:
		w.raw(pix, stride, r)
		st.Raws++
	}
}

func (w *OpWriter) palette(r image.Rectangle, colors int, idx []uint8) {
	w.sortPalette(colors, idx)
	w.Buf = appendOpHeader(w.Buf, OpPalette, r)
	w.Buf = append(w.Buf, byte(colors-1))
	for _, c := range w.table.colors[:colors] {
		w.Buf = append(w.Buf, byte(c>>16), byte(c>>8), byte(c))
	}
	b := paletteBits(colors)
	pw := r.Dx()
	if b == 8 {
		w.Buf = append(w.Buf, idx...)
		return
	}
	perByte := 8 / b
	for y := 0; y < r.Dy(); y++ {
		row := idx[y*pw : (y+1)*pw]
		for i := 0; i < pw; i += perByte {
			var v byte
			for k := 0; k < perByte; k++ {
				v <<= b
				if i+k < pw {
					v |= row[i+k]
				}
			}
			w.Buf = append(w.Buf, v)
		}
	}
}

// sortPalette orders the palette by colour and renumbers the indices, so
// that the same glyph or icon gives the same bytes wherever it is and
// whatever pixel came first: the deflate window then finds it again.
func (w *OpWriter) sortPalette(colors int, idx []uint8) {
	cs := w.table.colors[:colors]
	if slices.IsSorted(cs) {
		return
	}
	var order [256]uint8
	for i := range cs {
		order[i] = uint8(i)
	}
	slices.SortFunc(order[:colors], func(a, b uint8) int { return cmp.Compare(cs[a], cs[b]) })
	var remap [256]uint8
	sorted := make([]uint32, colors)
	for newIdx, old := range order[:colors] {
		remap[old] = uint8(newIdx)
		sorted[newIdx] = cs[old]
	}
	copy(cs, sorted)
	for i, v := range idx {
		idx[i] = remap[v]
	}
}

func (w *OpWriter) raw(pix []byte, stride int, r image.Rectangle) {
	w.Buf = appendOpHeader(w.Buf, OpRaw, r)
	start := len(w.Buf)
	w.Buf = append(w.Buf, make([]byte, r.Dx()*r.Dy()*3)...)
	out := w.Buf[start:]
	o := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		line := pix[y*stride+r.Min.X*4 : y*stride+r.Max.X*4]
		for i := 0; i+3 < len(line); i += 4 {
			out[o], out[o+1], out[o+2] = line[i+2], line[i+1], line[i]
			o += 3
		}
	}
}

func appendOpHeader(b []byte, op Op, r image.Rectangle) []byte {
	b = append(b, byte(op))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Min.X))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Min.Y))
	b = binary.BigEndian.AppendUint16(b, uint16(r.Dx()))
	return binary.BigEndian.AppendUint16(b, uint16(r.Dy()))
}

// colorTable finds the distinct colours of a rectangle, up to 256: an open
// addressing hash table that is cleared by generation, not by zeroing.
type colorTable struct {
	keys   [1024]uint32 // colour | 1<<24 marks a used slot
	vals   [1024]uint8
	gen    [1024]uint32
	cur    uint32
	colors [256]uint32
	// changes and seen count, for the last index call, the pixels whose
	// colour differs from the one before them in row order, and the
	// pixels looked at.
	changes, seen int
}

// index fills idx with each pixel's palette index and reports the number of
// colours, or false when there are more than 256.
func (t *colorTable) index(pix []byte, stride int, r image.Rectangle, idx []uint8) (int, bool) {
	t.cur++
	if t.cur == 0 {
		t.gen = [1024]uint32{}
		t.cur = 1
	}
	n := 0
	last, lastIdx := uint32(1<<31), uint8(0)
	o := 0
	t.changes = 0
	defer func() { t.seen = o }()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		line := pix[y*stride+r.Min.X*4 : y*stride+r.Max.X*4]
		for i := 0; i+3 < len(line); i += 4 {
			c := binary.LittleEndian.Uint32(line[i:]) & 0xffffff
			if c == last {
				idx[o] = lastIdx
				o++
				continue
			}
			t.changes++
			h := (c * 0x9E3779B1) >> 22
			for {
				if t.gen[h] != t.cur {
					if n == 256 {
						return n, false
					}
					t.gen[h], t.keys[h], t.vals[h] = t.cur, c, uint8(n)
					t.colors[n] = c
					n++
					break
				}
				if t.keys[h] == c {
					break
				}
				h = (h + 1) & 1023
			}
			last, lastIdx = c, t.vals[h]
			idx[o] = lastIdx
			o++
		}
	}
	return n, true
}

// ApplyOps draws ops, the inflated operations of one Update, into dst, an
// RGBA image of width×height pixels with stride bytes per row (alpha set to
// 255). Every operation is checked against the image and the buffer before
// it draws; on error the operations before it stay drawn. damage hears the
// rectangle of each operation drawn.
func ApplyOps(dst []byte, stride, width, height int, ops []byte, damage func(image.Rectangle)) error {
	if stride < width*4 || len(dst) < (height-1)*stride+width*4 {
		return fmt.Errorf("%w: image %dx%d stride %d in %d bytes", ErrInvalid, width, height, stride, len(dst))
	}
	bounds := image.Rect(0, 0, width, height)
	var sc paletteScratch
	for len(ops) > 0 {
		if len(ops) < opHeaderSize {
			return fmt.Errorf("%w: operation header", ErrShort)
		}
		op := Op(ops[0])
		x, y := int(binary.BigEndian.Uint16(ops[1:])), int(binary.BigEndian.Uint16(ops[3:]))
		w, h := int(binary.BigEndian.Uint16(ops[5:])), int(binary.BigEndian.Uint16(ops[7:]))
		ops = ops[opHeaderSize:]
		r := image.Rect(x, y, x+w, y+h)
		if w == 0 || h == 0 || !r.In(bounds) {
			return fmt.Errorf("%w: %s %dx%d+%d+%d outside %dx%d", ErrInvalid, op, w, h, x, y, width, height)
		}
		var err error
		switch op {
		case OpCopy:
			ops, err = applyCopy(dst, stride, bounds, r, ops)
		case OpFill:
			ops, err = applyFill(dst, stride, r, ops)
		case OpPalette:
			ops, err = applyPalette(dst, stride, r, ops, &sc)
		case OpRaw:
			ops, err = applyRaw(dst, stride, r, ops)
		default:
			err = fmt.Errorf("%w: operation %d", ErrInvalid, uint8(op))
		}
		if err != nil {
			return err
		}
		if damage != nil {
			damage(r)
		}
	}
	return nil
}

func applyCopy(dst []byte, stride int, bounds, r image.Rectangle, ops []byte) ([]byte, error) {
	if len(ops) < 4 {
		return nil, fmt.Errorf("%w: copy source", ErrShort)
	}
	sx, sy := int(binary.BigEndian.Uint16(ops)), int(binary.BigEndian.Uint16(ops[2:]))
	if !r.Sub(r.Min).Add(image.Pt(sx, sy)).In(bounds) {
		return nil, fmt.Errorf("%w: copy from %d,%d outside the screen", ErrInvalid, sx, sy)
	}
	row := r.Dx() * 4
	copyRow := func(y int) {
		d := (r.Min.Y+y)*stride + r.Min.X*4
		s := (sy+y)*stride + sx*4
		copy(dst[d:d+row], dst[s:s+row]) // copy is memmove: same-row overlap is fine
	}
	// Moving down, rows are copied bottom up so none is overwritten before read.
	if sy < r.Min.Y {
		for y := r.Dy() - 1; y >= 0; y-- {
			copyRow(y)
		}
	} else {
		for y := 0; y < r.Dy(); y++ {
			copyRow(y)
		}
	}
	return ops[4:], nil
}

func applyFill(dst []byte, stride int, r image.Rectangle, ops []byte) ([]byte, error) {
	if len(ops) < 3 {
		return nil, fmt.Errorf("%w: fill colour", ErrShort)
	}
	c := uint32(ops[0]) | uint32(ops[1])<<8 | uint32(ops[2])<<16 | 0xff000000
	first := dst[r.Min.Y*stride+r.Min.X*4 : r.Min.Y*stride+r.Max.X*4]
	binary.LittleEndian.PutUint32(first, c)
	// Doubling copies fill the first row with a handful of memmoves.
	for n := 4; n < len(first); n *= 2 {
		copy(first[n:], first[:n])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(dst[y*stride+r.Min.X*4:y*stride+r.Max.X*4], first)
	}
	return ops[3:], nil
}

// paletteScratch is the palette of the operation being applied and its
// lookup table, kept across the operations of one ApplyOps.
type paletteScratch struct {
	pal [256]uint32
	lut unpackTable
}

func applyPalette(dst []byte, stride int, r image.Rectangle, ops []byte, sc *paletteScratch) ([]byte, error) {
	pal := &sc.pal
	if len(ops) < 1 {
		return nil, fmt.Errorf("%w: palette size", ErrShort)
	}
	n := int(ops[0]) + 1
	ops = ops[1:]
	if n < 2 || len(ops) < n*3 {
		return nil, fmt.Errorf("%w: palette of %d colours in %d bytes", ErrInvalid, n, len(ops))
	}
	for i := 0; i < n; i++ {
		pal[i] = uint32(ops[3*i]) | uint32(ops[3*i+1])<<8 | uint32(ops[3*i+2])<<16 | 0xff000000
	}
	// Indices past n point at black rather than failing: cheaper than a
	// check per pixel, and a hostile agent can draw anything anyway. A b-bit
	// index reaches only the first 1<<b entries.
	b := paletteBits(n)
	for i := n; i < 1<<b; i++ {
		pal[i] = 0xff000000
	}
	ops = ops[n*3:]
	w := r.Dx()
	rowBytes := (w*b + 7) / 8
	if len(ops) < rowBytes*r.Dy() {
		return nil, fmt.Errorf("%w: palette indices", ErrShort)
	}
	lut := &sc.lut
	lut.build(pal, b)
	for y := 0; y < r.Dy(); y++ {
		src := ops[y*rowBytes : (y+1)*rowBytes]
		line := dst[(r.Min.Y+y)*stride+r.Min.X*4 : (r.Min.Y+y)*stride+r.Max.X*4]
		if b == 8 {
			paletteRow8(line, src[:w], pal)
			continue
		}
		lut.row(line, src, w, b, pal)
	}
	return ops[rowBytes*r.Dy():], nil
}

// These loops are most of a screen's decode in the viewer, where Go runs
// as wasm at a third of native speed or less: they write two pixels per
// 64-bit store and look up two to eight pixels per table load.

// paletteRow8 paints one pixel per index byte, four at a time.
func paletteRow8(line, src []byte, pal *[256]uint32) {
	line = line[:len(src)*4]
	i := 0
	for ; i+4 <= len(src); i += 4 {
		s, d := src[i:i+4], line[i*4:i*4+16]
		binary.LittleEndian.PutUint64(d, uint64(pal[s[0]])|uint64(pal[s[1]])<<32)
		binary.LittleEndian.PutUint64(d[8:], uint64(pal[s[2]])|uint64(pal[s[3]])<<32)
	}
	for ; i < len(src); i++ {
		binary.LittleEndian.PutUint32(line[i*4:], pal[src[i]])
	}
}

// unpackTable maps packed indices to pixel pairs: for 4-bit indices a
// whole byte (two pixels), for 2-bit a nibble (two pixels), for 1-bit a
// nibble (four pixels, two pairs).
type unpackTable struct {
	pair [256]uint64
	quad [16][2]uint64
}

func (t *unpackTable) build(pal *[256]uint32, b int) {
	two := func(a, b uint32) uint64 { return uint64(a) | uint64(b)<<32 }
	switch b {
	case 1:
		for v := range 16 {
			t.quad[v] = [2]uint64{two(pal[v>>3], pal[v>>2&1]), two(pal[v>>1&1], pal[v&1])}
		}
	case 2:
		for v := range 16 {
			t.pair[v] = two(pal[v>>2], pal[v&3])
		}
	case 4:
		for v := range 256 {
			t.pair[v] = two(pal[v>>4], pal[v&15])
		}
	}
}

// row paints w pixels of packed b-bit indices (b < 8): whole bytes through
// the table, the last partial byte pixel by pixel.
func (t *unpackTable) row(line, src []byte, w, b int, pal *[256]uint32) {
	perByte := 8 / b
	full := w / perByte
	line = line[:w*4]
	switch b {
	case 1:
		for j, v := range src[:full] {
			hi, lo := &t.quad[v>>4], &t.quad[v&15]
			d := line[j*32 : j*32+32]
			binary.LittleEndian.PutUint64(d, hi[0])
			binary.LittleEndian.PutUint64(d[8:], hi[1])
			binary.LittleEndian.PutUint64(d[16:], lo[0])
			binary.LittleEndian.PutUint64(d[24:], lo[1])
		}
	case 2:
		for j, v := range src[:full] {
			d := line[j*16 : j*16+16]
			binary.LittleEndian.PutUint64(d, t.pair[v>>4])
			binary.LittleEndian.PutUint64(d[8:], t.pair[v&15])
		}
	case 4:
		for j, v := range src[:full] {
			binary.LittleEndian.PutUint64(line[j*8:j*8+8], t.pair[v])
		}
	}
	i := full * perByte
	if i < w {
		v := src[full]
		mask := byte(1<<b - 1)
		for shift := 8 - b; i < w; shift -= b {
			binary.LittleEndian.PutUint32(line[i*4:], pal[(v>>shift)&mask])
			i++
		}
	}
}

func applyRaw(dst []byte, stride int, r image.Rectangle, ops []byte) ([]byte, error) {
	w := r.Dx()
	n := w * r.Dy() * 3
	if len(ops) < n {
		return nil, fmt.Errorf("%w: raw pixels", ErrShort)
	}
	for y := 0; y < r.Dy(); y++ {
		rawRow(dst[(r.Min.Y+y)*stride+r.Min.X*4:(r.Min.Y+y)*stride+r.Max.X*4], ops[y*w*3:(y+1)*w*3])
	}
	return ops[n:], nil
}

// rawRow turns RGB into opaque RGBA, four pixels (12 bytes in, 16 out) at
// a time.
func rawRow(line, src []byte) {
	n := len(line) / 4
	src = src[:n*3]
	i := 0
	for ; i+4 <= n; i += 4 {
		s, d := src[i*3:i*3+12], line[i*4:i*4+16]
		lo, hi := binary.LittleEndian.Uint64(s), uint64(binary.LittleEndian.Uint32(s[8:]))
		const a = 0xff000000
		p0 := lo&0xffffff | a
		p1 := lo>>24&0xffffff | a
		p2 := lo>>48 | hi&0xff<<16 | a
		p3 := hi>>8 | a
		binary.LittleEndian.PutUint64(d, p0|p1<<32)
		binary.LittleEndian.PutUint64(d[8:], p2|p3<<32)
	}
	for ; i < n; i++ {
		binary.LittleEndian.PutUint32(line[i*4:], uint32(src[i*3])|uint32(src[i*3+1])<<8|uint32(src[i*3+2])<<16|0xff000000)
	}
}
