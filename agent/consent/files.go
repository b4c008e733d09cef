package consent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// FileStatus is one file transfer as the consent page lists it.
type FileStatus struct {
	// ID names the transfer for Cancel ("in-3", "out-1"); empty for one
	// refused before it started.
	ID string `json:"id,omitempty"`
	// Dir is FileIn (from the engineer) or FileOut (to the engineer).
	Dir  string `json:"dir"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	// Done is the bytes moved so far.
	Done  int64  `json:"done"`
	State string `json:"state"`
	// Where is the full path of a received file, once saved.
	Where string `json:"where,omitempty"`
	// SHA256 is the verified hash, lowercase hex, once done.
	SHA256 string `json:"sha256,omitempty"`
	// Note says why a transfer failed or was refused.
	Note string `json:"note,omitempty"`
}

// Directions and states of a FileStatus.
const (
	FileIn  = "in"
	FileOut = "out"

	FileWaiting = "waiting" // offered, the other end has not answered
	FileMoving  = "moving"
	FileDone    = "done"
	FileFailed  = "failed"
)

// Files is what the page hands a customer's file and cancel to: the
// session's file transfers.
type Files interface {
	// Offer sends size bytes from r under name to the engineer and returns
	// when they arrived verified, or why not (a *FileError for the
	// customer). Cancelling ctx cancels the transfer.
	Offer(ctx context.Context, name string, size int64, r io.Reader) error
	// Cancel stops the transfer with FileStatus.ID id, if it runs.
	Cancel(id string)
	// SetFolder makes files from the engineer land in dir from now on, or
	// says why it cannot (a *FileError for the customer).
	SetFolder(dir string) error
}

// FileError is a reason for the customer why a file did not go.
type FileError struct{ Message string }

func (e *FileError) Error() string { return e.Message }

// SetFiles connects the page's file picker to the session's transfers;
// until then (and with nil) the page refuses files.
func (p *Page) SetFiles(f Files) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files = f
}

// UpdateFiles shows the list of transfers on every open page, with the
// folder files from the engineer are saved in and the size limit.
func (p *Page) UpdateFiles(list []FileStatus, folder string, choices []string, limit int64) {
	p.mu.Lock()
	p.fileList, p.folder, p.folderChoices, p.fileLimit = list, folder, choices, limit
	st := p.status
	p.mu.Unlock()
	p.Update(st)
}

// withFiles adds the page's file state to st; mu is held.
func (p *Page) withFilesLocked(st Status) Status {
	st.Files, st.Folder, st.FolderChoices, st.FileLimit = p.fileList, p.folder, p.folderChoices, p.fileLimit
	if st.Files == nil {
		st.Files = []FileStatus{}
	}
	return st
}

// fromPage checks that a request is the page's own script (Origin), which
// a cross-site form or page cannot fake.
func (p *Page) fromPage(w http.ResponseWriter, r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "http://"+p.host {
		p.log.Warn("consent page: request from another origin refused", "origin", origin, "path", r.URL.Path)
		jsonError(w, http.StatusForbidden, "Only this page can do that.")
		return false
	}
	return true
}

// serveUpload takes a file the customer offers: the body is the file, its
// name in X-File-Name (URL-encoded), its size the Content-Length. The
// answer comes when the engineer's viewer has it verified, or says why not.
// A custom header and an octet-stream body need a CORS preflight that this
// server never grants, so another site cannot post one.
func (p *Page) serveUpload(w http.ResponseWriter, r *http.Request) {
	if !p.fromPage(w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		jsonError(w, http.StatusUnsupportedMediaType, "Files are sent as application/octet-stream.")
		return
	}
	name, err := url.QueryUnescape(r.Header.Get("X-File-Name"))
	if err != nil || strings.TrimSpace(name) == "" || len(name) > 1024 {
		jsonError(w, http.StatusBadRequest, "The file has no usable name.")
		return
	}
	if r.ContentLength < 0 {
		jsonError(w, http.StatusLengthRequired, "The file's size is unknown.")
		return
	}
	p.mu.Lock()
	f := p.files
	p.mu.Unlock()
	if f == nil {
		jsonError(w, http.StatusServiceUnavailable, "Files cannot be sent now.")
		return
	}
	err = f.Offer(r.Context(), name, r.ContentLength, r.Body)
	var fe *FileError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &fe):
		jsonError(w, http.StatusConflict, fe.Message)
	default:
		p.log.Warn("consent page: file", "err", err)
		jsonError(w, http.StatusInternalServerError, "The file could not be sent.")
	}
}

// serveFolder changes where files from the engineer are saved:
// POST files/folder with {"folder": "/home/maria/Desktop"}.
func (p *Page) serveFolder(w http.ResponseWriter, r *http.Request) {
	if !p.fromPage(w, r) {
		return
	}
	var req struct {
		Folder string `json:"folder"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(io.LimitReader(r.Body, 8<<10)).Decode(&req) != nil || len(req.Folder) > 4096 {
		jsonError(w, http.StatusBadRequest, "Name a folder.")
		return
	}
	p.mu.Lock()
	f := p.files
	p.mu.Unlock()
	if f == nil {
		jsonError(w, http.StatusServiceUnavailable, "Files cannot be received now.")
		return
	}
	var fe *FileError
	switch err := f.SetFolder(req.Folder); {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &fe):
		jsonError(w, http.StatusConflict, fe.Message)
	default:
		p.log.Warn("consent page: folder", "err", err)
		jsonError(w, http.StatusInternalServerError, "The folder could not be changed.")
	}
}

// serveFileCancel cancels a transfer: POST files/cancel?id=in-3.
func (p *Page) serveFileCancel(w http.ResponseWriter, r *http.Request) {
	if !p.fromPage(w, r) {
		return
	}
	id := r.URL.Query().Get("id")
	dir, num, ok := strings.Cut(id, "-")
	if _, err := strconv.ParseUint(num, 10, 32); !ok || err != nil || (dir != FileIn && dir != FileOut) {
		jsonError(w, http.StatusBadRequest, "No such transfer.")
		return
	}
	p.mu.Lock()
	f := p.files
	p.mu.Unlock()
	if f != nil {
		f.Cancel(id)
	}
	w.WriteHeader(http.StatusNoContent)
}
