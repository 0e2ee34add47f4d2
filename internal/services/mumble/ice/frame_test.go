package ice

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// The bare ValidateConnection frame Murmur sends first (reference, LAB).
var validateFrame = []byte{0x49, 0x63, 0x65, 0x50, 0x01, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0e, 0x00, 0x00, 0x00}

func TestValidateConnectionFrameBytes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteFrame(&buf, MsgValidateConnection, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), validateFrame) {
		t.Fatalf("wrote % x, want % x", buf.Bytes(), validateFrame)
	}
	typ, body, err := ReadFrame(bytes.NewReader(validateFrame))
	if err != nil || typ != MsgValidateConnection || len(body) != 0 {
		t.Fatalf("ReadFrame = %d, % x, %v", typ, body, err)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	for _, typ := range []MessageType{MsgRequest, MsgBatchRequest, MsgReply} {
		if err := WriteFrame(&buf, typ, []byte{byte(typ), 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []MessageType{MsgRequest, MsgBatchRequest, MsgReply} {
		typ, body, err := ReadFrame(&buf)
		if err != nil || typ != want || !bytes.Equal(body, []byte{byte(want), 2, 3}) {
			t.Fatalf("ReadFrame = %d, % x, %v", typ, body, err)
		}
	}
	if _, _, err := ReadFrame(&buf); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestMalformedFramesAreRefused(t *testing.T) {
	header := func(edit func(b []byte)) []byte {
		b := append([]byte(nil), validateFrame...)
		b[8] = byte(MsgReply)
		edit(b)
		return b
	}
	cases := map[string][]byte{
		"bad magic":          header(func(b []byte) { b[0] = 'X' }),
		"protocol 2.0":       header(func(b []byte) { b[4] = 2 }),
		"protocol 1.1":       header(func(b []byte) { b[5] = 1 }),
		"encoding 1.1":       header(func(b []byte) { b[7] = 1 }),
		"message type 5":     header(func(b []byte) { b[8] = 5 }),
		"compressed":         header(func(b []byte) { b[9] = 2 }),
		"size 13":            header(func(b []byte) { b[10] = 13 }),
		"negative size":      header(func(b []byte) { b[13] = 0x80 }),
		"size over 1 MiB":    header(func(b []byte) { b[10], b[11], b[12] = 1, 0, 0x10 }),
		"validate with body": append(header(func(b []byte) { b[8], b[10] = 3, 15 }), 0),
	}
	for name, in := range cases {
		if _, _, err := ReadFrame(bytes.NewReader(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	// A body shorter than the size says is an unexpected end.
	short := header(func(b []byte) { b[10] = 20 })
	if _, _, err := ReadFrame(bytes.NewReader(append(short, 1, 2))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short body: %v", err)
	}
	if err := WriteFrame(io.Discard, MsgReply, make([]byte, MaxFrameSize)); err == nil {
		t.Error("WriteFrame wrote a frame over MaxFrameSize")
	}
}

// TestReadFrameLimit: a client reads frames up to MaxReplyFrameSize, whole
// and byte for byte, refuses larger ones, and a body shorter than the size
// it announced is an unexpected end, however large the size.
func TestReadFrameLimit(t *testing.T) {
	body := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 500_000) // 2.5 MB
	frame := AppendHeader(nil, MsgReply, len(body))
	frame = append(frame, body...)
	if _, _, err := ReadFrame(bytes.NewReader(frame)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ReadFrame of 2.5 MB: %v, want ErrMalformed", err)
	}
	mt, got, err := ReadFrameLimit(bytes.NewReader(frame), MaxReplyFrameSize)
	if err != nil || mt != MsgReply || !bytes.Equal(got, body) {
		t.Fatalf("ReadFrameLimit: type %d, %d bytes, %v", mt, len(got), err)
	}
	if _, _, err := ReadFrameLimit(bytes.NewReader(frame[:len(frame)-1]), MaxReplyFrameSize); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short large body: %v, want io.ErrUnexpectedEOF", err)
	}
	huge := AppendHeader(nil, MsgReply, MaxReplyFrameSize)
	if _, _, err := ReadFrameLimit(bytes.NewReader(huge), MaxReplyFrameSize); !errors.Is(err, ErrMalformed) {
		t.Errorf("frame over MaxReplyFrameSize: %v, want ErrMalformed", err)
	}
}
