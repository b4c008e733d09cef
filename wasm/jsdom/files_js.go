//go:build js && wasm

package jsdom

import (
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"tether/wasm/viewer"
)

var _ viewer.FileHasher = (*filePort)(nil)

// filePort is viewer.FilePort over window.tetherFiles, which
// static/js/viewer-files.js defines: it keeps the files the engineer picked
// and builds the downloads of received ones.
type filePort struct{ files js.Value }

// Files returns the page's file port, or nil when the page has no files
// panel.
func (p *Page) Files() viewer.FilePort {
	f := p.win.Get("tetherFiles")
	if f.Type() != js.TypeObject {
		return nil
	}
	return &filePort{files: f}
}

// readTimeout bounds one read of a picked file (a slow or removed disk).
const readTimeout = 30 * time.Second

var errRead = errors.New("jsdom: the page returned no bytes")

// Read implements viewer.FilePort: one copy of n bytes out of the page.
func (f *filePort) Read(pageID int, off int64, n int) ([]byte, error) {
	var promise js.Value
	if err := catch("read file", func() { promise = f.files.Call("read", pageID, off, n) }); err != nil {
		return nil, err
	}
	u8, err := await(promise, readTimeout)
	if err != nil {
		return nil, fmt.Errorf("jsdom: read file: %w", err)
	}
	if u8.Type() != js.TypeObject {
		return nil, errRead
	}
	b := make([]byte, u8.Get("length").Int())
	if err := catch("copy file", func() { js.CopyBytesToGo(b, u8) }); err != nil {
		return nil, err
	}
	return b, nil
}

// Append implements viewer.FilePort.
func (f *filePort) Append(key string, b []byte) error {
	return catch("append file", func() {
		u8 := js.Global().Get("Uint8Array").New(len(b))
		js.CopyBytesToJS(u8, b)
		f.files.Call("append", key, u8)
	})
}

// Finish implements viewer.FilePort.
func (f *filePort) Finish(key, name string) (string, error) {
	var url string
	err := catch("finish file", func() { url = f.files.Call("finish", key, name).String() })
	return url, err
}

// ReadSum implements viewer.FileHasher.
func (f *filePort) ReadSum(pageID int) ([32]byte, error) {
	return f.sum("readSum", pageID)
}

// KeptSum implements viewer.FileHasher.
func (f *filePort) KeptSum(key string) ([32]byte, error) {
	return f.sum("keptSum", key)
}

func (f *filePort) sum(method string, arg any) ([32]byte, error) {
	var sum [32]byte
	err := catch(method, func() {
		u8 := f.files.Call(method, arg)
		if u8.Get("length").Int() != len(sum) {
			panic(errRead)
		}
		js.CopyBytesToGo(sum[:], u8)
	})
	return sum, err
}

// Discard implements viewer.FilePort.
func (f *filePort) Discard(key string) {
	_ = catch("discard file", func() { f.files.Call("discard", key) }) // nothing kept to lose
}
