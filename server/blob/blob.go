// Package blob keeps the files the server writes for sessions: screenshots and recordings. Store is the
// interface; Dir, the first implementation, keeps them under the data folder. Several instances need the
// same Store: a shared folder (NFS) for Dir, or another implementation of the interface.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Store keeps blobs by key. Keys are slash-separated paths of [a-z0-9._-] segments
// ("recordings/<session>/0001.chunk"); anything else is ErrKey.
type Store interface {
	// Put writes the whole blob under key, replacing any, so that readers see the old blob or the new one,
	// never part of one.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open reads a blob; ErrNotFound when there is none.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, Info, error)
	// List returns the blobs under prefix (a key's leading segments), ordered by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes a blob; deleting a missing blob is not an error.
	Delete(ctx context.Context, key string) error
}

// Info describes one blob.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Errors of this package.
var (
	ErrNotFound = errors.New("blob: not found")
	ErrKey      = errors.New("blob: invalid key")
)

// CheckKey reports whether key is a valid key.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("%w: %q", ErrKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return fmt.Errorf("%w: %q", ErrKey, key)
		}
		for _, r := range seg {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				return fmt.Errorf("%w: %q", ErrKey, key)
			}
		}
	}
	return nil
}

// Dir is a Store in a folder of the local file system.
type Dir struct {
	root string
}

// NewDir makes a Store under root, creating the folder (mode 0700) if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put implements Store: it writes a hidden temporary file beside the blob and renames it into place.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return 0, fmt.Errorf("blob: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return 0, fmt.Errorf("blob: %w", err)
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name()) // the half-written temporary file; the old blob stays
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return n, nil
}

// Open implements Store.
func (d *Dir) Open(_ context.Context, key string) (io.ReadSeekCloser, Info, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("blob: %w", err)
	}
	return f, Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// List implements Store.
func (d *Dir) List(_ context.Context, prefix string) ([]Info, error) {
	p, err := d.path(prefix)
	if err != nil {
		return nil, err
	}
	var out []Info
	err = filepath.WalkDir(p, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && path == p {
				return filepath.SkipAll
			}
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, path)
		if err != nil {
			return err
		}
		out = append(out, Info{Key: filepath.ToSlash(rel), Size: st.Size(), ModTime: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob: list %s: %w", prefix, err)
	}
	return out, nil
}

// Delete implements Store. Folders left empty are removed up to the root.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	for dir := filepath.Dir(p); dir != d.root && strings.HasPrefix(dir, d.root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty
		}
	}
	return nil
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
