// Package stream turns captured screens into session messages: it finds the
// 64×64 tiles that changed since the last frame, compresses them with the
// protocol's tile codec, and paces frames by the viewer's acknowledgements.
package stream

import (
	"bytes"
	"fmt"

	"tether/agent/capture"
	"tether/server/protocol"
)

// TileSize is the edge of the square tiles a frame is cut into. 64 keeps a
// tile's RGB (12 KiB) well inside one message and typing changes few tiles.
const TileSize = 64

// Encoder compares each frame to the one before and encodes what changed as
// protocol.Tiles messages. It keeps a copy of the previous frame, so one
// Encoder serves one stream in one goroutine.
type Encoder struct {
	// Codec compresses non-solid tiles; the zero value (CodecRaw) means
	// protocol.DefaultCodec, since raw tiles only ever make sense as a fallback.
	Codec protocol.Codec

	tiles protocol.TileEncoder
	prev  []byte // previous frame, packed: stride width*4
	w, h  int
	dirty []bool // per tile column of the band being compared

	batch []protocol.Tile // tiles of the message being filled
	arena []byte          // their data; capacity MaxMessageSize, so never reallocated
	size  int             // wire size of the message being filled
	buf   []byte          // marshal buffer
}

// Result tells what one Encode produced.
type Result struct {
	Tiles    int // tiles sent
	Messages int // Tiles messages sent
	Bytes    int // bytes of those messages
}

// Reset forgets the previous frame, so the next Encode sends every tile.
func (e *Encoder) Reset() { e.w, e.h = 0, 0 }

// Encode compares f to the previous frame and passes each Tiles message of
// frame seq to emit, which must not keep the slice. With full, or when the
// size changed, every tile is sent. A frame without changes emits nothing.
func (e *Encoder) Encode(f *capture.Frame, seq uint32, full bool, emit func([]byte) error) (Result, error) {
	var res Result
	if err := check(f); err != nil {
		return res, err
	}
	if f.Width != e.w || f.Height != e.h {
		e.w, e.h = f.Width, f.Height
		if n := f.Width * f.Height * 4; cap(e.prev) < n {
			e.prev = make([]byte, n)
		} else {
			e.prev = e.prev[:n]
		}
		full = true
	}
	e.tiles.Codec = e.Codec
	if e.Codec == protocol.CodecRaw {
		e.tiles.Codec = protocol.DefaultCodec
	}
	if e.arena == nil {
		e.arena = make([]byte, 0, protocol.MaxMessageSize)
		e.buf = make([]byte, protocol.MaxMessageSize)
	}
	cols := (f.Width + TileSize - 1) / TileSize
	if cap(e.dirty) < cols {
		e.dirty = make([]bool, cols)
	}
	e.dirty = e.dirty[:cols]
	e.startMessage()
	for y := 0; y < f.Height; y += TileSize {
		th := min(TileSize, f.Height-y)
		if full {
			for i := range e.dirty {
				e.dirty[i] = true
			}
		} else if !e.diffBand(f, y, th) {
			continue
		}
		for col, d := range e.dirty {
			if !d {
				continue
			}
			x := col * TileSize
			tw := min(TileSize, f.Width-x)
			e.remember(f, x, y, tw, th)
			t := e.tiles.Encode(f.Pix, f.Stride, x, y, tw, th)
			if err := e.add(t, seq, emit, &res); err != nil {
				return res, err
			}
			res.Tiles++
		}
	}
	if len(e.batch) > 0 {
		if err := e.flush(seq, emit, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func check(f *capture.Frame) error {
	if f == nil || f.Width <= 0 || f.Height <= 0 || f.Width > 0xffff || f.Height > 0xffff {
		return fmt.Errorf("stream: unusable frame size")
	}
	if f.Stride < f.Width*4 || len(f.Pix) < (f.Height-1)*f.Stride+f.Width*4 {
		return fmt.Errorf("stream: frame %dx%d stride %d has %d bytes", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	return nil
}

// diffBand marks the tiles of the band at y, th rows high, that differ from
// the previous frame, and reports whether any does. An unchanged row costs
// one memcmp; a changed row is compared tile by tile, skipping tiles
// already known dirty, and the band stops early once every tile is dirty.
func (e *Encoder) diffBand(f *capture.Frame, y, th int) bool {
	for i := range e.dirty {
		e.dirty[i] = false
	}
	rowBytes := f.Width * 4
	left := len(e.dirty)
	for row := y; row < y+th && left > 0; row++ {
		cur := f.Pix[row*f.Stride : row*f.Stride+rowBytes]
		old := e.prev[row*rowBytes : (row+1)*rowBytes]
		if bytes.Equal(cur, old) {
			continue
		}
		for col := range e.dirty {
			if e.dirty[col] {
				continue
			}
			a := col * TileSize * 4
			b := min(a+TileSize*4, rowBytes)
			if !bytes.Equal(cur[a:b], old[a:b]) {
				e.dirty[col] = true
				left--
			}
		}
	}
	return left < len(e.dirty)
}

// remember copies a tile of f into the previous frame.
func (e *Encoder) remember(f *capture.Frame, x, y, w, h int) {
	rowBytes := f.Width * 4
	for row := y; row < y+h; row++ {
		copy(e.prev[row*rowBytes+x*4:row*rowBytes+(x+w)*4], f.Pix[row*f.Stride+x*4:row*f.Stride+(x+w)*4])
	}
}

func (e *Encoder) startMessage() {
	e.batch = e.batch[:0]
	e.arena = e.arena[:0]
	e.size = protocol.TilesOverhead
}

// add appends a tile to the message being filled, sending it first when the
// tile would not fit.
func (e *Encoder) add(t protocol.Tile, seq uint32, emit func([]byte) error, res *Result) error {
	n := protocol.TileWireSize(t)
	if len(e.batch) > 0 && (e.size+n > protocol.MaxMessageSize || len(e.batch) == protocol.MaxTilesPerMessage) {
		if err := e.flush(seq, emit, res); err != nil {
			return err
		}
	}
	// t.Data lives in the tile encoder's scratch until its next call.
	start := len(e.arena)
	e.arena = append(e.arena, t.Data...)
	t.Data = e.arena[start:len(e.arena):len(e.arena)]
	e.batch = append(e.batch, t)
	e.size += n
	return nil
}

func (e *Encoder) flush(seq uint32, emit func([]byte) error, res *Result) error {
	m := protocol.Tiles{Seq: seq, Width: uint16(e.w), Height: uint16(e.h), Tiles: e.batch}
	n, err := m.MarshalTo(e.buf)
	if err != nil {
		return fmt.Errorf("stream: marshal tiles: %w", err)
	}
	if err := emit(e.buf[:n]); err != nil {
		return err
	}
	res.Messages++
	res.Bytes += n
	e.startMessage()
	return nil
}
