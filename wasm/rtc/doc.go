// Package rtc is the viewer's WebRTC peer: pion/webrtc's browser build
// wrapping the page's RTCPeerConnection, answering the agent's offer and
// receiving the "screen" and "input" data channels the agent opens.
//
// It builds only for js/wasm; natively the agent side uses pion directly.
package rtc
