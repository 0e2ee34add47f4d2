package ice

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Every decoder is fuzzed: none may panic, every refusal wraps
// ErrMalformed, and whatever decodes re-encodes to exactly the bytes it was
// read from (the decoders refuse the non-canonical forms), except a
// dictionary's key order, which re-encodes sorted and must decode to the
// same value.

// fuzzValue decodes one value from b with dec and checks that enc writes
// the consumed bytes back.
func fuzzValue[T any](t *testing.T, b []byte, dec func(*Decoder) (T, error), enc func(*Encoder, T)) {
	d := NewDecoder(b)
	v, err := dec(d)
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		return
	}
	var e Encoder
	enc(&e, v)
	if consumed := b[:d.pos]; !bytes.Equal(e.Bytes(), consumed) {
		t.Fatalf("decoded %#v from % x, re-encoded as % x", v, consumed, e.Bytes())
	}
}

func seeds(f *testing.F, ss ...[]byte) {
	for _, s := range ss {
		f.Add(s)
	}
}

func encoded(write func(*Encoder)) []byte {
	var e Encoder
	write(&e)
	return e.Bytes()
}

func FuzzFrame(f *testing.F) {
	seeds(f, validateFrame, encoded(func(e *Encoder) {}), AppendHeader(nil, MsgReply, 3), append(AppendHeader(nil, MsgRequest, 2), 1, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, body, err := ReadFrame(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteFrame(&buf, typ, body); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), b[:buf.Len()]) {
			t.Fatalf("frame % x re-encoded as % x", b[:buf.Len()], buf.Bytes())
		}
	})
}

func FuzzFixedWidth(f *testing.F) {
	seeds(f, []byte{0, 1}, []byte{1, 2}, []byte{2, 1, 2}, []byte{3, 1, 2, 3, 4}, []byte{4, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		rest := b[1:]
		switch b[0] % 5 {
		case 0:
			fuzzValue(t, rest, (*Decoder).Bool, (*Encoder).Bool)
		case 1:
			fuzzValue(t, rest, (*Decoder).Byte, (*Encoder).Byte)
		case 2:
			fuzzValue(t, rest, (*Decoder).Short, (*Encoder).Short)
		case 3:
			fuzzValue(t, rest, (*Decoder).Int, (*Encoder).Int)
		case 4:
			fuzzValue(t, rest, (*Decoder).Long, (*Encoder).Long)
		}
	})
}

func FuzzSize(f *testing.F) {
	seeds(f, []byte{3, 0, 0, 0}, encoded(func(e *Encoder) { e.Size(300) }), []byte{0xFF, 0, 0, 0, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).Size, (*Encoder).Size)
	})
}

func FuzzString(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) { e.String("访问级别") }), []byte{1, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).String, (*Encoder).String)
	})
}

func FuzzStringSeq(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) { e.StringSeq([]string{"a", "", "bc"}) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).StringSeq, (*Encoder).StringSeq)
	})
}

func FuzzStringDict(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) { e.StringDict(map[string]string{"secret": "w", "a": ""}) }),
		[]byte{2, 1, 'b', 0, 1, 'a', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		m, err := d.StringDict()
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		var e Encoder
		e.StringDict(m)
		if len(e.Bytes()) != d.pos {
			t.Fatalf("%d bytes re-encoded as %d", d.pos, len(e.Bytes()))
		}
		again, err := NewDecoder(e.Bytes()).StringDict()
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("re-encoded dictionary decodes as %q, %v; want %q", again, err, m)
		}
	})
}

func FuzzEncaps(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) { e.Encaps([]byte{1, 2, 3}) }), []byte{6, 0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).Encaps, (*Encoder).Encaps)
	})
}

func FuzzIdentity(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) { e.Identity(Identity{Name: "1", Category: "s"}) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).Identity, (*Encoder).Identity)
	})
}

func FuzzProxy(f *testing.F) {
	seeds(f,
		encoded(func(e *Encoder) {
			e.Proxy(Proxy{Identity: Identity{Name: "authenticator"}, Endpoints: []TCPEndpoint{{Host: "127.0.0.1", Port: 40001, Timeout: 60000}}})
		}),
		encoded(func(e *Encoder) { e.Proxy(Proxy{Identity: Identity{Name: "x"}, Facet: "f", AdapterID: "a"}) }),
		encoded(func(e *Encoder) { e.Proxy(Proxy{}) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzValue(t, b, (*Decoder).Proxy, (*Encoder).Proxy)
	})
}

func FuzzRequest(f *testing.F) {
	seeds(f, encoded(func(e *Encoder) {
		e.Request(Request{ID: 1, Identity: Identity{Name: "1", Category: "s"}, Operation: "verifyPassword",
			Context: map[string]string{"secret": "w"}, Params: []byte{1, 'a', 1, 'b'}})
	}), encoded(func(e *Encoder) { e.Request(Request{Identity: Identity{Name: "x"}, Operation: "ice_isA", Mode: 1}) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		var e Encoder
		e.Request(r)
		if len(r.Context) <= 1 && !bytes.Equal(e.Bytes(), b) {
			t.Fatalf("request % x re-encoded as % x", b, e.Bytes())
		}
		again, err := DecodeRequest(e.Bytes())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("re-encoded request decodes as %+v, %v; want %+v", again, err, r)
		}
	})
}

func FuzzReply(f *testing.F) {
	seeds(f,
		encoded(func(e *Encoder) {
			e.Reply(Reply{ID: 1, Payload: append([]byte{1, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 7}, "1.3.4-4"...)})
		}),
		encoded(func(e *Encoder) {
			e.Reply(Reply{ID: 2, Status: 4, Failed: Failure{Identity: Identity{Name: "x"}, Operation: "op"}})
		}),
		encoded(func(e *Encoder) { e.Reply(Reply{ID: 3, Status: 5, Message: "boom"}) }))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReply(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatal(err)
			}
			return
		}
		var e Encoder
		e.Reply(r)
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatalf("reply % x re-encoded as % x", b, e.Bytes())
		}
	})
}
