// Package codecbench measures the tile codecs of package protocol on real
// X screens and proves them pixel-exact. It holds only tests, benchmarks and
// their corpus; nothing imports it. Results and the choice of
// protocol.DefaultCodec are in docs/codec.md.
//
// The corpus is testdata/*.png, 1920×1080 screenshots taken with
// kbinani/screenshot (the agent's capture library) from a private Xvfb:
//
//   - xterm-ls.png: an xterm (fixed bitmap font) full of coloured ls -la output
//   - desktop.png: xlogo, xclock, xcalc, xeyes and two xterms over an xsetroot background
//   - chromium-article.png: Chromium (not headless, kiosk) showing testdata/article.html,
//     a text-heavy article with gradients and a noisy photo-like picture
//   - typing-before.png, typing-after.png: an anti-aliased xterm with a man page,
//     before and after one character typed with xdotool
//
// Regenerate them (needs Xvfb, xterm, x11-apps, xdotool, chromium, man) with
//
//	go test -tags corpus -run TestCaptureCorpus ./server/protocol/codecbench/
//
// Benchmarks, natively and in WebAssembly under node:
//
//	go test -run '^$' -bench . -benchtime 0.3s -count 5 ./server/protocol/codecbench/
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" \
//		-run '^$' -bench Decode -benchtime 0.5s -count 5 ./server/protocol/codecbench/
package codecbench
