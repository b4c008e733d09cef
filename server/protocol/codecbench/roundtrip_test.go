package codecbench

import (
	"bytes"
	"fmt"
	"image"
	"path/filepath"
	"testing"
	"time"

	"tether/server/protocol"
)

// TestRealScreensRoundTrip encodes every tile of every corpus screen, and of
// a live capture from a fresh Xvfb, with every codec, carries the tiles
// through a marshalled Tiles message, decodes them into a canvas filled with
// garbage and demands the exact source pixels back.
func TestRealScreensRoundTrip(t *testing.T) {
	vs, err := variants()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			roundTrip(t, vs, loadPNG(t, path))
		})
	}
	t.Run("live-xterm", func(t *testing.T) {
		startXvfb(t)
		xtermText(t, []string{"-fa", "DejaVu Sans Mono", "-fs", "11"}, "ls -la --color=always /usr/lib/x86_64-linux-gnu /etc; exec sleep 3600")
		img := waitStable(t, 30*time.Second, func(img *image.RGBA) bool { return busyTiles(img) >= 0.25 })
		roundTrip(t, vs, img)
	})
}

func roundTrip(t *testing.T, vs []variant, img *image.RGBA) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	s := screen{w: w, h: h, bgra: toBGRA(img), rects: tiles(img.Rect, nil, nil)}
	want := toRGBAOpaque(img)
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			c := newCoder(v)
			ts := encodeFrame(c, s)
			seen := map[protocol.Codec]int{}
			for _, tile := range ts {
				seen[tile.Codec]++
			}
			got, err := wire(ts, w, h)
			if err != nil {
				t.Fatal(err)
			}
			dst := bytes.Repeat([]byte{0x5a}, len(want))
			if err := decodeFrame(c, s, dst, got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if x, y, ok := firstDiff(dst, want, w); !ok {
				t.Fatalf("pixel %d,%d: got %v, want %v (tile codecs %v)", x, y, dst[(y*w+x)*4:][:4], want[(y*w+x)*4:][:4], seen)
			}
			if !v.candidate() && v.prod != protocol.CodecRaw && seen[v.prod] == 0 {
				t.Errorf("no tile used %s (tile codecs %v)", v.prod, seen)
			}
			t.Logf("%d tiles: %v", len(ts), seen)
		})
	}
}

// wire carries tiles through Marshal and Unmarshal in messages no larger
// than protocol.MaxMessageSize, as the agent sends them on the data channel.
func wire(ts []protocol.Tile, w, h int) ([]protocol.Tile, error) {
	var out []protocol.Tile
	for len(ts) > 0 {
		n, size := 0, protocol.TilesOverhead
		for n < len(ts) && size+protocol.TileWireSize(ts[n]) <= protocol.MaxMessageSize {
			size += protocol.TileWireSize(ts[n])
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("tile of %d bytes does not fit a message", len(ts[0].Data))
		}
		b, err := protocol.Marshal(&protocol.Tiles{Width: uint16(w), Height: uint16(h), Tiles: ts[:n]})
		if err != nil {
			return nil, fmt.Errorf("marshal: %w", err)
		}
		m, err := protocol.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("unmarshal: %w", err)
		}
		tm, ok := m.(*protocol.Tiles)
		if !ok {
			return nil, fmt.Errorf("unmarshal gave %T", m)
		}
		out = append(out, tm.Tiles...)
		ts = ts[n:]
	}
	return out, nil
}

func firstDiff(got, want []byte, w int) (x, y int, same bool) {
	if bytes.Equal(got, want) {
		return 0, 0, true
	}
	for i := 0; i < len(want); i += 4 {
		if !bytes.Equal(got[i:i+4], want[i:i+4]) {
			return (i / 4) % w, (i / 4) / w, false
		}
	}
	return 0, 0, false
}
