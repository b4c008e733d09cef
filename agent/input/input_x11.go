//go:build linux

package input

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"tether/agent/input/keysym"
	"tether/server/protocol"
)

// Core modifier indexes (X11 protocol, SetModifierMapping).
const (
	modShift = 0
	modLock  = 1
)

// x11 injects with XTest over one persistent connection. It keeps its own
// copy of the keyboard mapping, refreshed on MappingNotify, and remembers
// every keycode and button it holds so key-ups and ReleaseAll release
// exactly what went down.
type x11 struct {
	mu   sync.Mutex
	conn *xgb.Conn
	root xproto.Window

	m         keysym.Mapping
	modKeys   [8][]byte // keycodes of each core modifier
	shiftKC   byte      // key to press for Shift
	level3KC  byte      // key to press for ISO_Level3 (AltGr), 0 if none
	level3Mod int       // modifier index of ISO_Level3, -1 if none

	down    map[byte]bool   // keycodes held
	held    map[string]byte // heldID → keycode it went down on
	buttons map[byte]bool
	spares  []spare
	tick    uint64
	wheel   wheelAccum
}

// spare is a keycode with no keysyms that the injector binds to characters
// the layout lacks, as xdotool does. Bindings stay until the spare is
// needed for another character, so typing the same "é" twice does not
// rewrite the mapping, and are removed on Close.
type spare struct {
	kc   byte
	ks   uint32 // bound keysym, NoSymbol if free
	used uint64
}

// Open connects to the X server on $DISPLAY.
func Open() (Injector, error) { return openX11("") }

func openX11(display string) (*x11, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("input: connect to X: %w", err)
	}
	x := &x11{conn: c, root: xproto.Setup(c).DefaultScreen(c).Root,
		down: map[byte]bool{}, held: map[string]byte{}, buttons: map[byte]bool{}}
	if err := xtest.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: XTEST extension missing: %v", ErrUnsupported, err)
	}
	if _, err := xtest.GetVersion(c, 2, 2).Reply(); err != nil {
		c.Close()
		return nil, fmt.Errorf("input: XTEST version: %w", err)
	}
	if err := x.loadMapping(); err != nil {
		c.Close()
		return nil, err
	}
	for _, kc := range x.m.Spare() {
		x.spares = append(x.spares, spare{kc: kc})
	}
	return x, nil
}

// loadMapping reads the keyboard and modifier mappings.
func (x *x11) loadMapping() error {
	setup := xproto.Setup(x.conn)
	count := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	km, err := xproto.GetKeyboardMapping(x.conn, setup.MinKeycode, byte(count)).Reply()
	if err != nil {
		return fmt.Errorf("input: keyboard mapping: %w", err)
	}
	x.m = keysym.Mapping{Min: byte(setup.MinKeycode), PerKeycode: int(km.KeysymsPerKeycode),
		Syms: make([]uint32, len(km.Keysyms))}
	for i, ks := range km.Keysyms {
		x.m.Syms[i] = uint32(ks)
	}
	mm, err := xproto.GetModifierMapping(x.conn).Reply()
	if err != nil {
		return fmt.Errorf("input: modifier mapping: %w", err)
	}
	per := int(mm.KeycodesPerModifier)
	x.level3KC, x.level3Mod, x.shiftKC = 0, -1, 0
	for i := range x.modKeys {
		x.modKeys[i] = x.modKeys[i][:0]
		for _, kc := range mm.Keycodes[i*per : (i+1)*per] {
			if kc != 0 {
				x.modKeys[i] = append(x.modKeys[i], byte(kc))
			}
		}
	}
	if kc, ok := x.m.FindKeysym(keysym.ShiftL); ok {
		x.shiftKC = kc
	} else if len(x.modKeys[modShift]) > 0 {
		x.shiftKC = x.modKeys[modShift][0]
	}
	if kc, ok := x.m.FindKeysym(keysym.ISOLevel3Shift); ok {
		for i := range x.modKeys {
			for _, mk := range x.modKeys[i] {
				if mk == kc {
					x.level3KC, x.level3Mod = kc, i
				}
			}
		}
	}
	return nil
}

// pending returns the first X error queued since the last call, and
// reloads the mapping when another client changed it.
func (x *x11) pending() error {
	var first error
	reload := false
	for {
		ev, xerr := x.conn.PollForEvent()
		if ev == nil && xerr == nil {
			break
		}
		if xerr != nil && first == nil {
			first = fmt.Errorf("input: X error: %v", xerr)
		}
		if _, ok := ev.(xproto.MappingNotifyEvent); ok {
			reload = true
		}
	}
	if reload {
		first = errors.Join(first, x.loadMapping())
		x.keepSpares()
	}
	return first
}

// keepSpares drops spares another client has since bound (a layout
// switch) and adopts keycodes that became free.
func (x *x11) keepSpares() {
	kept := x.spares[:0]
	ours := map[byte]bool{}
	for _, s := range x.spares {
		row := x.m.Row(s.kc)
		if len(row) >= 2 && (row[0] == s.ks && row[1] == s.ks || s.ks == keysym.NoSymbol && row[0] == keysym.NoSymbol && row[1] == keysym.NoSymbol) {
			kept = append(kept, s)
			ours[s.kc] = true
		}
	}
	for _, kc := range x.m.Spare() {
		if !ours[kc] {
			kept = append(kept, spare{kc: kc})
		}
	}
	x.spares = kept
}

func (x *x11) fake(typ byte, detail byte, px, py int16) {
	xtest.FakeInput(x.conn, typ, detail, 0, x.root, px, py, 0)
}

// sync waits until the server has processed every request sent so far, so
// errors surface and events are delivered before the call returns.
func (x *x11) sync() error {
	if _, err := xproto.GetInputFocus(x.conn).Reply(); err != nil {
		return fmt.Errorf("input: X round trip: %w", err)
	}
	return x.pending()
}

func (x *x11) MouseMove(px, py int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fake(xproto.MotionNotify, 0, int16(min(max(px, 0), 32767)), int16(min(max(py, 0), 32767)))
	return x.pending()
}

// xButton maps DOM button numbers to X buttons; 4-7 are the wheel.
var xButton = map[protocol.Button]byte{
	protocol.ButtonLeft: 1, protocol.ButtonMiddle: 2, protocol.ButtonRight: 3,
	protocol.ButtonBack: 8, protocol.ButtonForward: 9,
}

func (x *x11) MouseButton(b protocol.Button, down bool) error {
	xb, ok := xButton[b]
	if !ok {
		return fmt.Errorf("input: unknown button %d", b)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if down {
		x.fake(xproto.ButtonPress, xb, 0, 0)
		x.buttons[xb] = true
	} else {
		x.fake(xproto.ButtonRelease, xb, 0, 0)
		delete(x.buttons, xb)
	}
	return x.sync()
}

func (x *x11) Wheel(dx, dy int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	cx, cy := x.wheel.add(dx, dy)
	click := func(n int, neg, pos byte) {
		b := pos
		if n < 0 {
			b, n = neg, -n
		}
		for range n {
			x.fake(xproto.ButtonPress, b, 0, 0)
			x.fake(xproto.ButtonRelease, b, 0, 0)
		}
	}
	click(cy, 4, 5)
	click(cx, 6, 7)
	return x.pending()
}

func (x *x11) Key(k protocol.Key) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.pending(); err != nil {
		return err
	}
	id := heldID(k)
	if !k.Down {
		return x.keyUp(id)
	}
	r, isChar := printable(k.Key)
	ks, named := keysym.ForCode(k.Code, k.Key)
	if named && strings.HasPrefix(k.Code, "Numpad") && !isChar {
		// Num Lock off on the engineer's side: "End", not "1".
		if nks, ok := keysym.ForKeyName(k.Key); ok {
			ks = nks
		}
	}
	if named && composedOnSpace(k) {
		named = false
	}
	if !named && !isChar {
		ks, named = keysym.ForKeyName(k.Key)
	}
	switch {
	case named:
		return x.pressKeysym(id, ks)
	case isChar && isShortcut(k.Mods):
		return x.pressShortcut(id, r, k.Code)
	case isChar:
		return x.typeRune(id, r)
	}
	return nil // "Dead", "Process", "Unidentified": nothing to type
}

// press presses kc for id, releasing first whatever id held before (a
// repeat of the same key presses it again, as autorepeat does).
func (x *x11) press(id string, kc byte) {
	if old, ok := x.held[id]; ok && old != kc {
		x.release(id)
	}
	x.fake(xproto.KeyPress, kc, 0, 0)
	x.down[kc] = true
	x.held[id] = kc
}

func (x *x11) release(id string) {
	kc, ok := x.held[id]
	if !ok {
		return
	}
	delete(x.held, id)
	for _, other := range x.held {
		if other == kc {
			return // still held under another code
		}
	}
	x.fake(xproto.KeyRelease, kc, 0, 0)
	delete(x.down, kc)
}

func (x *x11) keyUp(id string) error {
	x.release(id)
	return x.sync()
}

// pressKeysym presses the key carrying a named keysym, binding a spare
// keycode when the layout lacks it (F13-F24 on many keyboards).
func (x *x11) pressKeysym(id string, ks uint32) error {
	kc, ok := x.m.FindKeysym(ks)
	if !ok {
		var err error
		if kc, err = x.bindSpare(ks); err != nil {
			return err
		}
	}
	x.press(id, kc)
	return x.sync()
}

// pressShortcut presses the key for a character typed with Ctrl, Alt or
// Meta held: the customer's key for that letter (Ctrl+C must reach the
// app as C, not as a typed character), else the key at the engineer's
// physical position, with the modifiers the engineer holds as they are.
func (x *x11) pressShortcut(id string, r rune, code string) error {
	kc, _, ok := x.m.FindRune(unicode.ToLower(r), false, false)
	if !ok {
		if us, found := keysym.USChar(code); found {
			kc, _, ok = x.m.FindRune(us, false, false)
		}
	}
	if !ok {
		var err error
		if kc, err = x.bindSpare(keysym.FromRune(unicode.ToLower(r))); err != nil {
			return err
		}
	}
	x.press(id, kc)
	return x.sync()
}

// typeRune types r: it finds the key and level that produce r on the
// customer's layout (or binds a spare key to it), sets Shift and AltGr as
// that level needs for the duration of the press, then puts them back as
// the engineer holds them.
func (x *x11) typeRune(id string, r rune) error {
	caps, err := x.capsLock()
	if err != nil {
		return err
	}
	kc, lvl, ok := x.m.FindRune(r, caps, x.level3KC != 0)
	if !ok {
		if kc, err = x.bindSpare(keysym.FromRune(r)); err != nil {
			return err
		}
		// A spare carries the character on every level: modifiers are moot.
		x.press(id, kc)
		return x.sync()
	}
	var undo []func()
	adjust := func(mod int, want bool, kcToPress byte) {
		var held []byte
		for _, mk := range x.modKeys[mod] {
			if x.down[mk] {
				held = append(held, mk)
			}
		}
		switch {
		case want && len(held) == 0:
			x.fake(xproto.KeyPress, kcToPress, 0, 0)
			undo = append(undo, func() { x.fake(xproto.KeyRelease, kcToPress, 0, 0) })
		case !want && len(held) > 0:
			for _, mk := range held {
				x.fake(xproto.KeyRelease, mk, 0, 0)
				undo = append(undo, func() { x.fake(xproto.KeyPress, mk, 0, 0) })
			}
		}
	}
	adjust(modShift, lvl.Shift, x.shiftKC)
	if x.level3Mod >= 0 {
		adjust(x.level3Mod, lvl.Level3, x.level3KC)
	}
	x.press(id, kc)
	for i := len(undo) - 1; i >= 0; i-- {
		undo[i]()
	}
	return x.sync()
}

// capsLock reports whether Caps Lock is on, which flips the case letter
// keys type.
func (x *x11) capsLock() (bool, error) {
	p, err := xproto.QueryPointer(x.conn, x.root).Reply()
	if err != nil {
		return false, fmt.Errorf("input: query lock state: %w", err)
	}
	return p.Mask&xproto.ModMaskLock != 0, nil
}

// bindSpare binds ks to a spare keycode, reusing one already bound to ks,
// else the least recently used spare that is not held down.
func (x *x11) bindSpare(ks uint32) (byte, error) {
	x.tick++
	best := -1
	for i := range x.spares {
		s := &x.spares[i]
		if s.ks == ks {
			s.used = x.tick
			return s.kc, nil
		}
		if !x.down[s.kc] && (best < 0 || s.used < x.spares[best].used) {
			best = i
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("input: no spare keycode to type keysym %#x", ks)
	}
	s := &x.spares[best]
	if err := x.setRow(s.kc, ks); err != nil {
		return 0, err
	}
	s.ks, s.used = ks, x.tick
	return s.kc, nil
}

// setRow binds keycode kc to ks on both shift levels (NoSymbol clears it).
func (x *x11) setRow(kc byte, ks uint32) error {
	row := make([]xproto.Keysym, max(x.m.PerKeycode, 2))
	row[0], row[1] = xproto.Keysym(ks), xproto.Keysym(ks)
	err := xproto.ChangeKeyboardMappingChecked(x.conn, 1, xproto.Keycode(kc), byte(len(row)), row).Check()
	if err != nil {
		return fmt.Errorf("input: bind keycode %d to keysym %#x: %w", kc, ks, err)
	}
	x.m.Set(kc, []uint32{ks, ks})
	return nil
}

func (x *x11) ReleaseAll() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.releaseAll()
}

func (x *x11) releaseAll() error {
	for kc := range x.down {
		x.fake(xproto.KeyRelease, kc, 0, 0)
	}
	for b := range x.buttons {
		x.fake(xproto.ButtonRelease, b, 0, 0)
	}
	clear(x.down)
	clear(x.held)
	clear(x.buttons)
	return x.sync()
}

// Close releases everything, unbinds the spare keycodes it bound and
// closes the connection.
func (x *x11) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	err := x.releaseAll()
	for i := range x.spares {
		if x.spares[i].ks != keysym.NoSymbol {
			err = errors.Join(err, x.setRow(x.spares[i].kc, keysym.NoSymbol))
			x.spares[i].ks = keysym.NoSymbol
		}
	}
	x.conn.Close()
	return err
}
