package session

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"tether/agent/consent"
	"tether/agent/link"
	"tether/server/protocol"
)

// files moves files between this computer and the engineer's viewer on the
// file lane (link.FileLane), only while the customer's grants include
// GrantFiles and only up to the provider's limit: both checked here, on the
// customer's side, whatever the viewer or the server says.
//
// A file from the engineer is written under a hidden temporary name in the
// folder (Downloads) and renamed to its cleaned name only once every byte
// arrived and the SHA-256 matched; a transfer that fails in any way removes
// the temporary file. A file the customer offers on the consent page is
// read from the page's upload as the viewer's acknowledgements allow.
//
// Its state is guarded by mu; it is driven by the lane's reader, the
// consent page's upload handlers and the session's owner goroutine.
type files struct {
	log *slog.Logger
	// dir is where files from the engineer land (the Downloads folder).
	dir string
	// audit reports a finished or failed transfer (names, sizes, hashes).
	audit func(protocol.Audit)
	// show puts the list of transfers on the consent page.
	show func([]consent.FileStatus)

	mu     sync.Mutex
	grants protocol.Grants
	limit  int64         // bytes; zero: no limit given, no files
	lane   link.FileLane // the current viewer's, or nil
	in     map[uint32]*incoming
	out    map[uint32]*outgoing
	nextID uint32
	list   []*consent.FileStatus // what the page shows, newest last
	shown  time.Time             // the last progress shown
}

// incoming is a file the engineer sends.
type incoming struct {
	books *protocol.FileReceiving
	name  string // cleaned
	tmp   *os.File
	w     *bufio.Writer
	st    *consent.FileStatus
}

// outgoing is a file the customer offers.
type outgoing struct {
	books  *protocol.FileSending
	name   string
	st     *consent.FileStatus
	answer chan *protocol.FileAnswer
	result chan *protocol.FileResult
	acked  chan struct{} // a nudge: the window may have opened
	ended  chan string   // the viewer cancelled, or the lane went away: why
}

// maxShownFiles bounds the consent page's list.
const maxShownFiles = 20

func newFiles(log *slog.Logger, dir string, audit func(protocol.Audit), show func([]consent.FileStatus)) *files {
	return &files{log: log, dir: dir, audit: audit, show: show, in: map[uint32]*incoming{}, out: map[uint32]*outgoing{}}
}

// setGrants applies the customer's grants. Taking files back ends every
// transfer at once.
func (f *files) setGrants(g protocol.Grants) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.grants = g
	if !g.Has(protocol.GrantFiles) {
		f.failAllLocked("the customer took back the permission to move files", true)
	}
}

// setLimit takes the provider's limit from the welcome.
func (f *files) setLimit(n int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = max(n, 0)
}

// serve reads the viewer's file lane until it closes; then every transfer
// on it fails.
func (f *files) serve(ctx context.Context, lane link.FileLane) error {
	f.mu.Lock()
	f.failAllLocked("the connection to the engineer was lost", false)
	f.lane = lane
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if f.lane == lane {
			f.lane = nil
			f.failAllLocked("the connection to the engineer was lost", false)
		}
		f.mu.Unlock()
	}()
	for {
		b, err := lane.RecvFile(ctx)
		if err != nil {
			return err
		}
		m, err := protocol.Unmarshal(b)
		if err != nil || !m.Type().FileLane() {
			return fmt.Errorf("session: viewer sent a bad file message: %w", err)
		}
		f.handle(lane, m)
	}
}

// handle runs one message from the viewer's file lane.
func (f *files) handle(lane link.FileLane, m protocol.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if lane != f.lane {
		return
	}
	switch m := m.(type) {
	case *protocol.FileOffer:
		f.offeredLocked(m)
	case *protocol.FileChunk:
		f.chunkLocked(m)
	case *protocol.FileEnd:
		f.endLocked(m)
	case *protocol.FileCancel:
		if m.Sender {
			if in := f.in[m.ID]; in != nil {
				f.failInLocked(in, "cancelled by the engineer", false)
			}
		} else if out := f.out[m.ID]; out != nil {
			f.endOutLocked(out, "cancelled by the engineer")
		}
	case *protocol.FileAnswer:
		if out := f.out[m.ID]; out != nil {
			nudge(out.answer, m)
		}
	case *protocol.FileAck:
		if out := f.out[m.ID]; out != nil {
			if err := out.books.Ack(m.Offset); err != nil {
				f.log.Warn("file acknowledgement refused", "err", err)
				f.endOutLocked(out, "the engineer's viewer broke the transfer")
				f.sendLocked(&protocol.FileCancel{ID: m.ID, Sender: true, Reason: "acknowledged more than was sent"})
				return
			}
			out.st.Done = int64(out.books.Acked())
			f.showLocked(false)
			nudge(out.acked, struct{}{})
		}
	case *protocol.FileResult:
		if out := f.out[m.ID]; out != nil {
			nudge(out.result, m)
		}
	}
}

// nudge hands v over without blocking; a full channel already holds news.
func nudge[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// offeredLocked answers an offer from the engineer: refused without the
// files grant, over the limit, or when the folder cannot take it.
func (f *files) offeredLocked(o *protocol.FileOffer) {
	name := protocol.CleanFileName(o.Name)
	refuse := func(why string) {
		f.log.Info("file from the engineer refused", "name", name, "size", o.Size, "why", why)
		f.sendLocked(&protocol.FileAnswer{ID: o.ID, Reason: why})
		f.audit(protocol.Audit{Kind: protocol.AuditFileFailed, Name: name, Size: int64(min(o.Size, 1<<50)), Note: "to the customer: refused: " + why})
		f.addLocked(&consent.FileStatus{Dir: consent.FileIn, Name: name, Size: int64(min(o.Size, 1<<50)), State: consent.FileFailed, Note: "Refused: " + why})
	}
	if !f.grants.Has(protocol.GrantFiles) {
		refuse("the customer has not allowed files")
		return
	}
	if f.in[o.ID] != nil {
		refuse("a transfer with this number is already running")
		return
	}
	books, err := protocol.NewFileReceiving(o, f.limit)
	if err != nil {
		refuse("larger than the limit of " + protocol.FormatBytes(f.limit))
		return
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		f.log.Warn("downloads folder", "err", err)
		refuse("the folder for files cannot be created on the customer's computer")
		return
	}
	tmp, err := os.CreateTemp(f.dir, ".tether-*.part")
	if err != nil {
		f.log.Warn("file from the engineer", "err", err)
		refuse("the file cannot be written on the customer's computer")
		return
	}
	st := &consent.FileStatus{ID: "in-" + strconv.FormatUint(uint64(o.ID), 10), Dir: consent.FileIn, Name: name, Size: int64(o.Size), State: consent.FileMoving}
	f.in[o.ID] = &incoming{books: books, name: name, tmp: tmp, w: bufio.NewWriterSize(tmp, 256<<10), st: st}
	f.addLocked(st)
	f.sendLocked(&protocol.FileAnswer{ID: o.ID, Accept: true})
}

func (f *files) chunkLocked(c *protocol.FileChunk) {
	in := f.in[c.ID]
	if in == nil {
		return // cancelled or failed already; the viewer hears of it
	}
	if err := in.books.Take(c); err != nil {
		f.failInLocked(in, "the transfer broke: "+err.Error(), true)
		return
	}
	if _, err := in.w.Write(c.Data); err != nil {
		f.log.Warn("write file", "err", err)
		f.failInLocked(in, "the file could not be written on the customer's computer", true)
		return
	}
	in.st.Done = int64(in.books.Received())
	f.sendLocked(&protocol.FileAck{ID: c.ID, Offset: in.books.Received()})
	f.showLocked(false)
}

// endLocked verifies a finished file and gives it its name, or removes it.
func (f *files) endLocked(e *protocol.FileEnd) {
	in := f.in[e.ID]
	if in == nil {
		return
	}
	if err := in.books.Verify(e); err != nil {
		why := "the file arrived incomplete"
		if errors.Is(err, protocol.ErrFileHash) {
			why = "the file arrived damaged (its SHA-256 does not match)"
		}
		f.failInLocked(in, why, false)
		f.sendLocked(&protocol.FileResult{ID: e.ID, Reason: why})
		return
	}
	delete(f.in, e.ID)
	err := in.w.Flush()
	if err == nil {
		err = in.tmp.Sync()
	}
	if cerr := in.tmp.Close(); err == nil {
		err = cerr
	}
	var path string
	if err == nil {
		// Where it started: the customer may have picked another folder since.
		path, err = placeFile(in.tmp.Name(), filepath.Dir(in.tmp.Name()), in.name)
	}
	if err != nil {
		f.log.Warn("save file", "err", err)
		removeQuietly(f.log, in.tmp.Name())
		why := "the file could not be saved on the customer's computer"
		in.st.State, in.st.Note = consent.FileFailed, why
		f.audit(protocol.Audit{Kind: protocol.AuditFileFailed, Name: in.name, Size: int64(in.books.Size), Note: "to the customer: " + why})
		f.sendLocked(&protocol.FileResult{ID: e.ID, Reason: why})
		f.showLocked(true)
		return
	}
	in.st.State, in.st.Where, in.st.Name, in.st.SHA256 = consent.FileDone, path, filepath.Base(path), in.books.SHA256()
	f.log.Info("file from the engineer saved", "path", path, "size", in.books.Size)
	f.audit(protocol.Audit{Kind: protocol.AuditFileToCustomer, Name: filepath.Base(path), Size: int64(in.books.Size), SHA256: in.books.SHA256()})
	f.sendLocked(&protocol.FileResult{ID: e.ID, OK: true})
	f.showLocked(true)
}

// failInLocked ends an incoming transfer: the temporary file goes, the
// page and the audit log say why; tell sends the viewer a cancel.
func (f *files) failInLocked(in *incoming, why string, tell bool) {
	delete(f.in, in.books.ID)
	if err := in.tmp.Close(); err != nil {
		f.log.Debug("close partial file", "err", err)
	}
	removeQuietly(f.log, in.tmp.Name())
	in.st.State, in.st.Note = consent.FileFailed, why
	f.audit(protocol.Audit{Kind: protocol.AuditFileFailed, Name: in.name, Size: int64(in.books.Size), Note: "to the customer: " + why})
	if tell {
		f.sendLocked(&protocol.FileCancel{ID: in.books.ID, Reason: why})
	}
	f.showLocked(true)
}

// endOutLocked stops an outgoing transfer; its sender goroutine reports.
func (f *files) endOutLocked(out *outgoing, why string) {
	delete(f.out, out.books.ID)
	nudge(out.ended, why)
}

// failAllLocked ends every transfer (the lane went away, files were
// taken back); tell also cancels them with the viewer.
func (f *files) failAllLocked(why string, tell bool) {
	for _, in := range f.in {
		f.failInLocked(in, why, tell)
	}
	for _, out := range f.out {
		if tell {
			f.sendLocked(&protocol.FileCancel{ID: out.books.ID, Sender: true, Reason: why})
		}
		f.endOutLocked(out, why)
	}
}

// sendLocked sends one file-lane message to the current viewer.
func (f *files) sendLocked(m protocol.Message) {
	if f.lane == nil {
		return
	}
	b, err := protocol.Marshal(m)
	if err == nil {
		err = f.lane.SendFile(b)
	}
	if err != nil {
		f.log.Info("send file message", "type", m.Type(), "err", err)
	}
}

// Offer sends a file the customer chose on the consent page (the page's
// upload, size bytes from r) to the engineer, at the pace the viewer
// acknowledges. It returns when the engineer's viewer verified it, or with
// the reason it did not get there; cancelling ctx (the page gave up, the
// customer pressed Cancel) cancels the transfer.
func (f *files) Offer(ctx context.Context, name string, size int64, r io.Reader) error {
	name = protocol.CleanFileName(name)
	f.mu.Lock()
	var why string
	switch {
	case !f.grants.Has(protocol.GrantFiles):
		why = "You have not allowed files in this session."
	case f.lane == nil:
		why = "The engineer is not connected right now."
	case size < 0 || size > f.limit:
		why = "This file is larger than the limit of " + protocol.FormatBytes(f.limit) + "."
	}
	if why != "" {
		f.addLocked(&consent.FileStatus{Dir: consent.FileOut, Name: name, Size: size, State: consent.FileFailed, Note: why})
		f.audit(protocol.Audit{Kind: protocol.AuditFileFailed, Name: name, Size: max(size, 0), Note: "to the engineer: refused: " + why})
		f.mu.Unlock()
		return &consent.FileError{Message: why}
	}
	f.nextID++
	id := f.nextID
	out := &outgoing{books: protocol.NewFileSending(id, uint64(size)), name: name,
		st:     &consent.FileStatus{ID: "out-" + strconv.FormatUint(uint64(id), 10), Dir: consent.FileOut, Name: name, Size: size, State: consent.FileWaiting},
		answer: make(chan *protocol.FileAnswer, 1), result: make(chan *protocol.FileResult, 1), acked: make(chan struct{}, 1), ended: make(chan string, 1)}
	f.out[id] = out
	f.addLocked(out.st)
	f.sendLocked(&protocol.FileOffer{ID: id, Size: uint64(size), Name: name})
	f.mu.Unlock()

	sum, err := f.send(ctx, out, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.out[id] == out {
		delete(f.out, id)
		if err != nil {
			f.sendLocked(&protocol.FileCancel{ID: id, Sender: true, Reason: "cancelled on the customer's computer"})
		}
	}
	if err != nil {
		out.st.State, out.st.Note = consent.FileFailed, err.Error()
		f.audit(protocol.Audit{Kind: protocol.AuditFileFailed, Name: name, Size: size, Note: "to the engineer: " + err.Error()})
		f.showLocked(true)
		return &consent.FileError{Message: err.Error()}
	}
	out.st.State, out.st.Done, out.st.SHA256 = consent.FileDone, size, sum
	f.audit(protocol.Audit{Kind: protocol.AuditFileToEngineer, Name: name, Size: size, SHA256: sum})
	f.showLocked(true)
	return nil
}

// answerTimeout bounds the wait for the viewer's answer and result.
const answerTimeout = time.Minute

// send runs one outgoing transfer after its offer and returns the hash the
// viewer verified.
func (f *files) send(ctx context.Context, out *outgoing, r io.Reader) (string, error) {
	fail := func(why string) (string, error) { return "", errors.New(why) }
	wait := time.NewTimer(answerTimeout)
	defer wait.Stop()
	select {
	case a := <-out.answer:
		if !a.Accept {
			return fail("The engineer's viewer refused the file: " + a.Reason + ".")
		}
	case why := <-out.ended:
		return fail("Stopped: " + why + ".")
	case <-ctx.Done():
		return fail("Cancelled.")
	case <-wait.C:
		return fail("The engineer's viewer did not answer.")
	}
	f.mu.Lock()
	out.st.State = consent.FileMoving
	f.showLocked(true)
	f.mu.Unlock()
	buf := make([]byte, protocol.FileChunkSize)
	for {
		f.mu.Lock()
		open, left := out.books.Open(), out.books.Size-out.books.Sent()
		f.mu.Unlock()
		if left == 0 {
			break
		}
		if !open {
			select {
			case <-out.acked:
				continue
			case why := <-out.ended:
				return fail("Stopped: " + why + ".")
			case <-ctx.Done():
				return fail("Cancelled.")
			}
		}
		n, err := io.ReadFull(r, buf[:min(uint64(len(buf)), left)])
		if err != nil {
			if ctx.Err() != nil {
				return fail("Cancelled.")
			}
			return fail("The file could not be read to the end.")
		}
		f.mu.Lock()
		c, err := out.books.Chunk(buf[:n])
		if err == nil && f.out[out.books.ID] == out {
			f.sendLocked(c)
		}
		f.mu.Unlock()
		if err != nil {
			return fail("The file could not be read to the end.")
		}
		select {
		case why := <-out.ended:
			return fail("Stopped: " + why + ".")
		default:
		}
	}
	f.mu.Lock()
	end, err := out.books.End()
	if err == nil {
		f.sendLocked(end)
	}
	f.mu.Unlock()
	if err != nil {
		return fail(err.Error())
	}
	wait.Reset(answerTimeout)
	select {
	case res := <-out.result:
		if !res.OK {
			return fail("The engineer's viewer did not accept the file: " + res.Reason + ".")
		}
		return fmtSum(end.SHA256), nil
	case why := <-out.ended:
		return fail("Stopped: " + why + ".")
	case <-ctx.Done():
		return fail("Cancelled.")
	case <-wait.C:
		return fail("The engineer's viewer did not confirm the file.")
	}
}

func fmtSum(s [32]byte) string { return fmt.Sprintf("%x", s[:]) }

// Cancel stops a transfer the customer cancels on the page.
func (f *files) Cancel(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir, num, ok := strings.Cut(id, "-")
	n, err := strconv.ParseUint(num, 10, 32)
	if !ok || err != nil {
		return
	}
	switch dir {
	case "in":
		if in := f.in[uint32(n)]; in != nil {
			f.failInLocked(in, "cancelled by the customer", true)
		}
	case "out":
		if out := f.out[uint32(n)]; out != nil {
			f.endOutLocked(out, "cancelled by the customer")
		}
	}
}

// addLocked adds a transfer to the page's list, forgetting the oldest
// finished ones beyond maxShownFiles.
func (f *files) addLocked(st *consent.FileStatus) {
	f.list = append(f.list, st)
	for len(f.list) > maxShownFiles {
		f.list = f.list[1:]
	}
	f.showLocked(true)
}

// showLocked sends the list to the page: at once for a change of state,
// at most four times a second for progress.
func (f *files) showLocked(now bool) {
	if f.show == nil || (!now && time.Since(f.shown) < 250*time.Millisecond) {
		return
	}
	f.shown = time.Now()
	list := make([]consent.FileStatus, len(f.list))
	for i, st := range f.list {
		list[i] = *st
	}
	f.show(list)
}

// placeFile moves the verified temporary file tmp into dir under name, or
// under "name (2).ext", "name (3).ext", … when taken. The name is reserved
// with an exclusive create before the rename, so an existing file is never
// replaced.
func placeFile(tmp, dir, name string) (string, error) {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 1; i < 1000; i++ {
		cand := name
		if i > 1 {
			cand = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		path := filepath.Join(dir, cand)
		r, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if err := r.Close(); err != nil {
			return "", errors.Join(err, os.Remove(path))
		}
		if err := os.Rename(tmp, path); err != nil {
			return "", errors.Join(err, os.Remove(path))
		}
		return path, nil
	}
	return "", fmt.Errorf("session: no free name for %q in %s", name, dir)
}

func removeQuietly(log *slog.Logger, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("remove partial file", "path", path, "err", err)
	}
}

// downloadsDir is the customer's Downloads folder: XDG_DOWNLOAD_DIR on
// Linux when set, else Downloads in the home folder (Windows, macOS and
// most Linux desktops).
func downloadsDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("session: no home folder for downloads: %w", err)
	}
	if dir := xdgDownloads(home); dir != "" {
		return dir, nil
	}
	return filepath.Join(home, "Downloads"), nil
}

// xdgDownloads reads XDG_DOWNLOAD_DIR from the environment or from
// ~/.config/user-dirs.dirs (freedesktop.org xdg-user-dirs).
func xdgDownloads(home string) string {
	if v := os.Getenv("XDG_DOWNLOAD_DIR"); filepath.IsAbs(v) {
		return v
	}
	b, err := os.ReadFile(filepath.Join(home, ".config", "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "XDG_DOWNLOAD_DIR=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.IsAbs(v) && v != home {
			return v
		}
	}
	return ""
}

// SetFolder implements consent.Files: files from the engineer land in dir
// from now on (transfers already running finish where they started). It
// must be a folder that exists, named by its full path, in which this
// program can write.
func (f *files) SetFolder(dir string) error {
	dir = strings.TrimSpace(dir)
	if dir == "" || !filepath.IsAbs(dir) {
		return &consent.FileError{Message: "Type the folder's full path."}
	}
	dir = filepath.Clean(dir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return &consent.FileError{Message: "There is no folder " + dir + "."}
	}
	probe, err := os.CreateTemp(dir, ".tether-probe-*")
	if err != nil {
		return &consent.FileError{Message: "Files cannot be saved in " + dir + "."}
	}
	probe.Close()
	removeQuietly(f.log, probe.Name())
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dir = dir
	f.log.Info("files from the engineer go to another folder", "folder", dir)
	f.showLocked(true)
	return nil
}

// folderChoices are the usual folders to save files in that exist here:
// Downloads, Desktop and Documents in the home folder.
func folderChoices() []string {
	var out []string
	if d, err := downloadsDir(); err == nil {
		out = append(out, d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return out
	}
	for _, name := range []string{"Desktop", "Documents"} {
		d := filepath.Join(home, name)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

// startFiles makes the session's file transfers, unless this computer has
// no folder to save them in (then files are not offered at all).
func (s *session) startFiles(ctx context.Context) {
	dir := s.cfg.DownloadDir
	if dir == "" {
		var err error
		if dir, err = downloadsDir(); err != nil {
			s.log.Warn("no folder for files: files are not offered", "err", err)
			return
		}
	}
	audit := func(a protocol.Audit) {
		// Never from the caller's goroutine: it holds the transfers' lock.
		go func() {
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if err := s.sig.Send(actx, protocol.SigAudit, a); err != nil {
				s.log.Info("report file to the audit log", "kind", a.Kind, "err", err)
			}
		}()
	}
	s.files = newFiles(s.log, dir, audit, nil)
}

// showFiles connects the consent page to the transfers.
func (s *session) showFiles() {
	if s.files == nil || s.page == nil {
		return
	}
	page, f := s.page, s.files
	page.SetFiles(f)
	f.mu.Lock()
	defer f.mu.Unlock()
	choices := folderChoices()
	f.show = func(list []consent.FileStatus) { page.UpdateFiles(list, f.dir, choices, f.limit) }
	f.showLocked(true)
}

// close ends every transfer when the session ends: no partial file stays.
func (f *files) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAllLocked("the session ended", false)
	f.lane = nil
}
