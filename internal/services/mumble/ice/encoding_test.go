package ice

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestPrimitivesRoundTrip(t *testing.T) {
	var e Encoder
	e.Bool(true)
	e.Bool(false)
	e.Byte(0xAB)
	e.Short(math.MinInt16)
	e.Int(-2)
	e.Long(math.MaxInt64)
	e.Size(0)
	e.Size(254)
	e.Size(255)
	e.Size(70000)
	want := []byte{1, 0, 0xAB, 0x00, 0x80, 0xFE, 0xFF, 0xFF, 0xFF,
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
		0, 254, 0xFF, 255, 0, 0, 0, 0xFF, 0x70, 0x11, 0x01, 0}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoded\n% x\nwant\n% x", e.Bytes(), want)
	}
	// The sizes are checked against the bytes left, so decode them with
	// padding behind.
	d := NewDecoder(append(e.Bytes(), make([]byte, 70000)...))
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	got := []any{must(d.Bool()), must(d.Bool()), must(d.Byte()), must(d.Short()), must(d.Int()), must(d.Long()),
		must(d.Size()), must(d.Size()), must(d.Size()), must(d.Size())}
	wantV := []any{true, false, byte(0xAB), int16(math.MinInt16), int32(-2), int64(math.MaxInt64), 0, 254, 255, 70000}
	if !reflect.DeepEqual(got, wantV) {
		t.Fatalf("decoded %v, want %v", got, wantV)
	}
}

func TestStringsRoundTrip(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes: the long size form
	var e Encoder
	e.String("")
	e.String("Alice_Pilot 访问级别")
	e.String(long)
	e.StringSeq([]string{"a", "", "ccc"})
	e.StringSeq(nil)
	e.StringDict(map[string]string{"secret": "s3", "a": "1"})
	e.StringDict(nil)
	d := NewDecoder(e.Bytes())
	for _, want := range []string{"", "Alice_Pilot 访问级别", long} {
		if got, err := d.String(); err != nil || got != want {
			t.Fatalf("String = %q, %v; want %q", got, err, want)
		}
	}
	if got, err := d.StringSeq(); err != nil || !reflect.DeepEqual(got, []string{"a", "", "ccc"}) {
		t.Fatalf("StringSeq = %q, %v", got, err)
	}
	if got, err := d.StringSeq(); err != nil || len(got) != 0 {
		t.Fatalf("empty StringSeq = %q, %v", got, err)
	}
	if got, err := d.StringDict(); err != nil || !reflect.DeepEqual(got, map[string]string{"secret": "s3", "a": "1"}) {
		t.Fatalf("StringDict = %q, %v", got, err)
	}
	if got, err := d.StringDict(); err != nil || len(got) != 0 {
		t.Fatalf("empty StringDict = %q, %v", got, err)
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestDictionaryKeysAreWrittenSorted(t *testing.T) {
	var e Encoder
	e.StringDict(map[string]string{"b": "2", "a": "1"})
	want := []byte{2, 1, 'a', 1, '1', 1, 'b', 1, '2'}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoded % x, want % x", e.Bytes(), want)
	}
}

func TestEncapsAndIdentityRoundTrip(t *testing.T) {
	var e Encoder
	e.Encaps([]byte{9, 8, 7})
	e.Encaps(nil)
	e.Identity(Identity{Name: "1", Category: "s"})
	want := []byte{9, 0, 0, 0, 1, 0, 9, 8, 7, 6, 0, 0, 0, 1, 0, 1, '1', 1, 's'}
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoded % x, want % x", e.Bytes(), want)
	}
	d := NewDecoder(e.Bytes())
	if p, err := d.Encaps(); err != nil || !bytes.Equal(p, []byte{9, 8, 7}) {
		t.Fatalf("Encaps = % x, %v", p, err)
	}
	if p, err := d.Encaps(); err != nil || len(p) != 0 {
		t.Fatalf("empty Encaps = % x, %v", p, err)
	}
	if id, err := d.Identity(); err != nil || id != (Identity{Name: "1", Category: "s"}) || id.String() != "s/1" {
		t.Fatalf("Identity = %v, %v", id, err)
	}
}

// The proxy LAB passed to setAuthenticator, as Ice prints it:
// "authenticator -t -e 1.0:tcp -h 127.0.0.1 -p 40001 -t 60000".
func TestProxyBytes(t *testing.T) {
	p := Proxy{
		Identity:  Identity{Name: "authenticator"},
		Endpoints: []TCPEndpoint{{Host: "127.0.0.1", Port: 40001, Timeout: 60000}},
	}
	var e Encoder
	e.Proxy(p)
	var want []byte
	want = append(want, 13)
	want = append(want, "authenticator"...)
	want = append(want, 0, 0, 0, 0, 1, 1, 0) // category, facet, mode, secure, 1 endpoint, type 1 (short)
	want = append(want, 6+1+9+4+4+1, 0, 0, 0, 1, 0, 9)
	want = append(want, "127.0.0.1"...)
	want = append(want, 0x41, 0x9c, 0, 0, 0x60, 0xea, 0, 0, 0)
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoded\n% x\nwant\n% x", e.Bytes(), want)
	}
	got, err := NewDecoder(want).Proxy()
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Fatalf("Proxy = %+v, %v", got, err)
	}
}

func TestProxyRoundTrips(t *testing.T) {
	for _, p := range []Proxy{
		{},
		{Identity: Identity{Name: "x", Category: "c"}, Facet: "f", Mode: 2, Secure: true, AdapterID: "adapter"},
		{Identity: Identity{Name: "x"}, Endpoints: []TCPEndpoint{
			{Host: "::1", Port: 1, Timeout: -1, Compress: true}, {Host: "h", Port: 65535}}},
	} {
		var e Encoder
		e.Proxy(p)
		d := NewDecoder(e.Bytes())
		got, err := d.Proxy()
		if err != nil || !reflect.DeepEqual(got, p) || d.Finish() != nil {
			t.Errorf("Proxy(%+v) = %+v, %v", p, got, err)
		}
	}
}

func TestRequestAndReplyRoundTrip(t *testing.T) {
	var params Encoder
	params.String("Alice_Pilot")
	params.String("s3cret")
	req := Request{ID: 7, Identity: Identity{Name: "1", Category: "s"}, Operation: "verifyPassword",
		Mode: ModeNormal, Context: map[string]string{"secret": "w"}, Params: params.Bytes()}
	var e Encoder
	e.Request(req)
	got, err := DecodeRequest(e.Bytes())
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Fatalf("DecodeRequest = %+v, %v", got, err)
	}
	for _, r := range []Reply{
		{ID: 7, Status: StatusOK, Payload: []byte{1, 2}},
		{ID: 8, Status: StatusUserException, Payload: []byte{}},
		{ID: 9, Status: StatusOperationNotExist, Failed: Failure{Identity: Identity{Name: "a"}, Facet: "f", Operation: "op"}},
		{ID: 10, Status: StatusUnknownException, Message: "boom"},
	} {
		var e Encoder
		e.Reply(r)
		got, err := DecodeReply(e.Bytes())
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("DecodeReply(%+v) = %+v, %v", r, got, err)
		}
	}
}

// Meta.getVersion's reply as murmurd 1.3.4 sent it (LAB): out-parameters
// major, minor, patch, text.
func TestGetVersionReplyPayload(t *testing.T) {
	want := append([]byte{1, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 7}, "1.3.4-4"...)
	var e Encoder
	e.Int(1)
	e.Int(3)
	e.Int(4)
	e.String("1.3.4-4")
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("encoded % x, want % x", e.Bytes(), want)
	}
	d := NewDecoder(want)
	major, _ := d.Int()
	minor, _ := d.Int()
	patch, _ := d.Int()
	text, err := d.String()
	if err != nil || major != 1 || minor != 3 || patch != 4 || text != "1.3.4-4" || d.Finish() != nil {
		t.Fatalf("decoded %d.%d.%d %q, %v", major, minor, patch, text, err)
	}
}

func TestMalformedValuesAreRefused(t *testing.T) {
	cases := map[string]struct {
		in   []byte
		read func(*Decoder) error
	}{
		"short int":               {[]byte{1, 2, 3}, func(d *Decoder) error { _, err := d.Int(); return err }},
		"empty long":              {nil, func(d *Decoder) error { _, err := d.Long(); return err }},
		"bool 2":                  {[]byte{2}, func(d *Decoder) error { _, err := d.Bool(); return err }},
		"negative size":           {[]byte{0xFF, 0, 0, 0, 0x80}, func(d *Decoder) error { _, err := d.Size(); return err }},
		"long form small size":    {[]byte{0xFF, 3, 0, 0, 0, 1, 2, 3}, func(d *Decoder) error { _, err := d.Size(); return err }},
		"size beyond input":       {[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, func(d *Decoder) error { _, err := d.Size(); return err }},
		"string beyond input":     {[]byte{5, 'a'}, func(d *Decoder) error { _, err := d.String(); return err }},
		"string not UTF-8":        {[]byte{1, 0xFF}, func(d *Decoder) error { _, err := d.String(); return err }},
		"huge sequence":           {[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, func(d *Decoder) error { _, err := d.StringSeq(); return err }},
		"repeated key":            {[]byte{2, 1, 'a', 0, 1, 'a', 0}, func(d *Decoder) error { _, err := d.StringDict(); return err }},
		"encaps size 5":           {[]byte{5, 0, 0, 0, 1, 0}, func(d *Decoder) error { _, err := d.Encaps(); return err }},
		"encaps beyond input":     {[]byte{9, 0, 0, 0, 1, 0, 1}, func(d *Decoder) error { _, err := d.Encaps(); return err }},
		"encaps encoding 1.1":     {[]byte{6, 0, 0, 0, 1, 1}, func(d *Decoder) error { _, err := d.Encaps(); return err }},
		"encaps negative":         {[]byte{0, 0, 0, 0x80, 1, 0}, func(d *Decoder) error { _, err := d.Encaps(); return err }},
		"proxy ssl endpoint":      {[]byte{1, 'x', 0, 0, 0, 0, 1, 2, 0, 6, 0, 0, 0, 1, 0}, func(d *Decoder) error { _, err := d.Proxy(); return err }},
		"proxy two facets":        {[]byte{1, 'x', 0, 2, 1, 'a', 1, 'b', 0, 0, 0, 0}, func(d *Decoder) error { _, err := d.Proxy(); return err }},
		"proxy endpoint leftover": {[]byte{1, 'x', 0, 0, 0, 0, 1, 1, 0, 17, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, func(d *Decoder) error { _, err := d.Proxy(); return err }},
	}
	for name, c := range cases {
		if err := c.read(NewDecoder(c.in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", name, err)
		}
	}
	if _, err := DecodeRequest([]byte{0, 0, 0, 0x80}); !errors.Is(err, ErrMalformed) {
		t.Errorf("negative request id: %v", err)
	}
	if _, err := DecodeReply([]byte{1, 0, 0, 0, 8}); !errors.Is(err, ErrMalformed) {
		t.Errorf("reply status 8: %v", err)
	}
	if _, err := DecodeReply([]byte{1, 0, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0}); !errors.Is(err, ErrMalformed) {
		t.Errorf("reply with trailing byte: %v", err)
	}
}
