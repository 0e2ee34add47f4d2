package ice

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

func TestRealMurmurd(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	murmurSecret := srv.Secret
	ctx := t.Context()
	c, err := Dial(ctx, srv.IceAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	secret := map[string]string{"secret": murmurSecret}

	status, out, err := c.Call(ctx, Identity{Name: "Meta"}, "getVersion", ModeIdempotent, secret, nil)
	if err != nil || status != StatusOK {
		t.Fatalf("getVersion: %d, %v", status, err)
	}
	d := NewDecoder(out)
	major, _ := d.Int()
	minor, _ := d.Int()
	patch, _ := d.Int()
	text, err := d.String()
	if err != nil || major != 1 || d.Finish() != nil {
		t.Fatalf("getVersion = %d.%d.%d %q, %v", major, minor, patch, text, err)
	}
	t.Logf("murmurd %d.%d.%d %q", major, minor, patch, text)

	// Our authenticator: Alice_Pilot / s3cret is user 42, anything else is
	// refused.
	var seenMu sync.Mutex
	var seen []string
	servant := &Servant{
		TypeIDs: []string{"::Murmur::ServerAuthenticator"},
		Handle: func(ctx context.Context, req Request) (byte, []byte) {
			seenMu.Lock()
			seen = append(seen, req.Operation+" secret="+req.Context["secret"])
			seenMu.Unlock()
			if req.Operation != "authenticate" {
				return StatusOperationNotExist, nil
			}
			d := NewDecoder(req.Params)
			name, _ := d.String()
			pw, err := d.String()
			if err != nil {
				return StatusUnknownLocalException, []byte(err.Error())
			}
			id := int32(-1)
			if name == "Alice_Pilot" && pw == "s3cret" && req.Context["secret"] == murmurSecret {
				id = 42
			}
			var e Encoder
			e.String("")     // newname: keep the name
			e.StringSeq(nil) // groups
			e.Int(id)
			return StatusOK, e.Bytes()
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- servant.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	server := Identity{Name: "1", Category: "s"}
	var p Encoder
	p.Proxy(Proxy{Identity: Identity{Name: "authenticator"}, Endpoints: []TCPEndpoint{{
		Host: "127.0.0.1", Port: int32(ln.Addr().(*net.TCPAddr).Port), Timeout: -1}}})
	if status, _, err := c.Call(ctx, server, "setAuthenticator", ModeNormal, secret, p.Bytes()); err != nil || status != StatusOK {
		t.Fatalf("setAuthenticator: %d, %v", status, err)
	}

	verify := func(name, pw string) int32 {
		t.Helper()
		var p Encoder
		p.String(name)
		p.String(pw)
		status, out, err := c.Call(ctx, server, "verifyPassword", ModeIdempotent, secret, p.Bytes())
		if err != nil || status != StatusOK {
			t.Fatalf("verifyPassword(%s): %d, %v", name, status, err)
		}
		d := NewDecoder(out)
		id, err := d.Int()
		if err != nil || d.Finish() != nil {
			t.Fatalf("verifyPassword(%s) answered % x: %v", name, out, err)
		}
		return id
	}
	// Murmur hands back the authenticator's id as it is (LAB's
	// 1000000001 was its servant's own offset, as Alliance Auth's).
	if id := verify("Alice_Pilot", "s3cret"); id != 42 {
		t.Errorf("good password: %d, want 42", id)
	}
	if id := verify("Alice_Pilot", "wrong"); id != -1 {
		t.Errorf("bad password: %d, want -1", id)
	}
	seenMu.Lock()
	defer seenMu.Unlock()
	if !slices.Contains(seen, "authenticate secret="+murmurSecret) {
		t.Errorf("the servant saw %q, want authenticate with the secret", seen)
	}
}
