//go:build js && wasm

package jsdom

import (
	"log/slog"
	"syscall/js"

	"tether/server/protocol"
	"tether/wasm/viewer"
)

// Input is what the page reports to; *viewer.Viewer implements it. Every
// method must return at once (the viewer only posts to its goroutine).
type Input interface {
	MouseMove(x, y uint16)
	MouseButton(b protocol.Button, down bool, x, y uint16)
	Wheel(dx, dy float64, mode int)
	Key(k protocol.Key)
	Blur()
	// Command is a request from the page's scripts (viewer.Viewer.Command).
	Command(name string, detail []byte)
}

type listener struct {
	target js.Value
	typ    string
	fn     js.Func
}

// Bind attaches the DOM listeners. Input arrives only from the screen
// canvas (a pressed pointer is captured by it, so a drag released outside
// still ends);
// whether it is sent is the viewer's decision, by level.
func (p *Page) Bind(in Input, log *slog.Logger) {
	on := func(target js.Value, typ string, passive bool, f func(e js.Value)) {
		fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) == 0 {
				return nil
			}
			if err := catch(typ, func() { f(args[0]) }); err != nil {
				log.Warn("viewer: event", "type", typ, "err", err)
			}
			return nil
		})
		target.Call("addEventListener", typ, fn, map[string]any{"passive": passive})
		p.listeners = append(p.listeners, listener{target, typ, fn})
	}

	// Pointer events, not mouse events: their coordinates are fractional,
	// so a click in a scaled-down view lands on the remote pixel under the
	// pointer instead of one rounded up and left from it.
	on(p.screen, "pointermove", true, func(e js.Value) {
		x, y := p.remote(e)
		in.MouseMove(x, y)
		// A second button pressed or released while another is held comes
		// as a pointermove with that button set (a "chorded" press).
		if b := e.Get("button").Int(); b >= 0 {
			in.MouseButton(protocol.Button(b), e.Get("buttons").Int()&viewer.ButtonsBit(b) != 0, x, y)
		}
	})
	on(p.screen, "pointerdown", false, func(e js.Value) {
		// Focus first, so that keys typed after the click reach the canvas.
		p.screen.Call("focus", map[string]any{"preventScroll": true})
		e.Call("preventDefault")
		x, y := p.remote(e)
		in.MouseButton(protocol.Button(e.Get("button").Int()), true, x, y)
		// Captured, the pointer's release comes to the canvas wherever it
		// happens: a drag released outside still ends, in this window or
		// in the pop-out window the canvas may have moved to.
		p.screen.Call("setPointerCapture", e.Get("pointerId"))
	})
	on(p.screen, "pointerup", true, func(e js.Value) {
		x, y := p.remote(e)
		in.MouseButton(protocol.Button(e.Get("button").Int()), false, x, y)
	})
	on(p.screen, "contextmenu", false, func(e js.Value) { e.Call("preventDefault") })
	on(p.screen, "wheel", false, func(e js.Value) {
		if !p.pointing() {
			return // view only: the wheel scrolls the stage at 1:1
		}
		e.Call("preventDefault")
		in.Wheel(e.Get("deltaX").Float(), e.Get("deltaY").Float(), e.Get("deltaMode").Int())
	})
	key := func(down bool) func(e js.Value) {
		return func(e js.Value) {
			k := e.Get("key").String()
			if !p.inControl() || viewer.IgnoreKey(k, e.Get("isComposing").Truthy(), e.Get("keyCode").Int()) {
				return
			}
			key := protocol.Key{Down: down, Mods: mods(e), Key: k, Code: e.Get("code").String()}
			// Every other key belongs to the remote machine: Tab, F5 and
			// Ctrl+W must not act on this page. The paste shortcut, with
			// the clipboard allowed, is left to the browser so that it
			// fires its paste event (static/js/viewer-clipboard.js); the
			// viewer holds the key back until the text went ahead of it.
			if !(down && p.clipboardOn() && viewer.PasteShortcut(key.Key, key.Code, key.Mods)) {
				e.Call("preventDefault")
			}
			in.Key(key)
		}
	}
	on(p.screen, "keydown", false, key(true))
	on(p.screen, "keyup", false, key(false))
	on(p.screen, "blur", true, func(js.Value) { in.Blur() })
	on(p.refreshBtn, "click", true, func(js.Value) { in.Command(viewer.CmdRefresh, nil) })
	on(p.scaleBtn, "click", true, func(js.Value) {
		p.mu.Lock()
		p.scale = 1 - p.scale
		p.mu.Unlock()
		p.layout()
	})
	on(p.win, "resize", true, func(js.Value) { p.layout() })
	p.bindCommands(in, log)
}

// bindCommands installs window.tetherViewer.command(name, detail), through
// which the page's scripts ask the viewer for things (viewer.Viewer.Command).
func (p *Page) bindCommands(in Input, log *slog.Logger) {
	jsonObj := p.win.Get("JSON")
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 0 || args[0].Type() != js.TypeString {
			log.Warn("viewer: command without a name")
			return nil
		}
		detail := "null"
		if len(args) > 1 && !args[1].IsUndefined() {
			detail = jsonObj.Call("stringify", args[1]).String()
		}
		in.Command(args[0].String(), []byte(detail))
		return nil
	})
	p.helper.Set("command", fn)
	p.commandFn = fn
}

// remote maps a mouse event to remote screen pixels.
func (p *Page) remote(e js.Value) (x, y uint16) {
	r := p.screen.Call("getBoundingClientRect")
	p.mu.Lock()
	w, h := p.w, p.h
	p.mu.Unlock()
	return viewer.RemotePoint(e.Get("clientX").Float(), e.Get("clientY").Float(),
		viewer.Rect{Left: r.Get("left").Float(), Top: r.Get("top").Float(), Width: r.Get("width").Float(), Height: r.Get("height").Float()},
		w, h)
}

func mods(e js.Value) uint8 {
	m := func(name string) bool { return e.Call("getModifierState", name).Truthy() }
	return viewer.ModifierState{
		Shift: m("Shift"), Control: m("Control"), Alt: m("Alt"),
		Meta: m("Meta"), AltGraph: m("AltGraph"), CapsLock: m("CapsLock"),
	}.Bits()
}
