package viewer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"tether/server/protocol"
)

// Files move both ways on the file lane (protocol.Type.FileLane): the
// agent's "files" data channel, or the relay's file lane sealed with its
// own keys. The page script static/js/viewer-files.js holds the engineer's
// picked files and the received blobs; the viewer runs the protocol, the
// window and the hashes, and tells the page how each transfer goes with
// the "files" event (a list of FileView).

// FilePort is what the viewer needs of the page for files.
type FilePort interface {
	// Read returns n bytes at off of the file the page registered as
	// pageID (File.slice), waiting for the browser.
	Read(pageID int, off int64, n int) ([]byte, error)
	// Append adds received bytes to the download of transfer key; Finish
	// makes it a file called name and returns its address (a blob: URL);
	// Discard drops it.
	Append(key string, b []byte) error
	Finish(key, name string) (string, error)
	Discard(key string)
}

// FileHasher is a FilePort that hashes the bytes it reads and keeps, in
// order: the browser's JavaScript engine computes SHA-256 several times
// faster than Go compiled to wasm, which would otherwise bound the
// throughput and take the page's time from the screen.
type FileHasher interface {
	// ReadSum is the SHA-256 of everything Read returned for pageID, whose
	// reads run in order from the start, one at a time.
	ReadSum(pageID int) ([32]byte, error)
	// KeptSum is the SHA-256 of everything appended to key.
	KeptSum(key string) ([32]byte, error)
}

// FilePeer is a Peer with the "files" data channel.
type FilePeer interface {
	// SendFile sends one file-lane message on the "files" channel.
	SendFile(b []byte) error
}

// FileView is one transfer as the page shows it.
type FileView struct {
	Key  string `json:"key"` // "out-3" (to the customer) or "in-2" (from them)
	Dir  string `json:"dir"` // "out" or "in"
	Name string `json:"name"`
	Size int64  `json:"size"`
	Done int64  `json:"done"`
	// State is "waiting" (offered, not answered), "moving", "done" or
	// "failed".
	State  string `json:"state"`
	Note   string `json:"note,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	URL    string `json:"url,omitempty"` // a received file's blob: URL
	// PageID is the page's number of a file the engineer sent.
	PageID int `json:"page_id,omitempty"`
}

// FilesInfo is the "files-info" event: whether the page may offer files
// now, and up to what size.
type FilesInfo struct {
	Allowed bool  `json:"allowed"`
	Limit   int64 `json:"limit"`
}

// Commands of the files panel.
const (
	// CmdFileSend offers a file the page registered: {"page_id", "name", "size"}.
	CmdFileSend = "file-send"
	// CmdFileCancel cancels a transfer: {"key"}.
	CmdFileCancel = "file-cancel"
)

type fileSendDetail struct {
	PageID int    `json:"page_id"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
}

type fileCancelDetail struct {
	Key string `json:"key"`
}

// fileOut is a file the engineer sends; fileIn one the customer sends.
type fileOut struct {
	view    *FileView
	pageID  int
	books   *protocol.FileSending
	reading bool // a read from the page is on its way
	ended   bool // the end went out; waiting for the result
	sum     [32]byte
	// readAt is when the read on its way was asked for (page clock, ms);
	// restAt is when the next may start.
	readAt, restAt float64
	resting        bool // a timer will fill the window again
}

type fileIn struct {
	view  *FileView
	books *protocol.FileReceiving
}

// fileState is the viewer's part of files, owned by its goroutine.
type fileState struct {
	limit  int64 // the provider's limit from the first state; 0: no files
	nextID uint32
	out    map[uint32]*fileOut
	in     map[uint32]*fileIn
	list   []*FileView
	shown  float64 // page clock of the last progress event
}

// maxFileViews bounds the panel's list.
const maxFileViews = 50

// fileReadSpan is the most the viewer asks the page for at once: a
// window's worth, so a fast link needs one crossing per window.
const fileReadSpan = protocol.FileWindow * protocol.FileChunkSize

func (v *Viewer) filesAllowed() bool {
	return v.grants.Has(protocol.GrantFiles) && v.files.limit > 0 && v.port != nil
}

// showFilesInfo tells the page whether files may be offered now.
func (v *Viewer) showFilesInfo() {
	v.ui.Emit("files-info", FilesInfo{Allowed: v.filesAllowed(), Limit: v.files.limit})
}

// showFiles sends the list to the page: now for a change of state, at most
// five times a second for progress.
func (v *Viewer) showFiles(now bool) {
	t := v.ui.Now()
	if !now && t-v.files.shown < 200 {
		return
	}
	v.files.shown = t
	list := make([]FileView, len(v.files.list))
	for i, f := range v.files.list {
		list[len(list)-1-i] = *f // newest first
	}
	v.ui.Emit("files", list)
}

func (v *Viewer) addFile(f *FileView) {
	v.files.list = append(v.files.list, f)
	if len(v.files.list) > maxFileViews {
		v.files.list = v.files.list[1:]
	}
	v.showFiles(true)
}

// sendFileMsg sends one message on the file lane of the current path.
func (v *Viewer) sendFileMsg(m protocol.Message) error {
	b, err := protocol.Marshal(m)
	if err != nil {
		return fmt.Errorf("viewer: marshal %s: %w", m.Type(), err)
	}
	switch {
	case v.path == protocol.PathRelay && v.keys != nil:
		sealed, err := v.keys.FileSealer.Seal(make([]byte, 0, len(b)+protocol.SealOverhead), b)
		if err != nil {
			return fmt.Errorf("viewer: seal %s: %w", m.Type(), err)
		}
		return v.write(websocket.MessageBinary, sealed)
	case (v.path == protocol.PathP2P || v.path == protocol.PathTURN) && v.peer != nil:
		fp, ok := v.peer.(FilePeer)
		if !ok {
			return errors.New("viewer: this connection has no files channel")
		}
		return fp.SendFile(b)
	}
	return errNoPath
}

func (v *Viewer) sendFileLogged(m protocol.Message) {
	if err := v.sendFileMsg(m); err != nil {
		v.log.Warn("viewer: send file message", "type", m.Type(), "err", err)
	}
}

// fileSend offers a file the engineer picked. The viewer refuses before
// sending anything when files are not allowed or the file is too large.
func (v *Viewer) fileSend(d fileSendDetail) {
	name := protocol.CleanFileName(d.Name)
	fail := func(why string) {
		v.addFile(&FileView{Key: "refused", Dir: "out", Name: name, Size: d.Size, State: "failed", Note: why, PageID: d.PageID})
	}
	switch {
	case !v.grants.Has(protocol.GrantFiles):
		fail("The customer has not allowed files.")
		return
	case v.port == nil || v.files.limit <= 0:
		fail("Files cannot be sent in this session.")
		return
	case d.Size < 0 || d.Size > v.files.limit:
		fail("Larger than the limit of " + protocol.FormatBytes(v.files.limit) + ".")
		return
	case v.path == "":
		fail("The customer's computer is not connected.")
		return
	}
	v.files.nextID++
	id := v.files.nextID
	books := protocol.NewFileSending(id, uint64(d.Size))
	if _, ok := v.port.(FileHasher); ok {
		books = protocol.NewFileSendingHashedElsewhere(id, uint64(d.Size))
	}
	f := &fileOut{pageID: d.PageID, books: books,
		view: &FileView{Key: "out-" + strconv.FormatUint(uint64(id), 10), Dir: "out", Name: name, Size: d.Size, State: "waiting", PageID: d.PageID}}
	if err := v.sendFileMsg(&protocol.FileOffer{ID: id, Size: uint64(d.Size), Name: name}); err != nil {
		fail("Could not offer the file: " + err.Error())
		return
	}
	v.files.out[id] = f
	v.addFile(f.view)
}

// fileCancel cancels a transfer the engineer stops in the panel.
func (v *Viewer) fileCancel(key string) {
	for id, f := range v.files.out {
		if f.view.Key == key {
			v.sendFileLogged(&protocol.FileCancel{ID: id, Sender: true, Reason: "cancelled by the engineer"})
			v.failOut(id, "Cancelled.")
			return
		}
	}
	for id, f := range v.files.in {
		if f.view.Key == key {
			v.sendFileLogged(&protocol.FileCancel{ID: id, Reason: "cancelled by the engineer"})
			v.failIn(id, "Cancelled.")
			return
		}
	}
}

// fileRest is the page's time a sending file leaves to everything else,
// as a share of the time its reading, hashing and sending took: the page
// has one thread, and a file that took all of it would stop the screen
// (and the engineer's input) until it is through.
const fileRest = 0.5

// fillWindow reads more of an outgoing file while the window is open.
// Reads happen off the owner goroutine; their chunks are sent on it.
func (v *Viewer) fillWindow(id uint32) {
	f := v.files.out[id]
	if f == nil || f.reading || f.ended || f.resting {
		return
	}
	if wait := f.restAt - v.ui.Now(); wait > 0 {
		f.resting = true
		time.AfterFunc(time.Duration(wait*float64(time.Millisecond)), func() {
			v.q.push(func() {
				f.resting = false
				v.fillWindow(id)
			})
		})
		return
	}
	b := f.books
	if b.Sent() == b.Size {
		var end *protocol.FileEnd
		var err error
		if h, ok := v.port.(FileHasher); ok {
			var sum [32]byte
			if sum, err = h.ReadSum(f.pageID); err == nil {
				end, err = b.EndWith(sum)
			}
		} else {
			end, err = b.End()
		}
		if err != nil {
			v.failOut(id, err.Error())
			return
		}
		f.ended, f.sum = true, end.SHA256
		v.sendFileLogged(end)
		return
	}
	if !b.Open() {
		return
	}
	free := protocol.FileWindow*protocol.FileChunkSize - (b.Sent() - b.Acked())
	n := int(min(b.Size-b.Sent(), free, fileReadSpan))
	off := int64(b.Sent())
	f.reading, f.readAt = true, v.ui.Now()
	port, pageID := v.port, f.pageID
	go func() {
		data, err := port.Read(pageID, off, n)
		v.q.push(func() { v.fileRead(id, f, data, err) })
	}()
}

// fileRead sends what the page read, in chunks, and reads on.
func (v *Viewer) fileRead(id uint32, f *fileOut, data []byte, err error) {
	f.reading = false
	if v.files.out[id] != f {
		return // cancelled meanwhile
	}
	if err == nil && len(data) == 0 {
		err = errors.New("the file ended early")
	}
	if err != nil {
		v.sendFileLogged(&protocol.FileCancel{ID: id, Sender: true, Reason: "the file could not be read"})
		v.failOut(id, "The file could not be read: "+err.Error())
		return
	}
	for len(data) > 0 {
		n := min(len(data), protocol.FileChunkSize)
		c, err := f.books.Chunk(data[:n])
		if err == nil {
			err = v.sendFileMsg(c)
		}
		if err != nil {
			v.sendFileLogged(&protocol.FileCancel{ID: id, Sender: true, Reason: "the transfer broke"})
			v.failOut(id, "The transfer broke: "+err.Error())
			return
		}
		data = data[n:]
	}
	now := v.ui.Now()
	f.restAt = now + (now-f.readAt)*fileRest
	v.fillWindow(id)
}

func (v *Viewer) failOut(id uint32, why string) {
	f := v.files.out[id]
	if f == nil {
		return
	}
	delete(v.files.out, id)
	f.view.State, f.view.Note = "failed", why
	v.showFiles(true)
}

func (v *Viewer) failIn(id uint32, why string) {
	f := v.files.in[id]
	if f == nil {
		return
	}
	delete(v.files.in, id)
	v.port.Discard(f.view.Key)
	f.view.State, f.view.Note = "failed", why
	v.showFiles(true)
}

// failAllFiles ends every transfer: the path to the agent went away, or
// the customer took files back.
func (v *Viewer) failAllFiles(why string) {
	for id := range v.files.out {
		v.failOut(id, why)
	}
	for id := range v.files.in {
		v.failIn(id, why)
	}
}

// handleFileLane runs one file-lane message from the agent.
func (v *Viewer) handleFileLane(b []byte) {
	if v.ended {
		return
	}
	m, err := protocol.Unmarshal(b)
	if err != nil || !m.Type().FileLane() {
		v.log.Warn("viewer: file message", "err", err)
		return
	}
	switch m := m.(type) {
	case *protocol.FileAnswer:
		f := v.files.out[m.ID]
		if f == nil || f.view.State != "waiting" {
			return
		}
		if !m.Accept {
			v.failOut(m.ID, "Refused on the customer's computer: "+m.Reason+".")
			return
		}
		f.view.State = "moving"
		v.showFiles(true)
		v.fillWindow(m.ID)
	case *protocol.FileAck:
		f := v.files.out[m.ID]
		if f == nil {
			return
		}
		if err := f.books.Ack(m.Offset); err != nil {
			v.sendFileLogged(&protocol.FileCancel{ID: m.ID, Sender: true, Reason: "acknowledged more than was sent"})
			v.failOut(m.ID, "The transfer broke.")
			return
		}
		f.view.Done = int64(f.books.Acked())
		v.showFiles(false)
		v.fillWindow(m.ID)
	case *protocol.FileResult:
		f := v.files.out[m.ID]
		if f == nil || !f.ended {
			return
		}
		if !m.OK {
			v.failOut(m.ID, "Not saved on the customer's computer: "+m.Reason+".")
			return
		}
		delete(v.files.out, m.ID)
		f.view.State, f.view.Done, f.view.SHA256 = "done", f.view.Size, hex.EncodeToString(f.sum[:])
		v.showFiles(true)
	case *protocol.FileCancel:
		if m.Sender {
			v.failIn(m.ID, "Cancelled on the customer's computer.")
		} else {
			v.failOut(m.ID, "Cancelled on the customer's computer.")
		}
	case *protocol.FileOffer:
		v.fileOffered(m)
	case *protocol.FileChunk:
		f := v.files.in[m.ID]
		if f == nil {
			return
		}
		err := f.books.Take(m)
		if err == nil {
			err = v.port.Append(f.view.Key, m.Data)
		}
		if err != nil {
			v.sendFileLogged(&protocol.FileCancel{ID: m.ID, Reason: "the transfer broke"})
			v.failIn(m.ID, "The transfer broke: "+err.Error())
			return
		}
		f.view.Done = int64(f.books.Received())
		v.sendFileLogged(&protocol.FileAck{ID: m.ID, Offset: f.books.Received()})
		v.showFiles(false)
	case *protocol.FileEnd:
		v.fileEnded(m)
	}
}

// fileOffered answers a file the customer offers: accepted within the
// grants and the limit.
func (v *Viewer) fileOffered(o *protocol.FileOffer) {
	name := protocol.CleanFileName(o.Name)
	view := &FileView{Key: "in-" + strconv.FormatUint(uint64(o.ID), 10), Dir: "in", Name: name, Size: int64(min(o.Size, 1<<53)), State: "moving"}
	refuse := func(why string) {
		v.sendFileLogged(&protocol.FileAnswer{ID: o.ID, Reason: why})
		view.State, view.Note = "failed", "Refused: "+why+"."
		v.addFile(view)
	}
	if !v.grants.Has(protocol.GrantFiles) || v.port == nil {
		refuse("files are not allowed in this session")
		return
	}
	if v.files.in[o.ID] != nil {
		refuse("a transfer with this number is already running")
		return
	}
	newBooks := protocol.NewFileReceiving
	if _, ok := v.port.(FileHasher); ok {
		newBooks = protocol.NewFileReceivingHashedElsewhere
	}
	books, err := newBooks(o, v.files.limit)
	if err != nil {
		refuse("larger than the limit of " + protocol.FormatBytes(v.files.limit))
		return
	}
	v.port.Discard(view.Key) // a previous connection's transfer of that number
	v.files.in[o.ID] = &fileIn{view: view, books: books}
	v.sendFileLogged(&protocol.FileAnswer{ID: o.ID, Accept: true})
	v.addFile(view)
}

// fileEnded checks the hash of a received file and hands it to the page.
func (v *Viewer) fileEnded(e *protocol.FileEnd) {
	f := v.files.in[e.ID]
	if f == nil {
		return
	}
	var err error
	if h, ok := v.port.(FileHasher); ok {
		var sum [32]byte
		if sum, err = h.KeptSum(f.view.Key); err == nil {
			err = f.books.VerifySum(e, sum)
		}
	} else {
		err = f.books.Verify(e)
	}
	if err != nil {
		why := "the file arrived incomplete"
		if errors.Is(err, protocol.ErrFileHash) {
			why = "the file arrived damaged (its SHA-256 does not match)"
		}
		v.sendFileLogged(&protocol.FileResult{ID: e.ID, Reason: why})
		v.failIn(e.ID, "Failed: "+why+".")
		return
	}
	url, err := v.port.Finish(f.view.Key, f.view.Name)
	if err != nil {
		v.sendFileLogged(&protocol.FileResult{ID: e.ID, Reason: "the engineer's browser could not keep it"})
		v.failIn(e.ID, "The browser could not keep the file: "+err.Error())
		return
	}
	delete(v.files.in, e.ID)
	f.view.State, f.view.SHA256, f.view.URL = "done", f.books.SHA256(), url
	v.sendFileLogged(&protocol.FileResult{ID: e.ID, OK: true})
	v.showFiles(true)
}
