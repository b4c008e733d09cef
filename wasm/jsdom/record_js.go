//go:build js && wasm

package jsdom

import (
	"context"
	"fmt"
	"syscall/js"
	"time"
)

// uploadTimeout bounds one chunk upload; the recorder retries after it.
const uploadTimeout = 30 * time.Second

// Uploader posts recording chunks with fetch, signed in by the page's
// cookies and with its CSRF token (viewer.Uploader).
type Uploader struct{ p *Page }

// Uploader returns the page's chunk uploader.
func (p *Page) Uploader() Uploader { return Uploader{p} }

// Upload implements viewer.Uploader.
func (u Uploader) Upload(ctx context.Context, url string, chunk []byte) (status int, body []byte, err error) {
	var promise js.Value
	err = catch("upload", func() {
		token := ""
		if m := u.p.doc.Call("querySelector", `meta[name="csrf-token"]`); !m.IsNull() {
			token = m.Call("getAttribute", "content").String()
		}
		data := js.Global().Get("Uint8Array").New(len(chunk))
		js.CopyBytesToJS(data, chunk)
		promise = u.p.win.Call("fetch", url, map[string]any{
			"method": "POST", "body": data, "credentials": "same-origin",
			"headers": map[string]any{"Content-Type": "application/octet-stream", "X-CSRF-Token": token, "Accept": "application/json"},
		})
	})
	if err != nil {
		return 0, nil, err
	}
	resp, err := await(promise, uploadTimeout)
	if err != nil {
		return 0, nil, fmt.Errorf("jsdom: upload: %w", err)
	}
	status = resp.Get("status").Int()
	text, err := await(resp.Call("text"), uploadTimeout)
	if err != nil {
		return status, nil, nil
	}
	return status, []byte(text.String()), nil
}

// fetchTimeout bounds loading a recording for playback.
const fetchTimeout = 2 * time.Minute

// Fetch loads url (same origin, with the page's cookies) into memory.
func (p *Page) Fetch(url string) ([]byte, error) {
	var promise js.Value
	if err := catch("fetch", func() { promise = p.win.Call("fetch", url, map[string]any{"credentials": "same-origin"}) }); err != nil {
		return nil, err
	}
	resp, err := await(promise, fetchTimeout)
	if err != nil {
		return nil, fmt.Errorf("jsdom: fetch %s: %w", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("jsdom: fetch %s: HTTP %d", url, resp.Get("status").Int())
	}
	buf, err := await(resp.Call("arrayBuffer"), fetchTimeout)
	if err != nil {
		return nil, fmt.Errorf("jsdom: fetch %s: %w", url, err)
	}
	var b []byte
	err = catch("copy", func() {
		arr := js.Global().Get("Uint8Array").New(buf)
		b = make([]byte, arr.Get("length").Int())
		js.CopyBytesToGo(b, arr)
	})
	return b, err
}
