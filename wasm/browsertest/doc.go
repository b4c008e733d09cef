// Package browsertest proves the viewer end to end: its tests build
// viewer.wasm, serve it on the viewer page's DOM contract, play the agent
// with a native pion peer over a fake signaling endpoint, and drive headless
// Chromium with chromedp. They skip when chromium is not installed.
//
//	go test ./wasm/browsertest/
//	go test ./wasm/browsertest/ -run '^$' -bench ViewerDecode -benchtime 30x
package browsertest
