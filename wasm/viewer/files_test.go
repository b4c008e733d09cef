package viewer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// fakeFiles is the page's side of files: picked files by page id, and the
// downloads being built.
type fakeFiles struct {
	mu        sync.Mutex
	picked    map[int][]byte
	kept      map[string][]byte
	finished  map[string]string
	discarded []string
}

func (f *fakeFiles) Read(id int, off int64, n int) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.picked[id]
	if !ok || off+int64(n) > int64(len(b)) {
		return nil, errors.New("no such bytes")
	}
	return append([]byte(nil), b[off:off+int64(n)]...), nil
}

func (f *fakeFiles) Append(key string, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kept[key] = append(f.kept[key], b...)
	return nil
}

func (f *fakeFiles) Finish(key, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished[key] = name
	return "blob:" + key, nil
}

func (f *fakeFiles) Discard(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.discarded = append(f.discarded, key)
	delete(f.kept, key)
}

// newFilesHarness starts a viewer with fake files, on the relay, with the
// customer's grants g and a file limit.
func newFilesHarness(t *testing.T, g protocol.Grants, limit int64) (*harness, *fakeFiles) {
	files := &fakeFiles{picked: map[int][]byte{}, kept: map[string][]byte{}, finished: map[string]string{}}
	h := &harness{t: t, conn: newFakeConn(), ui: &fakeUI{start: time.Now()}, done: make(chan error, 1)}
	h.v = New(Config{SessionID: "s1", UI: h.ui, Conn: h.conn, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), StatsEvery: time.Hour, Files: files,
		NewPeer: func([]protocol.ICEServer, bool, PeerEvents) (Peer, error) { return nil, errors.New("relay only") }})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- h.v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
	h.signal(protocol.SigState, protocol.State{SessionID: "s1", State: "active", Grants: g, FileMaxBytes: limit})
	h.signal(protocol.SigPeer, protocol.Peer{Role: "agent", Present: true, Grants: g})
	h.exchange()
	h.signal(protocol.SigPath, protocol.Path{Path: "relay"})
	h.eventually("relay", h.ui_(func(u *fakeUI) bool { return u.path == protocol.PathRelay }))
	return h, files
}

// sendFileLane sends m to the viewer on the relay's file lane, as the agent does.
func (h *harness) sendFileLane(m protocol.Message) {
	h.t.Helper()
	b, err := protocol.Marshal(m)
	if err != nil {
		h.t.Fatal(err)
	}
	sealed, err := h.keys.FileSealer.Seal(nil, b)
	if err != nil {
		h.t.Fatal(err)
	}
	h.conn.in <- wsMsg{websocket.MessageBinary, sealed}
}

// nextFileLane returns the viewer's next file-lane message; other relayed
// messages (acks of frames, pings) are skipped.
func (h *harness) nextFileLane() protocol.Message {
	h.t.Helper()
	for {
		m := h.nextSent()
		if m.typ != websocket.MessageBinary {
			continue
		}
		if t, err := protocol.PeekSealed(m.b); err != nil || !t.FileLane() {
			continue
		}
		b, err := h.keys.FileOpener.Open(m.b)
		if err != nil {
			h.t.Fatalf("viewer's file message does not open: %v", err)
		}
		msg, err := protocol.Unmarshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		return msg
	}
}

// lastFiles is the list the viewer last showed the page.
func (h *harness) lastFiles() []FileView {
	h.ui.mu.Lock()
	defer h.ui.mu.Unlock()
	for i := len(h.ui.emitted) - 1; i >= 0; i-- {
		if e := h.ui.emitted[i]; e.name == "files" {
			b, _ := json.Marshal(e.detail)
			var list []FileView
			_ = json.Unmarshal(b, &list)
			return list
		}
	}
	return nil
}

func (h *harness) command(name string, detail any) {
	b, _ := json.Marshal(detail)
	h.v.Command(name, b)
}

// TestViewerSendsFileWithinWindow: a picked file is offered, sent in
// chunks within the window as the agent acknowledges, and ends with its
// hash; a file over the limit is refused before anything is sent.
func TestViewerSendsFileWithinWindow(t *testing.T) {
	h, files := newFilesHarness(t, protocol.GrantView|protocol.GrantFiles, 10<<20)
	data := bytes.Repeat([]byte("tether"), 400_000) // 2.4 MB: more than a window
	files.picked[1] = data
	files.picked[2] = make([]byte, 11<<20)

	h.command(CmdFileSend, fileSendDetail{PageID: 2, Name: "huge.iso", Size: 11 << 20})
	h.eventually("the refusal shown", func() bool {
		l := h.lastFiles()
		return len(l) == 1 && l[0].State == "failed" && l[0].Name == "huge.iso"
	})

	h.command(CmdFileSend, fileSendDetail{PageID: 1, Name: "../logs/app.log", Size: int64(len(data))})
	o, ok := h.nextFileLane().(*protocol.FileOffer)
	if !ok || o.Name != "app.log" || o.Size != uint64(len(data)) {
		t.Fatalf("offer %+v (the over-limit file must not be offered)", o)
	}
	h.sendFileLane(&protocol.FileAnswer{ID: o.ID, Accept: true})
	books, err := protocol.NewFileReceiving(o, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	var acked uint64
	for {
		m := h.nextFileLane()
		if e, ok := m.(*protocol.FileEnd); ok {
			if err := books.Verify(e); err != nil || e.SHA256 != sha256.Sum256(data) {
				t.Fatalf("end: %v", err)
			}
			break
		}
		c, ok := m.(*protocol.FileChunk)
		if !ok {
			t.Fatalf("got %T", m)
		}
		if err := books.Take(c); err != nil {
			t.Fatal(err)
		}
		if books.Received()-acked > protocol.FileWindow*protocol.FileChunkSize {
			t.Fatalf("%d bytes sent past the last acknowledgement", books.Received()-acked)
		}
		// Acknowledge only when the window is full: the viewer must stop there.
		if books.Received()%(protocol.FileWindow*protocol.FileChunkSize) == 0 || books.Received() == books.Size {
			acked = books.Received()
			h.sendFileLane(&protocol.FileAck{ID: o.ID, Offset: acked})
		}
	}
	h.sendFileLane(&protocol.FileResult{ID: o.ID, OK: true})
	h.eventually("done shown", func() bool {
		l := h.lastFiles()
		return len(l) == 2 && l[0].State == "done" && l[0].SHA256 == books.SHA256()
	})
}

// TestViewerReceivesFiles: a file from the customer is kept and handed to
// the page once its hash matched; a damaged one is discarded, and without
// the files grant an offer is refused.
func TestViewerReceivesFiles(t *testing.T) {
	h, files := newFilesHarness(t, protocol.GrantView|protocol.GrantFiles, 1<<20)
	data := bytes.Repeat([]byte{7}, protocol.FileChunkSize+10)
	send := func(id uint32, sum [32]byte) *protocol.FileResult {
		h.sendFileLane(&protocol.FileOffer{ID: id, Size: uint64(len(data)), Name: "log.txt"})
		if a, ok := h.nextFileLane().(*protocol.FileAnswer); !ok || !a.Accept {
			t.Fatalf("answer %+v", a)
		}
		h.sendFileLane(&protocol.FileChunk{ID: id, Offset: 0, Data: data[:protocol.FileChunkSize]})
		h.sendFileLane(&protocol.FileChunk{ID: id, Offset: protocol.FileChunkSize, Data: data[protocol.FileChunkSize:]})
		h.sendFileLane(&protocol.FileEnd{ID: id, SHA256: sum})
		for {
			switch m := h.nextFileLane().(type) {
			case *protocol.FileAck:
			case *protocol.FileResult:
				return m
			default:
				t.Fatalf("got %T", m)
			}
		}
	}
	if r := send(1, sha256.Sum256(data)); !r.OK {
		t.Fatalf("result %+v", r)
	}
	files.mu.Lock()
	if files.finished["in-1"] != "log.txt" || !bytes.Equal(files.kept["in-1"], data) {
		t.Fatalf("finished %v", files.finished)
	}
	files.mu.Unlock()
	bad := sha256.Sum256(data)
	bad[3] ^= 1
	if r := send(2, bad); r.OK {
		t.Fatal("a damaged file was accepted")
	}
	files.mu.Lock()
	if _, ok := files.finished["in-2"]; ok || len(files.discarded) == 0 || files.discarded[len(files.discarded)-1] != "in-2" {
		t.Fatalf("damaged file: finished %v, discarded %v", files.finished, files.discarded)
	}
	files.mu.Unlock()
	h.sendFileLane(&protocol.FileOffer{ID: 3, Size: 2 << 20, Name: "big.bin"})
	if a, ok := h.nextFileLane().(*protocol.FileAnswer); !ok || a.Accept {
		t.Fatalf("over the limit: %+v", a)
	}

	// Without files the viewer refuses too (the agent would not send).
	h.signal(protocol.SigState, protocol.State{SessionID: "s1", State: "active", Grants: protocol.GrantView, FileMaxBytes: 1 << 20})
	h.eventually("files taken back", h.ui_(func(u *fakeUI) bool { return !u.grants.Has(protocol.GrantFiles) }))
	h.sendFileLane(&protocol.FileOffer{ID: 4, Size: 10, Name: "x"})
	if a, ok := h.nextFileLane().(*protocol.FileAnswer); !ok || a.Accept {
		t.Fatalf("without the grant: %+v", a)
	}
}
