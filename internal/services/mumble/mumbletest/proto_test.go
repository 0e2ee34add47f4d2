package mumbletest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestWireBytes checks the client's messages byte for byte against the
// control protocol: a 2-byte big-endian type, a 4-byte big-endian length,
// and the protobuf body (Mumble.proto's field numbers).
func TestWireBytes(t *testing.T) {
	var buf bytes.Buffer
	body := pb(func(w *pbWriter) {
		w.string(1, "Alice")
		w.string(2, "pw")
		w.bool(5, true)
	})
	if err := writeMessage(&buf, MsgAuthenticate, body); err != nil {
		t.Fatal(err)
	}
	want := "0002 0000000d | 0a 05 416c696365 | 12 02 7077 | 28 01"
	if got := hex.EncodeToString(buf.Bytes()); got != stripHex(want) {
		t.Errorf("Authenticate = %s, want %s", got, stripHex(want))
	}
	buf.Reset()
	if err := writeMessage(&buf, MsgPing, pb(func(w *pbWriter) { w.uint(1, 300) })); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != stripHex("0003 00000003 | 08 ac02") {
		t.Errorf("Ping = %s", got)
	}
}

func stripHex(s string) string {
	var out []byte
	for _, c := range []byte(s) {
		if c != ' ' && c != '|' {
			out = append(out, c)
		}
	}
	return string(out)
}

func TestDecodersRefuseBadBytes(t *testing.T) {
	for name, c := range map[string]struct {
		b   []byte
		dec func([]byte) error
	}{
		"reject type as bytes":    {pb(func(w *pbWriter) { w.string(1, "x") }), func(b []byte) error { _, err := decodeReject(b); return err }},
		"sync without session":    {pb(func(w *pbWriter) { w.string(3, "hi") }), func(b []byte) error { _, err := decodeServerSync(b); return err }},
		"remove without session":  {pb(func(w *pbWriter) { w.string(3, "hi") }), func(b []byte) error { _, err := decodeUserRemove(b); return err }},
		"state name as varint":    {pb(func(w *pbWriter) { w.uint(1, 1); w.uint(3, 5) }), func(b []byte) error { _, err := decodeUserState(b); return err }},
		"truncated length field":  {[]byte{0x1a, 0x05, 'a'}, func(b []byte) error { _, err := parseFields(b); return err }},
		"field number zero":       {[]byte{0x00, 0x01}, func(b []byte) error { _, err := parseFields(b); return err }},
		"truncated varint":        {[]byte{0x08, 0x80}, func(b []byte) error { _, err := parseFields(b); return err }},
		"group wire type":         {[]byte{0x0b}, func(b []byte) error { _, err := parseFields(b); return err }},
		"oversized message frame": {[]byte{0, 9, 0x00, 0x80, 0, 0}, func(b []byte) error { _, _, err := readMessage(bytes.NewReader(b)); return err }},
	} {
		if err := c.dec(c.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

func TestUserStateMerges(t *testing.T) {
	s := UserState{UserID: -1}
	for _, b := range [][]byte{
		pb(func(w *pbWriter) { w.uint(1, 7); w.string(3, "Alice"); w.uint(5, 0) }),
		pb(func(w *pbWriter) { w.uint(1, 7); w.uint(5, 3); w.bool(9, true) }),
	} {
		u, err := decodeUserState(b)
		if err != nil {
			t.Fatal(err)
		}
		u.apply(&s)
	}
	want := UserState{Session: 7, Name: "Alice", UserID: -1, ChannelID: 3, SelfMute: true}
	if s != want {
		t.Errorf("merged %+v, want %+v", s, want)
	}
}
