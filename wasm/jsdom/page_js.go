//go:build js && wasm

package jsdom

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"tether/server/protocol"
	"tether/wasm/viewer"
)

// ErrMissing is returned by Find when the page lacks part of the contract.
var ErrMissing = errors.New("jsdom: viewer element missing")

// Page is the viewer page. It implements viewer.UI.
type Page struct {
	win, doc, perf js.Value
	root           js.Value // #viewer
	state, level   js.Value
	path, code     js.Value
	fps, bw, rtt   js.Value
	scaleBtn       js.Value
	refreshBtn     js.Value
	stage          js.Value
	screen, cursor js.Value
	ctx, cctx      js.Value // 2d contexts of screen and cursor

	// Written by the owner goroutine (Resize) and read by DOM callbacks
	// (layout, coordinates): guarded by mu.
	mu      sync.Mutex
	w, h    int
	scale   viewer.Scale
	control bool
	pointer bool
	clip    bool // the customer allows the clipboard

	helper    js.Value // window.tetherViewer, from static/js/viewer-pixels.js
	rects     []uint32 // x, y, w, h of each rectangle Paint paints
	photoBuf  []byte
	cur       cursorState
	listeners []listener
	first     bool
	commandFn js.Func           // window.tetherViewer.command, while bound
	words     map[string]string // the page's messages (words_js.go), read once by Find
}

// Find locates the DOM contract's elements.
func Find() (*Page, error) {
	p := &Page{win: js.Global(), doc: js.Global().Get("document"), perf: js.Global().Get("performance")}
	err := catch("find", func() {
		get := func(id string) js.Value { return p.doc.Call("getElementById", id) }
		ids := []struct {
			id string
			v  *js.Value
		}{
			{"viewer", &p.root}, {"v-state", &p.state}, {"v-level", &p.level}, {"v-path", &p.path}, {"v-code", &p.code},
			{"v-fps", &p.fps}, {"v-bw", &p.bw}, {"v-rtt", &p.rtt}, {"v-scale", &p.scaleBtn},
			{"v-refresh", &p.refreshBtn}, {"v-stage", &p.stage}, {"v-screen", &p.screen}, {"v-cursor", &p.cursor},
		}
		var missing []string
		for _, e := range ids {
			*e.v = get(e.id)
			if e.v.IsNull() {
				missing = append(missing, "#"+e.id)
			}
		}
		p.helper = js.Global().Get("tetherViewer")
		if p.helper.Type() != js.TypeObject || p.helper.Get("memory").Type() != js.TypeObject {
			missing = append(missing, "window.tetherViewer with the module's memory (static/js/viewer-pixels.js, viewer-boot.js)")
		}
		if len(missing) > 0 {
			panic(fmt.Errorf("%w: %v", ErrMissing, missing))
		}
		p.ctx = p.screen.Call("getContext", "2d", map[string]any{"alpha": false})
		p.cctx = p.cursor.Call("getContext", "2d")
		p.loadWords()
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// inControl: keys go to the customer's computer (full control).
func (p *Page) inControl() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.control
}

// pointing: the mouse goes to the customer's computer (limited control or
// control).
func (p *Page) pointing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pointer
}

func (p *Page) clipboardOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.clip
}

// Data returns a data-* attribute of #viewer ("ws", "session", ...).
func (p *Page) Data(name string) string {
	v := p.root.Get("dataset").Get(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Location returns the page's location.protocol and location.host.
func (p *Page) Location() (protocol, host string) {
	loc := p.win.Get("location")
	return loc.Get("protocol").String(), loc.Get("host").String()
}

func (p *Page) setData(name, value string) { p.root.Get("dataset").Set(name, value) }

// SetState implements viewer.UI. The end also goes into #v-ended-reason,
// the panel that replaces the live session's controls.
func (p *Page) SetState(s viewer.State, text string) {
	text = p.status(text)
	p.state.Set("textContent", text)
	p.setData("state", string(s))
	if s == viewer.StateEnded {
		if r := p.doc.Call("getElementById", "v-ended-reason"); !r.IsNull() {
			r.Set("textContent", text)
		}
	}
}

// SetPath implements viewer.UI.
func (p *Page) SetPath(path string) {
	text := ""
	switch path {
	case protocol.PathP2P:
		text = "Peer-to-peer"
	case protocol.PathTURN:
		text = "TURN"
	case protocol.PathRelay:
		text = "Relay"
	}
	if id, ok := pathMessages[path]; ok {
		text = p.say(id, text)
	}
	p.path.Set("textContent", text)
	p.setData("path", path)
}

// SetSecurityCode implements viewer.UI: the code next to the path badge,
// and in data-code for tests.
func (p *Page) SetSecurityCode(code string) {
	text := ""
	if code != "" {
		text = p.say("console_js_v_code", "Code "+code, "Code", code)
	}
	p.code.Set("textContent", text)
	p.setData("code", code)
}

// SetGrants implements viewer.UI: "View · Control" once the customer
// allowed it, nothing before (the chip hides when empty).
func (p *Page) SetGrants(g protocol.Grants) {
	control := g.Has(protocol.GrantControl)
	pointer := g.Has(protocol.GrantLimited) // control implies it
	p.mu.Lock()
	p.control, p.pointer = control, pointer
	p.clip = g.Has(protocol.GrantClipboard)
	p.mu.Unlock()
	words := p.grantWords(g)
	p.level.Set("textContent", strings.Join(words, " · "))
	p.level.Set("title", p.say("console_js_v_allows", "The customer allows: "+strings.Join(g.Labels(), ", "), "Grants", strings.Join(words, ", ")))
	p.setData("grants", g.String())
	p.screen.Get("classList").Call("toggle", "v-control", pointer)
}

// SetStats implements viewer.UI.
func (p *Page) SetStats(fps, bandwidth, rtt string) {
	p.fps.Set("textContent", fps)
	p.bw.Set("textContent", bandwidth)
	p.rtt.Set("textContent", rtt)
}

// Now implements viewer.UI.
func (p *Page) Now() float64 { return p.perf.Call("now").Float() }

// Painted implements viewer.UI. data-decode-ms is decode plus paint (what
// the frame cost this page); data-paint-ms is the paint part alone,
// data-inflate-ms the inflating part of the decode, data-rects the number
// of rectangles painted, data-frame-ms the wall time from the frame's first
// message to the end of its paint, data-encode-ms the agent's capture and
// encode time for the frame.
func (p *Page) Painted(s viewer.FrameStats) {
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	p.setData("frames", strconv.Itoa(s.Frames))
	p.setData("decodeMs", ms(s.DecodeMs+s.PaintMs))
	p.setData("paintMs", ms(s.PaintMs))
	p.setData("inflateMs", ms(s.InflateMs))
	p.setData("rects", strconv.Itoa(s.Rects))
	p.setData("frameMs", ms(s.FrameMs))
	p.setData("encodeMs", ms(s.EncodeMs))
	if !p.first {
		p.first = true
		p.setData("firstFrameMs", strconv.FormatFloat(p.Now(), 'f', 1, 64))
	}
}

// Release removes every listener and releases its js.Func. Call it once,
// when the viewer is done.
func (p *Page) Release() {
	for _, l := range p.listeners {
		// Removed first, so no event can reach a released function.
		if err := catch("release", func() { l.target.Call("removeEventListener", l.typ, l.fn) }); err == nil {
			l.fn.Release()
		}
	}
	p.listeners = nil
	if !p.commandFn.IsUndefined() {
		p.helper.Delete("command")
		p.commandFn.Release()
		p.commandFn = js.Func{}
	}
}

// Emit implements viewer.UI: a DOM event "tether:<name>" on window, whose
// detail is the JSON form of detail.
func (p *Page) Emit(name string, detail any) {
	if e, ok := detail.(viewer.ErrorEvent); ok {
		e.Message = p.status(e.Message)
		detail = e
	}
	b, err := json.Marshal(detail)
	if err != nil {
		panic(fmt.Errorf("jsdom: emit %s: %w", name, err)) // our own types: a bug
	}
	ev := p.win.Get("CustomEvent").New("tether:"+name, map[string]any{"detail": p.win.Get("JSON").Call("parse", string(b))})
	p.win.Call("dispatchEvent", ev)
}
