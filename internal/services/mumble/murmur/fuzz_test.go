package murmur

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// The decoders below read what murmurd (or whoever answers on its port)
// sends, or, for the servant, what anyone connecting to Keepstar's
// authenticator port sends. Each must return an error or a value that
// encodes back to the bytes it came from, never panic.

func FuzzUserMap(f *testing.F) {
	f.Add(h(f, "01 05000000 "+goldenUser(true)), true)
	f.Add(h(f, "01 05000000 "+goldenUser(false)), false)
	f.Add(h(f, "00"), false)
	f.Add(h(f, "02 05000000 "+goldenUser(false)+" 05000000 "+goldenUser(false)), false)
	f.Fuzz(func(t *testing.T, b []byte, v2 bool) {
		l := layout{userVersion2: v2}
		users, err := decodeUserMap(b, l)
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// Keys may come in any order; what decoded re-encodes sorted,
		// and that encoding decodes to itself.
		var e ice.Encoder
		encodeUserMap(&e, l, users)
		again, err := decodeUserMap(e.Bytes(), l)
		if err != nil {
			t.Fatalf("re-encoded users do not decode: %v", err)
		}
		var e2 ice.Encoder
		encodeUserMap(&e2, l, again)
		if !bytes.Equal(e.Bytes(), e2.Bytes()) || len(e.Bytes()) != len(b) {
			t.Fatalf("users do not round-trip: % x → % x", b, e.Bytes())
		}
	})
}

func FuzzException(f *testing.F) {
	for name := range exceptions {
		f.Add(encodeException(ModuleMurmur, name))
		f.Add(encodeException(ModuleMumbleServer, name))
	}
	f.Add(h(f, "00 "+str("::Other::Thing")+" 04000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []Module{ModuleMurmur, ModuleMumbleServer} {
			err := decodeException(m, b)
			if err == nil {
				t.Fatal("an exception decoded as no error")
			}
			for name, sentinel := range exceptions {
				if errors.Is(err, sentinel) && !bytes.Equal(b, encodeException(m, name)) {
					t.Fatalf("% x decoded as %s but is not its encoding", b, name)
				}
			}
		}
	})
}

func FuzzACLResult(f *testing.F) {
	f.Add(h(f, goldenACLs+goldenGroups+"01"))
	f.Add(h(f, "00 00 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		acls, groups, inherit, err := decodeACLResult(b)
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var e ice.Encoder
		encodeACLs(&e, acls)
		encodeGroups(&e, groups)
		e.Bool(inherit)
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatalf("ACLs do not round-trip: % x → % x", b, e.Bytes())
		}
	})
}

func FuzzAuthenticateParams(f *testing.F) {
	f.Add(h(f, str("Alice_Pilot")+str("s3cret")+"01 02 abcd"+str("ff00")+"01"))
	f.Add(h(f, str("a")+str("")+"00"+str("")+"00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeAuthenticateParams(ice.NewDecoder(b))
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got := encodeAuthenticateParams(p); !bytes.Equal(got, b) {
			t.Fatalf("params do not round-trip: % x → % x", b, got)
		}
	})
}

func FuzzUserInfo(f *testing.F) {
	var e ice.Encoder
	encodeUserInfo(&e, UserInfo{UserName: "a", UserEmail: "b@c", UserKDFIterations: "16000"})
	f.Add(e.Bytes())
	f.Add(h(f, "01 07 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := ice.NewDecoder(b)
		info, err := decodeUserInfo(d)
		if err == nil {
			err = d.Finish()
		}
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var e ice.Encoder
		encodeUserInfo(&e, info)
		again, err := decodeUserInfo(ice.NewDecoder(e.Bytes()))
		if err != nil || len(again) != len(info) {
			t.Fatalf("user info does not round-trip: %v %v", info, err)
		}
	})
}

func FuzzVersion(f *testing.F) {
	f.Add(h(f, goldenVersion15+str("1.5.6")))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeVersion(ice.NewDecoder(b))
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var e ice.Encoder
		e.Int(int32(v.Major))
		e.Int(int32(v.Minor))
		e.Int(int32(v.Patch))
		e.String(v.Text)
		if !bytes.Equal(e.Bytes(), b) {
			t.Fatalf("version does not round-trip")
		}
	})
}

func FuzzServerList(f *testing.F) {
	f.Add(h(f, "01"+goldenServerProxy))
	f.Add(h(f, "02"+goldenServerProxy+goldenServerProxy))
	f.Add(h(f, "01 00 00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		refs, err := decodeServerList(b)
		if err != nil {
			if !errors.Is(err, ice.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for _, r := range refs {
			if r.identity.Category != "s" || r.identity.Name != strconv.Itoa(r.id) {
				t.Fatalf("server %d from identity %s", r.id, r.identity)
			}
		}
	})
}
