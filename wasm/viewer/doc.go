// Package viewer is the engineer's viewer without the browser: the session
// state machine (signaling, peer, relay), the frame backbuffer, input
// coalescing and the pure math behind scaling and wheel units.
//
// It builds natively and for js/wasm. The browser side (DOM, canvas, the
// pion peer) lives in wasm/jsdom and wasm/rtc and plugs in through the UI,
// Conn and Peer interfaces, so everything here is testable with go test.
package viewer
