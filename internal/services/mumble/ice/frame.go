package ice

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MessageType is the message type byte of a frame header.
type MessageType byte

// The message types of Ice protocol 1.0.
const (
	MsgRequest            MessageType = 0
	MsgBatchRequest       MessageType = 1
	MsgReply              MessageType = 2
	MsgValidateConnection MessageType = 3
	MsgCloseConnection    MessageType = 4
)

// HeaderSize is the size of a frame header; MaxFrameSize bounds a whole frame
// (header included). Murmur's messages are a few hundred bytes; a megabyte
// leaves room for large user lists while refusing a hostile size before any
// allocation.
const (
	HeaderSize   = 14
	MaxFrameSize = 1 << 20
)

// MaxReplyFrameSize bounds a frame a Client reads from the server it dialled
// (murmurd, which Keepstar's configuration names). murmurd's getUsers
// carries every user's whole comment, up to 128 KiB each with images by
// default, so a busy server's answer runs to megabytes; Debian's murmurd
// itself accepts Ice messages up to 64 MiB (Ice.MessageSizeMax=65536). A
// frame over MaxFrameSize is read as its bytes arrive rather than allocated
// at once, so a size announced but never sent costs nothing.
const MaxReplyFrameSize = 64 << 20

var magic = [4]byte{'I', 'c', 'e', 'P'}

// ErrMalformed is wrapped by every error about bytes that break the protocol
// or the encoding.
var ErrMalformed = errors.New("ice: malformed input")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Header is a decoded frame header.
type Header struct {
	Type MessageType
	// Size is the whole frame's size, header included.
	Size int32
}

// AppendHeader appends the 14-byte header of a frame of type t whose body is
// bodyLen bytes.
func AppendHeader(b []byte, t MessageType, bodyLen int) []byte {
	b = append(b, magic[:]...)
	b = append(b, 1, 0, 1, 0, byte(t), 0)
	return binary.LittleEndian.AppendUint32(b, uint32(HeaderSize+bodyLen))
}

// ParseHeader checks a frame header strictly: magic, protocol 1.0, encoding
// 1.0, a known message type, no compression and a size within
// [HeaderSize, MaxFrameSize].
func ParseHeader(b []byte) (Header, error) { return parseHeader(b, MaxFrameSize) }

func parseHeader(b []byte, maxSize int32) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, malformed("frame header of %d bytes", len(b))
	}
	if [4]byte(b[0:4]) != magic {
		return Header{}, malformed("bad magic % x", b[0:4])
	}
	if b[4] != 1 || b[5] != 0 {
		return Header{}, malformed("unsupported protocol %d.%d", b[4], b[5])
	}
	if b[6] != 1 || b[7] != 0 {
		return Header{}, malformed("unsupported encoding %d.%d", b[6], b[7])
	}
	t := MessageType(b[8])
	if t > MsgCloseConnection {
		return Header{}, malformed("unknown message type %d", b[8])
	}
	if b[9] != 0 {
		return Header{}, malformed("compression %d not supported", b[9])
	}
	size := int32(binary.LittleEndian.Uint32(b[10:14]))
	if size < HeaderSize || size > maxSize {
		return Header{}, malformed("frame size %d", size)
	}
	if (t == MsgValidateConnection || t == MsgCloseConnection) && size != HeaderSize {
		return Header{}, malformed("message type %d with a body", t)
	}
	return Header{Type: t, Size: size}, nil
}

// ReadFrame reads one frame of at most MaxFrameSize bytes and returns its
// type and body. The size is checked before the body is allocated.
func ReadFrame(r io.Reader) (MessageType, []byte, error) { return ReadFrameLimit(r, MaxFrameSize) }

// ReadFrameLimit is ReadFrame for frames of at most maxSize bytes. A body
// over MaxFrameSize is read as it arrives, its buffer growing with what was
// really received.
func ReadFrameLimit(r io.Reader, maxSize int32) (MessageType, []byte, error) {
	var hb [HeaderSize]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return 0, nil, err
	}
	h, err := parseHeader(hb[:], maxSize)
	if err != nil {
		return 0, nil, err
	}
	n := int(h.Size) - HeaderSize
	var body []byte
	if h.Size <= MaxFrameSize {
		body = make([]byte, n)
		_, err = io.ReadFull(r, body)
	} else {
		buf := bytes.NewBuffer(make([]byte, 0, MaxFrameSize))
		var got int64
		got, err = io.CopyN(buf, r, int64(n))
		if err == nil && got != int64(n) {
			err = io.ErrUnexpectedEOF
		}
		body = buf.Bytes()
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, fmt.Errorf("ice: reading frame body: %w", err)
	}
	return h.Type, body, nil
}

// WriteFrame writes one frame of type t with the given body.
func WriteFrame(w io.Writer, t MessageType, body []byte) error {
	if HeaderSize+len(body) > MaxFrameSize {
		return fmt.Errorf("ice: frame of %d bytes exceeds %d", HeaderSize+len(body), MaxFrameSize)
	}
	b := AppendHeader(make([]byte, 0, HeaderSize+len(body)), t, len(body))
	_, err := w.Write(append(b, body...))
	return err
}
