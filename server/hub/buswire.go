package hub

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// busFrame is one message between instances on the bus. Every frame is
// signed with a key only Tether instances hold (derived from the shared
// server secret), over the subject it travels on as well, so that something
// else on the bus can neither forge a message nor move a real one to
// another session. Relayed session bytes inside Data are sealed end to end
// by agent and viewer; the bus sees their type byte and length only.
//
//	 0       1       2       3                               11
//	+-------+-------+-------+-------------------------------+
//	|  ver  |  op   | flags |        sent (unix ms)         |
//	+-------+-------+-------+-------------------------------+
//	|        joined (unix ns, op replace)   | inst len (1)  |
//	+---------------------------------------+---------------+
//	| instance ... | close len (2) | close ... | data ...     |
//	+--------------------------------------------------------+
//	|          HMAC-SHA256(key, subject 0x00 frame)[:16]     |
//	+--------------------------------------------------------+
type busFrame struct {
	Op       busOp
	Binary   bool
	Files    bool  // the file lane (Message.Files)
	Sent     int64 // unix milliseconds when published
	Joined   int64 // opReplace: when the new member joined, unix nanoseconds
	Instance string
	Close    string
	Data     []byte
}

type busOp byte

const (
	// opDeliver carries a Message to the members of the subject.
	opDeliver busOp = 1
	// opReplace tells other instances that a new agent or viewer joined:
	// their older member of the same topic and role leaves.
	opReplace busOp = 2
	// opPresent answers a presence query: this instance has such a member.
	opPresent busOp = 3
)

const (
	busVersion    = 1
	busHeaderSize = 20
	busMACSize    = 16
	flagBinary    = 1
	flagFiles     = 2
)

// Errors of the bus codec.
var (
	errBusShort   = errors.New("hub: bus frame too short")
	errBusVersion = errors.New("hub: bus frame of another version")
	errBusForged  = errors.New("hub: bus frame with a wrong signature")
)

// marshal signs and encodes f for subject.
func (f *busFrame) marshal(key []byte, subject string) []byte {
	n := busHeaderSize + len(f.Instance) + 2 + len(f.Close) + len(f.Data) + busMACSize
	b := make([]byte, 0, n)
	b = append(b, busVersion, byte(f.Op), 0)
	if f.Binary {
		b[2] |= flagBinary
	}
	if f.Files {
		b[2] |= flagFiles
	}
	b = binary.BigEndian.AppendUint64(b, uint64(f.Sent))
	b = binary.BigEndian.AppendUint64(b, uint64(f.Joined))
	b = append(b, byte(len(f.Instance)))
	b = append(b, f.Instance...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(f.Close)))
	b = append(b, f.Close...)
	b = append(b, f.Data...)
	return append(b, busMAC(key, subject, b)...)
}

// unmarshalBus checks the signature of b for subject and decodes it. Data
// aliases b.
func unmarshalBus(key []byte, subject string, b []byte) (busFrame, error) {
	var f busFrame
	if len(b) < busHeaderSize+2+busMACSize {
		return f, errBusShort
	}
	body, mac := b[:len(b)-busMACSize], b[len(b)-busMACSize:]
	if !hmac.Equal(mac, busMAC(key, subject, body)) {
		return f, errBusForged
	}
	if body[0] != busVersion {
		return f, fmt.Errorf("%w: %d", errBusVersion, body[0])
	}
	f.Op = busOp(body[1])
	f.Binary = body[2]&flagBinary != 0
	f.Files = body[2]&flagFiles != 0
	f.Sent = int64(binary.BigEndian.Uint64(body[3:]))
	f.Joined = int64(binary.BigEndian.Uint64(body[11:]))
	rest := body[busHeaderSize-1:]
	n := int(rest[0])
	rest = rest[1:]
	if len(rest) < n+2 {
		return f, errBusShort
	}
	f.Instance, rest = string(rest[:n]), rest[n:]
	n = int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) < n {
		return f, errBusShort
	}
	f.Close, f.Data = string(rest[:n]), rest[n:]
	return f, nil
}

func busMAC(key []byte, subject string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)[:busMACSize]
}
