package murmur

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

// BenchmarkServantAuthenticate is one authenticate call as murmurd makes
// it, over loopback TCP to the Go servant and back: the time murmurd's
// server waits per login, less the Authenticator's own work.
func BenchmarkServantAuthenticate(b *testing.B) {
	a := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 1, pw: "s3cret", display: "[C] Alice", groups: []string{"Member"}}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Servant(ModuleMurmur, "w", a, nil).Serve(ctx, ln)
	c, err := ice.Dial(ctx, ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	params := encodeAuthenticateParams(authenticateParams{Name: "Alice_Pilot", PW: "s3cret"})
	secret := map[string]string{"secret": "w"}
	b.ReportAllocs()
	for b.Loop() {
		if status, _, err := c.Call(ctx, authID, "authenticate", ice.ModeIdempotent, secret, params); err != nil || status != ice.StatusOK {
			b.Fatal(status, err)
		}
	}
}

// BenchmarkDecodeUsers decodes getUsers for 500 connected users with short
// comments.
func BenchmarkDecodeUsers(b *testing.B) {
	l := layout{userVersion2: true}
	users := make([]User, 500)
	for i := range users {
		users[i] = wantUser(true)
		users[i].Session = i + 1
		users[i].Name = "[CORP] Pilot " + strconv.Itoa(i)
	}
	var e ice.Encoder
	encodeUserMap(&e, l, users)
	b.SetBytes(int64(len(e.Bytes())))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeUserMap(e.Bytes(), l); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMurmurdVerifyPassword is verifyPassword on the real murmurd
// through the Go authenticator: Keepstar → murmurd → Keepstar's servant →
// murmurd → Keepstar.
func BenchmarkMurmurdVerifyPassword(b *testing.B) {
	srv := mumbletest.Start(b, mumbletest.Options{})
	ctx := b.Context()
	m, err := Dial(ctx, srv.IceAddr, srv.Secret, "")
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s, err := m.Server(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	a := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 1, pw: "s3cret"}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Servant(ModuleMurmur, srv.Secret, a, nil).Serve(sctx, ln)
	if err := s.SetAuthenticator(ctx, AuthenticatorProxy("127.0.0.1", ln.Addr().(*net.TCPAddr).Port)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if id, err := s.VerifyPassword(ctx, "Alice_Pilot", "s3cret"); err != nil || id != 1 {
			b.Fatal(fmt.Sprint(id, err))
		}
	}
}
