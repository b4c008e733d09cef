//go:build js && wasm

package jsdom

import "fmt"

// catch runs f and turns a syscall/js panic (a thrown JS exception, a call on
// undefined) into an error, so a DOM surprise never kills the viewer.
func catch(what string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok { // js.Error or an error of ours
				err = fmt.Errorf("jsdom: %s: %w", what, e)
				return
			}
			err = fmt.Errorf("jsdom: %s: %v", what, r)
		}
	}()
	f()
	return nil
}
