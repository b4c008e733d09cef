// Package static embeds the files the server serves under /static: page
// styles and scripts, Go's wasm_exec.js, and in build/ the compiled viewer
// and agents (put there by `go tool task build`).
package static

import "embed"

// Files holds css/, js/, img/, audio/, wasm_exec.js and the chat widget (chat/, package chat).
//
//go:embed css js img audio wasm_exec.js chat/chat.js chat/chat.css
var Files embed.FS

// Build holds build/: viewer.wasm and agents/.
//
//go:embed build
var Build embed.FS
