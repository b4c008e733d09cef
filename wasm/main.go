//go:build js && wasm

// Command viewer is the engineer's viewer, compiled to GOOS=js GOARCH=wasm
// and started by static/js/viewer-boot.js on the viewer page. The logic
// lives in wasm/viewer; wasm/jsdom and wasm/rtc are its browser glue.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
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
	if page.Data("mode") == "playback" {
		return playback(page, log)
	}
	page.SetState(viewer.StateConnecting, "Connecting…")
	rec := recorder(page, log)

	proto, host := page.Location()
	url := viewer.WebSocketURL(proto, host, page.Data("ws"))
	// The viewer reconnects when the server restarts or the network blips;
	// the session itself decides when it is over.
	backoff := reconnectMin
	lostAt := time.Time{}
	for {
		err := session(page, url, log, rec)
		if err == nil {
			return 0
		}
		if websocket.CloseStatus(err) == protocol.CloseSignedOut {
			// The engineer signed out (here or in another tab) or was
			// deactivated: reconnecting would only be refused.
			page.SetState(viewer.StateEnded, "You have been signed out. Sign in again to continue.")
			return 0
		}
		if !errors.Is(err, viewer.ErrConnectionLost) && !errors.Is(err, errDial) {
			log.Error("viewer: session", "err", err)
			return 1
		}
		if lostAt.IsZero() {
			lostAt = time.Now()
		}
		if time.Since(lostAt) > reconnectGiveUp {
			page.SetState(viewer.StateEnded, "Session ended: cannot reach the server. Reload the page to try again.")
			return 1
		}
		if errors.Is(err, viewer.ErrConnectionLost) {
			lostAt, backoff = time.Now(), reconnectMin
		}
		log.Info("viewer: reconnecting", "in", backoff, "err", err)
		time.Sleep(backoff)
		backoff = min(backoff*2, reconnectMax)
	}
}

const (
	reconnectMin    = 500 * time.Millisecond
	reconnectMax    = 5 * time.Second
	reconnectGiveUp = 2 * time.Minute
)

var errDial = errors.New("viewer: cannot reach the server")

// session dials the signaling socket and runs one viewer on it.
func session(page *jsdom.Page, url string, log *slog.Logger, rec *viewer.Recorder) error {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	conn, _, err := websocket.Dial(ctx, url, nil)
	cancel()
	if err != nil {
		page.SetState(viewer.StateConnecting, "Cannot reach the server, trying again…")
		return fmt.Errorf("%w: %v", errDial, err)
	}
	conn.SetReadLimit(max(protocol.MaxSealedSize, protocol.MaxSignalSize))
	// Each connection is a new stream from the agent: a new inflater.
	inflater, kind := page.Inflater()
	page.SetInflater(kind)
	v := viewer.New(viewer.Config{SessionID: page.Data("session"), UI: page, Conn: conn, NewPeer: rtc.New, Log: log, Inflater: inflater, Files: page.Files(), Recorder: rec})
	page.Bind(v, log)
	defer page.Release()
	return v.Run(context.Background())
}

// recorder starts the recording of a session whose page says it is
// recorded (data-record), or returns nil.
func recorder(page *jsdom.Page, log *slog.Logger) *viewer.Recorder {
	url := page.Data("record")
	if url == "" {
		return nil
	}
	next, _ := strconv.Atoi(page.Data("recordNext"))
	at, _ := strconv.ParseInt(page.Data("recordAt"), 10, 64)
	rec := viewer.NewRecorder(viewer.RecordConfig{URL: url, Next: next, AtMs: at, Uploader: page.Uploader(), Log: log})
	rec.Start(context.Background())
	return rec
}

// playback plays the recording the page names (data-recording) back
// through the viewer's decoder.
func playback(page *jsdom.Page, log *slog.Logger) int {
	page.SetState(viewer.StateConnecting, "Loading the recording…")
	data, err := page.Fetch(page.Data("recording"))
	if err != nil {
		log.Error("viewer: load recording", "err", err)
		page.SetState(viewer.StateEnded, "The recording could not be loaded. Reload the page to try again.")
		return 1
	}
	duration, _ := strconv.ParseInt(page.Data("duration"), 10, 64)
	p, err := viewer.NewPlayer(viewer.Config{SessionID: page.Data("session"), UI: page, Log: log}, data, duration)
	if err != nil {
		log.Error("viewer: recording", "err", err)
		page.SetState(viewer.StateEnded, "This recording was made by another version of Tether and cannot be played here.")
		return 1
	}
	page.Bind(p.Viewer(), log)
	defer page.Release()
	if err := p.Run(context.Background()); err != nil {
		log.Error("viewer: playback", "err", err)
		return 1
	}
	return 0
}
