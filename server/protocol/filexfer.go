package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// The two ends of a transfer keep the same books whichever program they
// run in; FileSending and FileReceiving are those books, so that agent and
// viewer check a transfer the same way.

// FileSending is the sender's account of one transfer: what was sent, what
// the receiver acknowledged, and the hash of the bytes sent.
type FileSending struct {
	ID    uint32
	Size  uint64
	sent  uint64
	acked uint64
	hash  hash.Hash
}

// NewFileSending starts the books of a transfer of size bytes.
func NewFileSending(id uint32, size uint64) *FileSending {
	return &FileSending{ID: id, Size: size, hash: sha256.New()}
}

// NewFileSendingHashedElsewhere starts books that leave the hash to whoever
// read the bytes (the browser hashes them natively, many times faster than
// Go compiled to wasm); EndWith then takes its sum.
func NewFileSendingHashedElsewhere(id uint32, size uint64) *FileSending {
	return &FileSending{ID: id, Size: size}
}

// Sent is the bytes sent so far; Acked those the receiver stored.
func (s *FileSending) Sent() uint64  { return s.sent }
func (s *FileSending) Acked() uint64 { return s.acked }

// Open reports whether the window allows another chunk: fewer than
// FileWindow chunks unacknowledged.
func (s *FileSending) Open() bool { return s.sent-s.acked < FileWindow*FileChunkSize }

// Chunk records data as sent at the current offset and returns its message.
// It refuses more than Size bytes.
func (s *FileSending) Chunk(data []byte) (*FileChunk, error) {
	if uint64(len(data)) > s.Size-s.sent {
		return nil, fmt.Errorf("%w: file longer than offered (%d bytes)", ErrInvalid, s.Size)
	}
	c := &FileChunk{ID: s.ID, Offset: s.sent, Data: data}
	if s.hash != nil {
		s.hash.Write(data)
	}
	s.sent += uint64(len(data))
	return c, nil
}

// Ack takes the receiver's acknowledgement; one beyond what was sent, or
// going back, is an error.
func (s *FileSending) Ack(off uint64) error {
	if off > s.sent || off < s.acked {
		return fmt.Errorf("%w: acknowledged %d of %d sent", ErrInvalid, off, s.sent)
	}
	s.acked = off
	return nil
}

// End is the message that ends the transfer, once all Size bytes are sent.
func (s *FileSending) End() (*FileEnd, error) {
	if s.hash == nil {
		return nil, fmt.Errorf("%w: the hash is kept elsewhere", ErrInvalid)
	}
	var sum [32]byte
	s.hash.Sum(sum[:0])
	return s.EndWith(sum)
}

// EndWith is End with the sum of the bytes sent computed by the caller.
func (s *FileSending) EndWith(sum [32]byte) (*FileEnd, error) {
	if s.sent != s.Size {
		return nil, fmt.Errorf("%w: %d of %d bytes sent", ErrInvalid, s.sent, s.Size)
	}
	return &FileEnd{ID: s.ID, SHA256: sum}, nil
}

// FileReceiving is the receiver's account of one transfer: bytes in order,
// never more than offered, and the hash of what arrived.
type FileReceiving struct {
	ID       uint32
	Size     uint64
	received uint64
	hash     hash.Hash
	sum      string
}

// NewFileReceiving checks an offer against the limit (bytes; zero or less
// refuses every file) and starts the books.
func NewFileReceiving(o *FileOffer, limit int64) (*FileReceiving, error) {
	if limit <= 0 || o.Size > uint64(limit) {
		return nil, fmt.Errorf("%w (%s)", ErrFileTooLarge, FormatBytes(max(limit, 0)))
	}
	return &FileReceiving{ID: o.ID, Size: o.Size, hash: sha256.New()}, nil
}

// NewFileReceivingHashedElsewhere is NewFileReceiving for a receiver whose
// storage hashes the bytes itself; VerifySum then takes its sum.
func NewFileReceivingHashedElsewhere(o *FileOffer, limit int64) (*FileReceiving, error) {
	r, err := NewFileReceiving(o, limit)
	if err == nil {
		r.hash = nil
	}
	return r, err
}

// ErrFileTooLarge refuses a file over the provider's limit.
var ErrFileTooLarge = fmt.Errorf("%w: over the size limit", ErrInvalid)

// ErrFileHash fails a transfer whose bytes do not hash to the sender's sum.
var ErrFileHash = fmt.Errorf("%w: wrong SHA-256", ErrInvalid)

// Received is the bytes taken so far.
func (r *FileReceiving) Received() uint64 { return r.received }

// Take checks that c continues the file and counts it into the hash. The
// caller stores c.Data after it and then acknowledges Received.
func (r *FileReceiving) Take(c *FileChunk) error {
	if c.Offset != r.received {
		return fmt.Errorf("%w: chunk at %d, expected %d", ErrInvalid, c.Offset, r.received)
	}
	if uint64(len(c.Data)) > r.Size-r.received {
		return fmt.Errorf("%w: more than the %d bytes offered", ErrInvalid, r.Size)
	}
	if r.hash != nil {
		r.hash.Write(c.Data)
	}
	r.received += uint64(len(c.Data))
	return nil
}

// Verify checks the end: every offered byte arrived and they hash to the
// sender's sum (ErrFileHash).
func (r *FileReceiving) Verify(e *FileEnd) error {
	if r.hash == nil {
		return fmt.Errorf("%w: the hash is kept elsewhere", ErrInvalid)
	}
	var got [32]byte
	r.hash.Sum(got[:0])
	return r.VerifySum(e, got)
}

// VerifySum is Verify with the sum of the bytes received computed by the
// caller.
func (r *FileReceiving) VerifySum(e *FileEnd, got [32]byte) error {
	if r.received != r.Size {
		return fmt.Errorf("%w: %d of %d bytes arrived", ErrInvalid, r.received, r.Size)
	}
	if got != e.SHA256 {
		return ErrFileHash
	}
	r.sum = hex.EncodeToString(got[:])
	return nil
}

// SHA256 is the verified hash, lowercase hex; empty before Verify passed.
func (r *FileReceiving) SHA256() string { return r.sum }

// FormatBytes writes a size for people: "512 bytes", "3.4 MB", "2 GB"
// (powers of 1024, as the provider's limit is set in MiB).
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	s := fmt.Sprintf("%.1f", v)
	if v >= 100 || s[len(s)-2:] == ".0" {
		s = fmt.Sprintf("%.0f", v)
	}
	return s + " " + []string{"KB", "MB", "GB", "TB"}[i]
}
