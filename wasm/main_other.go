//go:build !(js && wasm)

// Command viewer is the engineer's viewer; it only runs in a browser.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "viewer: build with GOOS=js GOARCH=wasm; it runs in the browser")
	os.Exit(2)
}
