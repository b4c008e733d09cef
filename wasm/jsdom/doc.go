// Package jsdom is the viewer's browser glue: it finds the DOM contract's
// elements, implements viewer.UI over them (canvas painting, status text,
// data-* attributes for tests) and turns DOM events into viewer input.
//
// Everything touching syscall/js is here and builds only for js/wasm. JS
// panics are recovered into errors (see catch), every js.Func is released
// by Page.Release, and callbacks only read the event and post to the
// viewer's owner goroutine.
package jsdom
