package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tether/agent/consent"
	"tether/server/protocol"
)

const viewFiles = protocol.GrantView | protocol.GrantFiles

// fileSession runs a relayed session whose customer allowed g, with files
// landing in a fresh folder, and returns the harness, the server's side of
// the agent's connection and the folder.
func fileSession(t *testing.T, g protocol.Grants, limit int64) (*harness, *agentConn, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "Downloads")
	w := welcomeFor(false)
	w.FileMaxBytes = limit
	h := start(t, w, func(cfg *Config) { cfg.DownloadDir = dir })
	c := h.connect()
	relayView(t, c) // takes the screen, which keeps flowing meanwhile
	h.viewerBeforeConsent(c)
	h.allow(c, g)
	c.expect(protocol.SigPath)
	return h, c, dir
}

// nextFile returns the agent's next file-lane message.
func nextFile(t *testing.T, c *agentConn) protocol.Message {
	t.Helper()
	select {
	case b := <-c.files:
		m, err := protocol.Unmarshal(b)
		if err != nil {
			t.Fatalf("agent's file message: %v", err)
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no file message from the agent")
		return nil
	}
}

func expectMsg[T protocol.Message](t *testing.T, c *agentConn) T {
	t.Helper()
	m := nextFile(t, c)
	got, ok := m.(T)
	if !ok {
		t.Fatalf("agent sent %T %+v, want %T", m, m, got)
	}
	return got
}

// pushFile sends data as the engineer's viewer does: offer, chunks within
// the window as the agent acknowledges, end with sum. It stops after cut
// bytes when cut >= 0.
func pushFile(t *testing.T, c *agentConn, id uint32, name string, data []byte, sum [32]byte, cut int) {
	t.Helper()
	if err := c.sendFile(&protocol.FileOffer{ID: id, Size: uint64(len(data)), Name: name}); err != nil {
		t.Fatal(err)
	}
	if a := expectMsg[*protocol.FileAnswer](t, c); !a.Accept || a.ID != id {
		t.Fatalf("answer %+v", a)
	}
	books := protocol.NewFileSending(id, uint64(len(data)))
	maxAhead := uint64(0)
	for books.Sent() < books.Size {
		if cut >= 0 && books.Sent() >= uint64(cut) {
			return
		}
		for !books.Open() {
			ack := expectMsg[*protocol.FileAck](t, c)
			if err := books.Ack(ack.Offset); err != nil {
				t.Fatal(err)
			}
		}
		n := min(uint64(protocol.FileChunkSize), books.Size-books.Sent())
		chunk, err := books.Chunk(data[books.Sent() : books.Sent()+n])
		if err != nil {
			t.Fatal(err)
		}
		if err := c.sendFile(chunk); err != nil {
			t.Fatal(err)
		}
		maxAhead = max(maxAhead, books.Sent()-books.Acked())
	}
	if maxAhead > protocol.FileWindow*protocol.FileChunkSize {
		t.Fatalf("%d bytes in flight", maxAhead)
	}
	end, err := books.End()
	if err != nil {
		t.Fatal(err)
	}
	end.SHA256 = sum
	if err := c.sendFile(end); err != nil {
		t.Fatal(err)
	}
}

// result skips acknowledgements up to the transfer's result.
func result(t *testing.T, c *agentConn) *protocol.FileResult {
	t.Helper()
	for {
		switch m := nextFile(t, c).(type) {
		case *protocol.FileAck:
		case *protocol.FileResult:
			return m
		default:
			t.Fatalf("agent sent %T %+v, want a result", m, m)
		}
	}
}

func randomBytes(t *testing.T, n int) ([]byte, [32]byte) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b, sha256.Sum256(b)
}

// folderNames lists dir, hidden files included.
func folderNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func expectAudit(t *testing.T, c *agentConn, kind string) protocol.Audit {
	t.Helper()
	a := decode[protocol.Audit](t, c.expect(protocol.SigAudit))
	if a.Kind != kind {
		t.Fatalf("audit %+v, want kind %s", a, kind)
	}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestFilesToCustomer: a file from the engineer lands in the folder under
// its cleaned name, verified, reported to the audit log and on the page;
// a second one of the same name gets " (2)"; a name with ../ stays inside.
func TestFilesToCustomer(t *testing.T) {
	h, c, dir := fileSession(t, viewFiles, 10<<20)
	data, sum := randomBytes(t, 3*protocol.FileWindow*protocol.FileChunkSize+123)
	pushFile(t, c, 1, "report.bin", data, sum, -1)
	if r := result(t, c); !r.OK {
		t.Fatalf("result %+v", r)
	}
	got, err := os.ReadFile(filepath.Join(dir, "report.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("saved file: %v (%d bytes of %d)", err, len(got), len(data))
	}
	a := expectAudit(t, c, protocol.AuditFileToCustomer)
	if a.Name != "report.bin" || a.Size != int64(len(data)) || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("audit %+v", a)
	}
	waitFor(t, "the page to list the file as saved", func() bool {
		st := h.pageStatus()
		return len(st.Files) == 1 && st.Files[0].State == consent.FileDone && st.Files[0].Where == filepath.Join(dir, "report.bin") && st.Folder == dir
	})

	small, smallSum := randomBytes(t, 10)
	pushFile(t, c, 2, "report.bin", small, smallSum, -1)
	if r := result(t, c); !r.OK {
		t.Fatalf("result %+v", r)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "report (2).bin")); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("second file of the same name: %v", err)
	}
	expectAudit(t, c, protocol.AuditFileToCustomer)

	pushFile(t, c, 3, "../../escape.txt", small, smallSum, -1)
	if r := result(t, c); !r.OK {
		t.Fatalf("result %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.txt")); err != nil {
		t.Fatalf("../ name not saved inside the folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "..", "escape.txt")); err == nil {
		t.Fatal("a ../ name escaped the folder")
	}
	if names := folderNames(t, filepath.Dir(dir)); len(names) != 1 {
		t.Fatalf("beside the folder: %q", names)
	}
	if names := folderNames(t, dir); len(names) != 3 {
		t.Fatalf("folder holds %q", names)
	}
}

// TestFilesRefusedWithoutGrant: without the files grant the agent refuses
// an offer itself, and the customer cannot offer one either.
func TestFilesRefusedWithoutGrant(t *testing.T) {
	h, c, dir := fileSession(t, protocol.GrantView, 10<<20)
	if err := c.sendFile(&protocol.FileOffer{ID: 1, Size: 5, Name: "a.txt"}); err != nil {
		t.Fatal(err)
	}
	if a := expectMsg[*protocol.FileAnswer](t, c); a.Accept || !strings.Contains(a.Reason, "not allowed") {
		t.Fatalf("answer %+v, want a refusal", a)
	}
	// Chunks and an end regardless: nothing is written.
	_ = c.sendFile(&protocol.FileChunk{ID: 1, Data: []byte("hello")})
	_ = c.sendFile(&protocol.FileEnd{ID: 1, SHA256: sha256.Sum256([]byte("hello"))})
	expectAudit(t, c, protocol.AuditFileFailed)
	if code, msg := upload(t, h, "mine.txt", []byte("data")); code != http.StatusConflict || !strings.Contains(msg, "not allowed files") {
		t.Fatalf("upload without the grant: %d %s", code, msg)
	}
	time.Sleep(100 * time.Millisecond) // let stray messages arrive, if any
	if names := folderNames(t, dir); len(names) != 0 {
		t.Fatalf("folder holds %q", names)
	}
	select {
	case b := <-c.files:
		t.Fatalf("agent sent a file message %x", b[:2])
	default:
	}
}

// TestFilesOverLimit: the agent refuses a file over the provider's limit,
// both ways.
func TestFilesOverLimit(t *testing.T) {
	h, c, dir := fileSession(t, viewFiles, 1000)
	if err := c.sendFile(&protocol.FileOffer{ID: 1, Size: 1001, Name: "big.iso"}); err != nil {
		t.Fatal(err)
	}
	if a := expectMsg[*protocol.FileAnswer](t, c); a.Accept || !strings.Contains(a.Reason, "limit") {
		t.Fatalf("answer %+v, want a refusal", a)
	}
	a := expectAudit(t, c, protocol.AuditFileFailed)
	if a.Name != "big.iso" || a.Size != 1001 {
		t.Fatalf("audit %+v", a)
	}
	if code, msg := upload(t, h, "big.iso", make([]byte, 1001)); code != http.StatusConflict || !strings.Contains(msg, "limit") {
		t.Fatalf("upload over the limit: %d %s", code, msg)
	}
	if names := folderNames(t, dir); len(names) != 0 {
		t.Fatalf("folder holds %q", names)
	}
}

// TestFilesCutInTheMiddle: the viewer goes away mid-file; nothing stays
// in the folder, under the final name or any other.
func TestFilesCutInTheMiddle(t *testing.T) {
	h, c, dir := fileSession(t, viewFiles, 10<<20)
	data, sum := randomBytes(t, 4*protocol.FileChunkSize)
	pushFile(t, c, 1, "half.bin", data, sum, 2*protocol.FileChunkSize)
	waitFor(t, "the partial file to be written", func() bool { return len(folderNames(t, dir)) == 1 })
	if names := folderNames(t, dir); !strings.HasPrefix(names[0], ".tether-") {
		t.Fatalf("partial file under %q", names[0])
	}
	c.send(protocol.SigPeer, protocol.Peer{Role: "viewer", Present: false})
	waitFor(t, "the partial file to go", func() bool { return len(folderNames(t, dir)) == 0 })
	a := expectAudit(t, c, protocol.AuditFileFailed)
	if a.Name != "half.bin" || !strings.Contains(a.Note, "lost") {
		t.Fatalf("audit %+v", a)
	}
	_ = h
}

// TestFilesWrongHash: a file whose bytes do not hash to the sender's sum
// is removed and reported.
func TestFilesWrongHash(t *testing.T) {
	_, c, dir := fileSession(t, viewFiles, 10<<20)
	data, sum := randomBytes(t, protocol.FileChunkSize+5)
	sum[0] ^= 1
	pushFile(t, c, 1, "damaged.bin", data, sum, -1)
	if r := result(t, c); r.OK || !strings.Contains(r.Reason, "SHA-256") {
		t.Fatalf("result %+v, want a hash failure", r)
	}
	if names := folderNames(t, dir); len(names) != 0 {
		t.Fatalf("folder holds %q", names)
	}
	expectAudit(t, c, protocol.AuditFileFailed)
}

// TestFilesToEngineer: a file the customer offers on the consent page
// goes to the viewer within the window and is audited once verified.
func TestFilesToEngineer(t *testing.T) {
	h, c, _ := fileSession(t, viewFiles, 10<<20)
	data, sum := randomBytes(t, 2*protocol.FileWindow*protocol.FileChunkSize+77)
	done := make(chan int, 1)
	go func() {
		code, _ := upload(t, h, "../notes.txt", data)
		done <- code
	}()
	o := expectMsg[*protocol.FileOffer](t, c)
	if o.Name != "notes.txt" || o.Size != uint64(len(data)) {
		t.Fatalf("offer %+v", o)
	}
	if err := c.sendFile(&protocol.FileAnswer{ID: o.ID, Accept: true}); err != nil {
		t.Fatal(err)
	}
	books, err := protocol.NewFileReceiving(o, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		switch m := nextFile(t, c).(type) {
		case *protocol.FileChunk:
			if err := books.Take(m); err != nil {
				t.Fatal(err)
			}
			got = append(got, m.Data...)
			// Acknowledge only every fourth chunk: the agent must stop at
			// the window meanwhile, which the books above check.
			if books.Received() == books.Size || (books.Received()/protocol.FileChunkSize)%4 == 0 {
				if err := c.sendFile(&protocol.FileAck{ID: o.ID, Offset: books.Received()}); err != nil {
					t.Fatal(err)
				}
			}
		case *protocol.FileEnd:
			if err := books.Verify(m); err != nil || !bytes.Equal(got, data) || m.SHA256 != sum {
				t.Fatalf("end: %v", err)
			}
			if err := c.sendFile(&protocol.FileResult{ID: o.ID, OK: true}); err != nil {
				t.Fatal(err)
			}
			if code := <-done; code != http.StatusNoContent {
				t.Fatalf("upload answered %d", code)
			}
			a := expectAudit(t, c, protocol.AuditFileToEngineer)
			if a.Name != "notes.txt" || a.SHA256 != hex.EncodeToString(sum[:]) || a.Size != int64(len(data)) {
				t.Fatalf("audit %+v", a)
			}
			return
		default:
			t.Fatalf("agent sent %T", m)
		}
	}
}

// upload posts a file on the consent page as files.js does.
func upload(t *testing.T, h *harness, name string, data []byte) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, h.page+"files", bytes.NewReader(data))
	u, _ := url.Parse(h.page)
	req.Header.Set("Origin", "http://"+u.Host)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-File-Name", url.QueryEscape(name))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFilesPeerToPeer: on peer-to-peer the file lane is the "files" data
// channel: a file from the engineer arrives verified while the screen
// keeps coming on its own channel.
func TestFilesPeerToPeer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Downloads")
	w := welcomeFor(true)
	w.FileMaxBytes = 10 << 20
	h := start(t, w, func(cfg *Config) { cfg.DownloadDir = dir })
	c := h.connect()
	peer := newTestPeer(t, c)
	h.viewerBeforeConsent(c)
	h.allow(c, viewFiles)
	if p := decode[protocol.Path](t, c.expect(protocol.SigPath)); p.Path != "p2p" {
		t.Fatalf("path %q, want p2p", p.Path)
	}
	select {
	case <-peer.filesOpen:
	case <-time.After(10 * time.Second):
		t.Fatal("files channel not open")
	}
	send := func(m protocol.Message) {
		b, err := protocol.Marshal(m)
		if err == nil {
			err = peer.files.Send(b)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	next := func() protocol.Message {
		select {
		case b := <-peer.fileIn:
			m, err := protocol.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no file message on the files channel")
			return nil
		}
	}
	data, sum := randomBytes(t, 40*protocol.FileChunkSize)
	send(&protocol.FileOffer{ID: 9, Size: uint64(len(data)), Name: "big.bin"})
	if a, ok := next().(*protocol.FileAnswer); !ok || !a.Accept {
		t.Fatalf("answer %+v", a)
	}
	books := protocol.NewFileSending(9, uint64(len(data)))
	var frames int
	peer.view.state(func(v *screenView) { frames = len(v.frames) })
	for books.Sent() < books.Size {
		for !books.Open() {
			if ack, ok := next().(*protocol.FileAck); !ok || books.Ack(ack.Offset) != nil {
				t.Fatalf("ack %+v", ack)
			}
			h.screen.paint(int(books.Acked()/protocol.FileChunkSize)%190, 0, 10, 10, 1, 2, byte(books.Acked()))
		}
		n := min(uint64(protocol.FileChunkSize), books.Size-books.Sent())
		chunk, _ := books.Chunk(data[books.Sent() : books.Sent()+n])
		send(chunk)
	}
	end, _ := books.End()
	send(end)
	for {
		m := next()
		if r, ok := m.(*protocol.FileResult); ok {
			if !r.OK {
				t.Fatalf("result %+v", r)
			}
			break
		}
	}
	if got, err := os.ReadFile(filepath.Join(dir, "big.bin")); err != nil || sha256.Sum256(got) != sum {
		t.Fatalf("saved file: %v", err)
	}
	// The screen kept coming while the file moved.
	peer.view.waitFrame(frames, func(f frameSeen) bool { return sameImage(f.img, h.screen.snapshot()) })
	expectAudit(t, c, protocol.AuditFileToCustomer)
}
