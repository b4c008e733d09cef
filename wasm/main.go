//go:build js && wasm

// Command viewer is the engineer's viewer, compiled to GOOS=js GOARCH=wasm
// and started by static/js/viewer-boot.js on the viewer page. The logic
// lives in wasm/viewer; wasm/jsdom and wasm/rtc are its browser glue.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
	"tether/wasm/jsdom"
	"tether/wasm/rtc"
	"tether/wasm/viewer"
)

func main() { os.Exit(run()) }

// dialTimeout bounds the signaling connect; the page says why it failed.
const dialTimeout = 15 * time.Second

func run() int {
	// Standard error goes to the browser console through wasm_exec.js.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	page, err := jsdom.Find()
	if err != nil {
		log.Error("viewer: page", "err", err)
		return 1
	}
	defer page.Release()
	page.SetState(viewer.StateConnecting, "Connecting…")

	proto, host := page.Location()
	url := viewer.WebSocketURL(proto, host, page.Data("ws"))
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	conn, _, err := websocket.Dial(ctx, url, nil)
	cancel()
	if err != nil {
		page.SetState(viewer.StateEnded, fmt.Sprintf("Session ended: cannot reach the server (%v)", err))
		log.Error("viewer: dial", "url", url, "err", err)
		return 1
	}
	conn.SetReadLimit(max(protocol.MaxMessageSize, protocol.MaxSignalSize))

	v := viewer.New(viewer.Config{UI: page, Conn: conn, NewPeer: rtc.New, Log: log})
	page.Bind(v, log)
	if err := v.Run(context.Background()); err != nil {
		log.Error("viewer: session", "err", err)
		return 1
	}
	return 0
}
