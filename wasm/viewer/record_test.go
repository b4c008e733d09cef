package viewer

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/server/protocol"
)

// fakeServer takes chunks as the server does: in turn, once each.
type fakeServer struct {
	mu     sync.Mutex
	chunks [][]byte
	fail   int // answer this many uploads with 503 first
	posts  int
}

func (s *fakeServer) Upload(_ context.Context, url string, chunk []byte) (int, []byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts++
	if s.fail > 0 {
		s.fail--
		return http.StatusServiceUnavailable, nil, nil
	}
	var seq int
	if _, err := fmt.Sscanf(url[strings.Index(url, "?seq=")+5:], "%d", &seq); err != nil {
		return http.StatusBadRequest, nil, nil
	}
	if _, err := protocol.CheckRecording(bytes.Clone(chunk)); err != nil {
		return http.StatusBadRequest, []byte(`{"error":"` + err.Error() + `"}`), nil
	}
	switch {
	case seq < len(s.chunks) && bytes.Equal(s.chunks[seq], chunk):
		return http.StatusOK, nil, nil
	case seq != len(s.chunks):
		return http.StatusConflict, []byte(fmt.Sprintf(`{"next":%d,"end_ms":0}`, len(s.chunks))), nil
	}
	s.chunks = append(s.chunks, bytes.Clone(chunk))
	return http.StatusCreated, nil, nil
}

// file is the recording as the server sends it: the chunks' entries after one header.
func (s *fakeServer) file() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := protocol.RecordingHeader()
	for _, c := range s.chunks {
		b = append(b, c[protocol.RecordingHeaderSize:]...)
	}
	return b
}

// colourFrame is one frame that fills the w×h screen with a colour and a
// band of another, continuing enc's deflate stream unless it was reset.
func colourFrame(t *testing.T, enc *protocol.UpdateEncoder, seq uint32, w, h int) []byte {
	t.Helper()
	var ops protocol.OpWriter
	ops.Fill(image.Rect(0, 0, w, h), seq*0x10305)
	ops.Fill(image.Rect(0, int(seq)%h, w, int(seq)%h+1), 0xffffff-seq)
	b, err := enc.EncodeEnd(seq, w, h, ops.Buf, protocol.FrameEnd{Seq: seq})
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(b)
}

// TestRecordedSessionPlaysBackWithSeek: a recorder fed frames over 30 s
// (full frames every 12 s as the viewer asks for them) uploads chunks in
// order through a failing server, and the player shows at every seek
// point, forwards and backwards, exactly the picture decoded live then.
func TestRecordedSessionPlaysBackWithSeek(t *testing.T) {
	const w, h = 64, 48
	srv := &fakeServer{fail: 2}
	rec := NewRecorder(RecordConfig{URL: "/sessions/s1/recording/chunks", Uploader: srv})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.Start(ctx)

	var enc protocol.UpdateEncoder
	var live protocol.Inflater
	var fb Framebuffer
	fb.Resize(w, h)
	type shot struct {
		ms  float64
		pix []byte
	}
	var shots []shot
	hello, _ := protocol.Marshal(&protocol.Hello{Grants: protocol.GrantView, Width: w, Height: h, OS: "linux"})
	add := func(now float64, b []byte) {
		m, err := protocol.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rec.Add(now, b, m)
	}
	// Before the first full frame nothing is kept but the pointer.
	pos, _ := protocol.Marshal(&protocol.CursorPos{X: 3, Y: 4})
	add(0, hello)
	add(10, pos)
	seq := uint32(1)
	for now := 100.0; now < 30000; now += 250 {
		if rec.Tick(now) {
			enc.Reset() // the viewer asked the agent for a full frame
		}
		b := colourFrame(t, &enc, seq, w, h)
		m, _ := protocol.Unmarshal(b)
		ops, err := live.Inflate(m.(*protocol.Update))
		if err != nil {
			t.Fatal(err)
		}
		if err := fb.Apply(ops); err != nil {
			t.Fatal(err)
		}
		add(now, b)
		shots = append(shots, shot{now, bytes.Clone(fb.Pix)})
		seq++
	}
	rec.Flush(30000)
	deadline := time.Now().Add(20 * time.Second)
	for rec.Status().Queued > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("chunks still queued: %+v", rec.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	st := rec.Status()
	if st.State != "on" || st.Chunks < 14 || len(srv.chunks) != st.Chunks || srv.posts != st.Chunks+2 {
		t.Fatalf("recorder %+v, server kept %d chunks of %d posts", st, len(srv.chunks), srv.posts)
	}
	file := srv.file()
	sum, err := protocol.CheckRecording(bytes.Clone(file))
	if err != nil {
		t.Fatal(err)
	}
	// A full frame at the start and every 12 s.
	if len(sum.Keyframes) != 3 || sum.Keyframes[0] != 0 || sum.Keyframes[1] != 12000 {
		t.Fatalf("keyframes at %v ms", sum.Keyframes)
	}
	t.Logf("%d chunks, %d bytes, keyframes at %v ms", st.Chunks, len(file), sum.Keyframes)

	ui := &fakeUI{start: time.Now()}
	p, err := NewPlayer(Config{UI: ui}, file, int64(sum.EndMs))
	if err != nil {
		t.Fatal(err)
	}
	if p.State().Damaged != "" {
		t.Fatalf("intact recording: %q", p.State().Damaged)
	}
	// The recording's time 0 is its first full frame, at page time 100.
	at := func(i int) float64 { return shots[i].ms - 100 + 10 }
	for _, i := range []int{60, 5, 100, 99, 30, 48, 49, 0, 115} {
		p.seek(at(i))
		if !bytes.Equal(ui.pixels, shots[i].pix) {
			t.Fatalf("seek to %.0f ms (frame %d): the picture differs from the live one", shots[i].ms, i)
		}
	}
	// Playing on from a seek point decodes the frames that follow.
	p.seek(at(40))
	p.feed(at(45))
	p.v.applyOps(true)
	if !bytes.Equal(p.v.fb.Pix, shots[45].pix) {
		t.Fatalf("played on from frame 40 to 45: the picture differs")
	}

	// Cut in the middle: it plays to the cut and says after when.
	cut := file[:len(file)*2/3]
	p, err = NewPlayer(Config{UI: ui}, cut, int64(sum.EndMs))
	if err != nil {
		t.Fatal(err)
	}
	st2 := p.State()
	if !strings.HasPrefix(st2.Damaged, "The recording is damaged after 00:") || st2.EndMs <= 0 || st2.EndMs >= int64(sum.EndMs) {
		t.Fatalf("cut recording: %+v", st2)
	}
	p.seek(float64(st2.EndMs))
	t.Logf("cut recording: %q", st2.Damaged)
}

// TestRecorderStopsWhenNotRecorded: a session the server does not record
// (the customer was not told) stops the recorder for good.
func TestRecorderStopsWhenNotRecorded(t *testing.T) {
	up := uploaderFunc(func(context.Context, string, []byte) (int, []byte, error) {
		return http.StatusForbidden, []byte(`{"error":"This session is not recorded."}`), nil
	})
	rec := NewRecorder(RecordConfig{URL: "/x", Uploader: up})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.Start(ctx)
	var enc protocol.UpdateEncoder
	enc.Reset()
	b := colourFrame(t, &enc, 1, 8, 8)
	m, _ := protocol.Unmarshal(b)
	rec.Add(0, b, m)
	rec.Flush(10)
	deadline := time.Now().Add(5 * time.Second)
	for rec.Status().State != "off" {
		if time.Now().After(deadline) {
			t.Fatalf("recorder %+v", rec.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := rec.Status(); !strings.Contains(s.Message, "not recorded") || rec.Tick(5000) {
		t.Fatalf("stopped recorder %+v", s)
	}
}

type uploaderFunc func(context.Context, string, []byte) (int, []byte, error)

func (f uploaderFunc) Upload(ctx context.Context, url string, b []byte) (int, []byte, error) {
	return f(ctx, url, b)
}

// TestKeyframesFollowWhatChanged: the recorder asks for a full frame after
// KeyframeEvery only once as much came since the last one as it cost, and
// after KeyframeMax whatever came.
func TestKeyframesFollowWhatChanged(t *testing.T) {
	rec := NewRecorder(RecordConfig{URL: "/x", Uploader: uploaderFunc(func(context.Context, string, []byte) (int, []byte, error) {
		return http.StatusCreated, nil, nil
	})})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec.Start(ctx)
	add := func(now float64, m protocol.Message) {
		b, err := protocol.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		rec.Add(now, b, m)
	}
	big := make([]byte, 20000)
	add(0, &protocol.Update{Seq: 1, Width: 64, Height: 64, Flags: protocol.UpdateReset | protocol.UpdateEnd, Data: big})
	small := func(now float64, seq uint32) {
		add(now, &protocol.Update{Seq: seq, Width: 64, Height: 64, Flags: protocol.UpdateEnd, Data: []byte{1, 2, 3}})
	}
	// Typing: small frames for a minute and a half ask for nothing.
	seq := uint32(2)
	for now := 1000.0; now < 90000; now += 1000 {
		small(now, seq)
		seq++
		for rec.Status().Queued > 0 {
			time.Sleep(time.Millisecond)
		}
		if rec.Tick(now) {
			t.Fatalf("asked for a full frame at %.0f ms after %d bytes of small frames", now, rec.sinceKey)
		}
	}
	if !rec.Tick(float64(KeyframeMax / time.Millisecond)) {
		t.Fatal("no full frame asked for after KeyframeMax")
	}
	// A full frame, then as much again in changes: asked for at KeyframeEvery.
	add(130000, &protocol.Update{Seq: seq, Width: 64, Height: 64, Flags: protocol.UpdateReset | protocol.UpdateEnd, Data: big})
	add(131000, &protocol.Update{Seq: seq + 1, Width: 64, Height: 64, Flags: protocol.UpdateEnd, Data: big})
	if rec.Tick(135000) {
		t.Fatal("asked before KeyframeEvery")
	}
	if !rec.Tick(130000 + float64(KeyframeEvery/time.Millisecond)) {
		t.Fatal("not asked after KeyframeEvery with a full frame's worth of changes")
	}
}
