// Package codecbench measures the picture codec (protocol Update and Photo
// messages, as agent/stream encodes them) on real X screens and proves it
// exact. Besides Quality (ExactShare and SSIM), which the side-by-side
// benchmark uses too, it holds only tests, benchmarks and their corpus.
// Results are in docs/codec.md.
//
// The corpus in testdata:
//
//   - xterm-ls.png: an xterm (fixed bitmap font) full of coloured ls -la output
//   - desktop.png: xlogo, xclock, xcalc, xeyes and two xterms over an xsetroot background
//   - chromium-article.png: Chromium (not headless, kiosk) showing testdata/article.html,
//     a text-heavy article with gradients and a noisy photo-like picture
//   - typing-before.png, typing-after.png: an anti-aliased xterm with a man page,
//     before and after one character typed with xdotool
//   - typing.rec, scrolling.rec: recordings (protocol.RecordingWriter) of what the
//     agent sent, every area exact, while xdotool typed into that xterm and
//     scrolled GPL-3 in less; they carry the protocol version and are refused
//     by a build of another version
//
// Video comes from ffmpeg's testsrc2 pattern, rendered at test time.
// Regenerate the corpus (needs Xvfb, xterm, x11-apps, xdotool, chromium, man) with
//
//	go test -tags corpus -run 'TestCaptureCorpus|TestRecordCorpus' ./server/protocol/codecbench/
//
// Benchmarks, natively and in WebAssembly under node:
//
//	go test -run '^$' -bench . -benchtime 0.3s -count 5 ./server/protocol/codecbench/
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" \
//		-run '^$' -bench 'FullFrame|TileClass' -benchtime 0.5s -count 5 ./server/protocol/codecbench/
package codecbench
