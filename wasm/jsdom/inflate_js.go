//go:build js && wasm

package jsdom

import (
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"tether/server/protocol"
	"tether/wasm/viewer"
)

// nativeInflater inflates Update messages with the browser's
// DecompressionStream (static/js/viewer-pixels.js), compiled zlib instead of
// Go's flate in wasm. Write hands each message's data over without waiting:
// the browser inflates it when the viewer returns to the event loop, which
// it does between messages anyway, so a frame costs no round trip per
// message, only one wait at its end for what is not out yet.
type nativeInflater struct {
	js      js.Value // the JS Inflater
	out     js.Value // its output buffer
	raw     []byte
	rawLens []int // of the messages written and not read yet
}

// inflateTimeout bounds one wait. The JS side fails a wait for data that
// came up short at once; this only guards against a browser that never
// settles a promise.
const inflateTimeout = 5 * time.Second

// Inflater returns an inflater over the browser's DecompressionStream and
// "native", or nil and "go" where the browser has none for raw deflate: the
// viewer then inflates in Go. Each viewer needs its own.
func (p *Page) Inflater() (viewer.Inflater, string) {
	var inf *nativeInflater
	err := catch("inflater", func() {
		v := p.helper.Call("newInflater", protocol.MaxUpdateRaw)
		if v.Type() != js.TypeObject {
			return
		}
		inf = &nativeInflater{js: v, out: v.Get("out"), raw: make([]byte, protocol.MaxUpdateRaw)}
	})
	if err != nil || inf == nil {
		return nil, "go"
	}
	return inf, "native"
}

// SetInflater shows which inflater the viewer uses ("native" or "go") in
// data-inflate.
func (p *Page) SetInflater(kind string) { p.setData("inflate", kind) }

// Write implements viewer.Inflater.
func (n *nativeInflater) Write(m *protocol.Update) error {
	err := catch("inflate", func() {
		if m.Reset() {
			n.js.Call("reset")
		}
		// A new array each time: the stream may read it after this returns.
		data := js.Global().Get("Uint8Array").New(len(m.Data))
		js.CopyBytesToJS(data, m.Data)
		n.js.Call("write", data, m.RawLen)
	})
	if err != nil {
		return fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	n.rawLens = append(n.rawLens, int(m.RawLen))
	return nil
}

// Read implements viewer.Inflater.
func (n *nativeInflater) Read(wait bool) ([]byte, bool, error) {
	if len(n.rawLens) == 0 {
		return nil, false, nil
	}
	raw := n.raw[:n.rawLens[0]]
	var ready bool
	err := catch("inflated", func() { ready = n.js.Call("take", len(raw)).Bool() })
	if err == nil && !ready {
		if !wait {
			return nil, false, nil
		}
		var promise js.Value
		if err = catch("wait", func() { promise = n.js.Call("wait", len(raw)) }); err == nil {
			if _, err = await(promise, inflateTimeout); err == nil {
				err = catch("inflated", func() {
					if !n.js.Call("take", len(raw)).Bool() {
						panic(errors.New("output missing after the wait"))
					}
				})
			}
		}
	}
	n.rawLens = n.rawLens[1:]
	if err != nil {
		return nil, true, fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	if err := catch("inflated", func() { js.CopyBytesToGo(raw, n.out) }); err != nil {
		return nil, true, fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	return raw, true, nil
}

var errTimeout = errors.New("jsdom: promise not settled in time")

// await blocks the calling goroutine until promise settles and returns its
// value or its rejection as an error. Go's scheduler hands the thread back
// to the page's event loop while it waits, so the promise can settle.
func await(promise js.Value, timeout time.Duration) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	arg := func(args []js.Value) js.Value {
		if len(args) == 0 {
			return js.Undefined()
		}
		return args[0]
	}
	resolve := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg(args)}
		return nil
	})
	reject := js.FuncOf(func(_ js.Value, args []js.Value) any {
		reason := arg(args)
		msg := reason.String()
		if reason.Type() == js.TypeObject && reason.Get("message").Type() == js.TypeString {
			msg = reason.Get("message").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	// After a timeout the functions are released and a late settlement only
	// logs "call to released function" in the console.
	defer resolve.Release()
	defer reject.Release()
	if err := catch("then", func() { promise.Call("then", resolve, reject) }); err != nil {
		return js.Undefined(), err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-t.C:
		return js.Undefined(), errTimeout
	}
}
