// Package protocol is Tether's one wire contract, shared by the agent, the
// WASM viewer and the server.
//
// Two kinds of message cross the network:
//
//   - Session messages are binary. They travel on the WebRTC data channels
//     between agent and viewer (directly or through TURN), or, when WebRTC
//     cannot connect, as binary websocket messages relayed by the server. The
//     bytes are the same on every path (PathP2P, PathTURN, PathRelay). Every message starts with a version byte and a type byte; see
//     Header.
//   - Signaling messages are JSON {type, payload} envelopes carried as text
//     websocket messages between each program and the server hub; see Envelope.
//
// Every decoder checks bounds before every read and has a fuzz test. The
// package imports only the standard library and compression codecs, so it
// builds for linux, windows, darwin and js/wasm.
package protocol
