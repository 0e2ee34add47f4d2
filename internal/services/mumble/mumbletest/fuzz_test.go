package mumbletest

import (
	"bytes"
	"errors"
	"testing"
)

// The client's decoders read a server's bytes: each returns an error
// wrapping ErrMalformed or a value, never panics.

func checkMalformed(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Fatalf("error %v does not wrap ErrMalformed", err)
	}
}

func pb(write func(*pbWriter)) []byte {
	var w pbWriter
	write(&w)
	return w.b
}

func FuzzReadMessage(f *testing.F) {
	var buf bytes.Buffer
	writeMessage(&buf, MsgServerSync, pb(func(w *pbWriter) { w.uint(1, 7) }))
	f.Add(buf.Bytes())
	f.Add([]byte{0, 5, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		mt, body, err := readMessage(bytes.NewReader(b))
		if err != nil {
			return // short input, or a size over the bound
		}
		var out bytes.Buffer
		if err := writeMessage(&out, mt, body); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, out.Bytes()) {
			t.Fatalf("message does not round-trip: % x → % x", b, out.Bytes())
		}
	})
}

func FuzzParseFields(f *testing.F) {
	f.Add(pb(func(w *pbWriter) { w.uint(1, 300); w.string(2, "x"); w.bool(5, true) }))
	f.Add([]byte{0x0d, 1, 2, 3, 4, 0x09, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x0b}) // a group start
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := parseFields(b)
		checkMalformed(t, err)
		total := 0
		for _, fl := range fields {
			total += len(fl.bytes)
		}
		if total > len(b) {
			t.Fatalf("fields hold %d bytes of %d", total, len(b))
		}
	})
}

func FuzzReject(f *testing.F) {
	f.Add(pb(func(w *pbWriter) { w.uint(1, 3); w.string(2, "Wrong certificate or password for existing user") }))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeReject(b)
		checkMalformed(t, err)
	})
}

func FuzzServerSync(f *testing.F) {
	f.Add(pb(func(w *pbWriter) { w.uint(1, 7); w.uint(2, 558000); w.string(3, "welcome"); w.uint(4, 0xf07ff) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeServerSync(b)
		checkMalformed(t, err)
	})
}

func FuzzUserRemove(f *testing.F) {
	f.Add(pb(func(w *pbWriter) { w.uint(1, 7); w.uint(2, 0); w.string(3, "revoked"); w.bool(4, false) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeUserRemove(b)
		checkMalformed(t, err)
	})
}

func FuzzUserState(f *testing.F) {
	f.Add(pb(func(w *pbWriter) {
		w.uint(1, 7)
		w.string(3, "Alice")
		w.uint(4, 1000000001)
		w.uint(5, 2)
		w.bool(9, true)
		w.string(15, "abcdef")
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := decodeUserState(b)
		checkMalformed(t, err)
		if err == nil {
			var s UserState
			u.apply(&s)
			if s.Session != int(u.session) {
				t.Fatalf("session %d applied as %d", u.session, s.Session)
			}
		}
	})
}

func FuzzPermissionDenied(f *testing.F) {
	f.Add(pb(func(w *pbWriter) { w.uint(1, 4); w.uint(2, 3); w.uint(3, 7); w.string(4, "no"); w.uint(5, 1) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodePermissionDenied(b)
		checkMalformed(t, err)
	})
}
