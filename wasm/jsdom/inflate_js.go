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
// DecompressionStream (static/js/viewer-pixels.js), which runs compiled
// zlib instead of Go's flate in wasm. Per message it costs one copy in, one
// call, one promise and one copy out.
type nativeInflater struct {
	js  js.Value // the JS Inflater
	in  js.Value // Uint8Array reused for each message's data
	out js.Value // the JS Inflater's output buffer
	raw []byte
}

// inflateTimeout bounds one message. The JS side fails a message whose
// data comes up short at once; this only guards against a browser that
// never settles a promise.
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
		inf = &nativeInflater{
			js:  v,
			in:  js.Global().Get("Uint8Array").New(protocol.MaxMessageSize),
			out: v.Get("out"),
			raw: make([]byte, protocol.MaxUpdateRaw),
		}
	})
	if err != nil || inf == nil {
		return nil, "go"
	}
	return inf, "native"
}

// SetInflater shows which inflater the viewer uses ("native" or "go") in
// data-inflate.
func (p *Page) SetInflater(kind string) { p.setData("inflate", kind) }

// Inflate implements viewer.Inflater.
func (n *nativeInflater) Inflate(m *protocol.Update) ([]byte, error) {
	var promise js.Value
	err := catch("inflate", func() {
		if m.Reset() {
			n.js.Call("reset")
		}
		data := n.in.Call("subarray", 0, len(m.Data))
		js.CopyBytesToJS(data, m.Data)
		promise = n.js.Call("inflate", data, m.RawLen)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	v, err := await(promise, inflateTimeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	raw := n.raw[:m.RawLen]
	err = catch("inflated", func() {
		if v.Int() != len(raw) || js.CopyBytesToGo(raw, n.out) != len(raw) {
			panic(fmt.Errorf("inflated %d bytes, want %d", v.Int(), len(raw)))
		}
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", protocol.ErrInflate, err)
	}
	return raw, nil
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
