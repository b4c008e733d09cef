package viewer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"tether/server/protocol"
)

// A session whose provider records is recorded where its frames are: in
// the engineer's viewer, which uploads what it was shown — the screen and
// pointer messages as the agent sent them (after unsealing on the relay),
// with their arrival times — in chunks as it goes (protocol.ParseRecording
// has the format). The server checks and keeps them
// (POST /sessions/{id}/recording/chunks?seq=N); a crash of the browser
// loses at most the chunk being gathered. Playback (playback.go) feeds the
// messages through the same decoder.

// Recording cadence: a chunk every ChunkEvery, or sooner at ChunkBytes.
// Playback seeks from the last full frame before the target, so the
// recorder asks the agent for one KeyframeEvery — once what came since the
// last one is as large as it was (seeking then decodes at most about two
// full frames' worth), and at the latest every KeyframeMax. A still screen
// or typing thus costs a full frame every couple of minutes, not five a
// minute.
const (
	ChunkEvery    = 2 * time.Second
	ChunkBytes    = 2 << 20
	KeyframeEvery = 12 * time.Second
	KeyframeMax   = 2 * time.Minute
	// maxQueued bounds the chunks waiting for the server (about a minute):
	// past it the recording drops what comes and starts again at the next
	// full frame.
	maxQueued = 30
)

// Uploader posts one chunk. jsdom implements it with fetch; status is the
// HTTP status and body the answer.
type Uploader interface {
	Upload(ctx context.Context, url string, chunk []byte) (status int, body []byte, err error)
}

// RecordConfig says where a recording goes.
type RecordConfig struct {
	// URL takes chunks (?seq=N is appended).
	URL string
	// Next is the number of the first chunk this page uploads, and AtMs
	// the recording time it starts at: a reloaded viewer goes on.
	Next     int
	AtMs     int64
	Uploader Uploader
	Log      *slog.Logger
}

// RecordState is what the viewer shows of the recording (DOM event
// "tether:recording").
type RecordState struct {
	// State: "on" (recording), "failing" (chunks wait for the server),
	// "off" (stopped for good; Message says why).
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
	Chunks  int    `json:"chunks"`
	Bytes   int64  `json:"bytes"`
	Seconds int64  `json:"seconds"`
	Queued  int    `json:"queued"`
}

// Recorder gathers what the viewer was shown into chunks and uploads them
// in order from its own goroutine. It outlives the viewer of one
// connection: main makes one per page. Its methods may be called from any
// goroutine.
type Recorder struct {
	cfg RecordConfig
	log *slog.Logger

	mu      sync.Mutex
	started bool
	t0      float64 // the page clock at the first message recorded
	t0set   bool
	// waitKey: the recording (re)starts at the next full frame; until
	// then only the latest cursor shape and position are kept, to go
	// before it.
	waitKey bool
	shape   []byte
	pos     []byte
	// mark is the latest pointer position (or Hello): recorded again at
	// a cut when nothing else came, so that a still screen still counts
	// as recorded time.
	mark     []byte
	pending  []protocol.Recorded // the chunk being gathered
	size     int
	cutAt    float64 // page clock of the last cut
	keyAt    float64 // page clock of the last full frame
	inKey    bool    // the full frame is still coming
	keySize  int     // its bytes
	sinceKey int     // bytes recorded after it
	queue    [][]protocol.Recorded
	seq      int
	shift    int64 // added to every time: moves a reloaded page after the kept recording
	status   RecordState
	wake     chan struct{}
	lastMs   int64
	uploaded int64
}

// NewRecorder makes a recorder; Start runs its uploads.
func NewRecorder(c RecordConfig) *Recorder {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Recorder{cfg: c, log: c.Log, waitKey: true, seq: c.Next, status: RecordState{State: "on", Chunks: c.Next},
		wake: make(chan struct{}, 1)}
}

// Restart is called for every new connection to the agent: the recording
// goes on at the new stream's first full frame.
func (r *Recorder) Restart() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waitKey = true
}

// Add records one session message the viewer decoded, at page time now.
func (r *Recorder) Add(now float64, b []byte, m protocol.Message) {
	t := m.Type()
	if !t.Recorded() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status.State == "off" {
		return
	}
	if !r.started {
		r.started, r.cutAt, r.keyAt = true, now, now
	}
	if r.waitKey {
		switch t {
		case protocol.TypeCursorShape:
			r.shape = append(r.shape[:0], b...)
			return
		case protocol.TypeCursorPos:
			r.pos = append(r.pos[:0], b...)
			return
		case protocol.TypeUpdate:
			if !m.(*protocol.Update).Reset() {
				return
			}
		default:
			return
		}
		r.waitKey = false
		for _, c := range [][]byte{r.shape, r.pos} {
			if c != nil {
				r.append(now, c)
			}
		}
	}
	switch m := m.(type) {
	case *protocol.Update:
		if m.Reset() {
			r.keyAt, r.inKey, r.keySize, r.sinceKey = now, true, 0, 0
		}
		if r.inKey {
			r.keySize += len(b)
			r.inKey = !m.Ends()
		} else {
			r.sinceKey += len(b)
		}
	case *protocol.Photo:
		if r.inKey {
			r.keySize += len(b)
		} else {
			r.sinceKey += len(b)
		}
	case *protocol.FrameEnd:
		r.inKey = false
	}
	if t == protocol.TypeCursorPos || t == protocol.TypeHello && r.mark == nil {
		r.mark = append(r.mark[:0], b...)
	}
	r.append(now, b)
}

func (r *Recorder) append(now float64, b []byte) {
	if !r.t0set {
		r.t0, r.t0set = now, true
	}
	ms := r.cfg.AtMs + int64(now-r.t0)
	if ms < r.lastMs {
		ms = r.lastMs
	}
	r.lastMs = ms
	r.pending = append(r.pending, protocol.Recorded{Millis: uint32(ms), Msg: append([]byte(nil), b...)})
	r.size += len(b) + 8
	if r.size >= ChunkBytes {
		r.cut(now)
	}
}

// cut closes the chunk being gathered and queues it for upload.
func (r *Recorder) cut(now float64) {
	r.cutAt = now
	if len(r.pending) == 0 {
		return
	}
	if len(r.queue) >= maxQueued {
		// The server has not taken chunks for a while: what comes now
		// cannot follow on; start again at a full frame.
		r.log.Warn("viewer: recording queue full, dropping a chunk", "messages", len(r.pending))
		r.pending, r.size, r.waitKey = nil, 0, true
		return
	}
	r.queue = append(r.queue, r.pending)
	r.pending, r.size = nil, 0
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Tick cuts a chunk every ChunkEvery and reports whether the viewer should
// ask the agent for a full frame (one every KeyframeEvery, or to start
// again).
func (r *Recorder) Tick(now float64) (wantKey bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || r.status.State == "off" {
		return false
	}
	if now-r.cutAt >= float64(ChunkEvery/time.Millisecond) {
		if len(r.pending) == 0 && !r.waitKey && r.mark != nil {
			r.append(now, r.mark)
		}
		r.cut(now)
	}
	since := now - r.keyAt
	return r.waitKey || since >= float64(KeyframeMax/time.Millisecond) ||
		since >= float64(KeyframeEvery/time.Millisecond) && r.sinceKey >= r.keySize
}

// Flush queues what has been gathered (the session ended).
func (r *Recorder) Flush(now float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started && !r.waitKey && r.mark != nil {
		r.append(now, r.mark) // the recording lasts until now
	}
	r.cut(now)
}

// Status is the recording's state for the page.
func (r *Recorder) Status() RecordState {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Queued = len(r.queue)
	s.Seconds = r.lastMs / 1000
	return s
}

// Start uploads queued chunks in order until ctx ends.
func (r *Recorder) Start(ctx context.Context) { go r.uploads(ctx) }

func (r *Recorder) uploads(ctx context.Context) {
	backoff := time.Second
	for {
		r.mu.Lock()
		var c []protocol.Recorded
		if len(r.queue) > 0 && r.status.State != "off" {
			c = r.queue[0]
		}
		seq, shift := r.seq, r.shift
		r.mu.Unlock()
		if c == nil {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
			}
			continue
		}
		body, err := encodeChunk(c, shift)
		if err != nil {
			r.drop(fmt.Errorf("encode: %w", err))
			continue
		}
		status, answer, err := r.cfg.Uploader.Upload(ctx, r.cfg.URL+"?seq="+strconv.Itoa(seq), body)
		switch {
		case err != nil || status >= 500 || status == http.StatusTooManyRequests || status == 0:
			r.setState("failing", fmt.Sprintf("Cannot reach the server to save the recording (%v)", statusOr(status, err)))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 15*time.Second)
			continue
		case status == http.StatusOK || status == http.StatusCreated:
			backoff = time.Second
			r.mu.Lock()
			r.queue = r.queue[1:]
			r.seq++
			r.uploaded += int64(len(body))
			r.status.State, r.status.Message = "on", ""
			r.status.Chunks, r.status.Bytes = r.seq, r.uploaded
			r.mu.Unlock()
		case status == http.StatusConflict:
			// Another page of this session uploaded meanwhile: go on after it.
			var at struct {
				Next  int   `json:"next"`
				EndMs int64 `json:"end_ms"`
			}
			if json.Unmarshal(answer, &at) != nil {
				r.drop(fmt.Errorf("conflict without the next number: %s", answer))
				continue
			}
			r.mu.Lock()
			r.seq = at.Next
			if need := at.EndMs + 1 - (int64(c[0].Millis) + r.shift); need > 0 {
				r.shift += need
			}
			r.mu.Unlock()
			r.log.Info("viewer: recording goes on after another page's chunks", "next", at.Next, "end_ms", at.EndMs)
		case status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge:
			r.drop(fmt.Errorf("server refused chunk %d: %d %s", seq, status, answer))
		default: // 401, 403, 404, 410: this session is not (or no longer) recorded
			r.mu.Lock()
			r.queue, r.pending = nil, nil
			r.status.State, r.status.Message = "off", "Not recording: "+message(answer, status)
			r.mu.Unlock()
			r.log.Info("viewer: recording stopped", "status", status, "answer", string(answer))
		}
	}
}

// drop gives up on the first queued chunk, and on those after it, whose
// Updates continue its deflate stream; the recording starts again at the
// next full frame.
func (r *Recorder) drop(err error) {
	r.log.Warn("viewer: recording chunk dropped", "err", err)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue, r.pending, r.size, r.waitKey = nil, nil, 0, true
}

func (r *Recorder) setState(state, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status.State != "off" {
		r.status.State, r.status.Message = state, msg
	}
}

func encodeChunk(c []protocol.Recorded, shift int64) ([]byte, error) {
	b := protocol.RecordingHeader()
	var err error
	for _, e := range c {
		if b, err = protocol.AppendRecorded(b, uint32(int64(e.Millis)+shift), e.Msg); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func statusOr(status int, err error) string {
	if err != nil {
		return err.Error()
	}
	return "HTTP " + strconv.Itoa(status)
}

// message is the server's {"error": ...} answer, or the status.
func message(answer []byte, status int) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(answer, &e) == nil && e.Error != "" {
		return e.Error
	}
	return "HTTP " + strconv.Itoa(status)
}

// showRecording tells the page about the recording when its state changed
// (DOM event "tether:recording").
func (v *Viewer) showRecording() {
	s := v.rec.Status()
	if s == v.recState {
		return
	}
	v.recState = s
	v.ui.Emit("recording", s)
}
