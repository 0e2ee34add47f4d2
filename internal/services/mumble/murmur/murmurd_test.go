package murmur

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

// testAuth is an Authenticator over a fixed table of users, recording the
// logins it was asked about.
type testAuth struct {
	users map[string]testUser // by login name

	mu     sync.Mutex
	asked  []string
	hashes map[string]string // certificate hash by login name
}

type testUser struct {
	id          int
	pw, display string
	groups      []string
}

func (a *testAuth) Authenticate(ctx context.Context, name, pw, certHash string, certStrong bool) (int, string, []string) {
	a.mu.Lock()
	a.asked = append(a.asked, name)
	if a.hashes == nil {
		a.hashes = map[string]string{}
	}
	a.hashes[name] = certHash
	a.mu.Unlock()
	u, ok := a.users[name]
	switch {
	case !ok:
		return AuthUnknown, "", nil
	case u.pw != pw:
		return AuthRefused, "", nil
	}
	return u.id, u.display, u.groups
}

func (a *testAuth) GetInfo(ctx context.Context, id int) (UserInfo, bool) {
	for name, u := range a.users {
		if u.id == id {
			return UserInfo{UserName: name}, true
		}
	}
	return nil, false
}

func (a *testAuth) NameToID(ctx context.Context, name string) int {
	if u, ok := a.users[name]; ok {
		return u.id
	}
	return AuthUnknown
}

func (a *testAuth) IDToName(ctx context.Context, id int) string {
	for name, u := range a.users {
		if u.id == id {
			return name
		}
	}
	return ""
}

func (a *testAuth) IDToTexture(ctx context.Context, id int) []byte { return nil }

func (a *testAuth) certHash(name string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hashes[name]
}

func (a *testAuth) wasAsked(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.asked {
		if n == name {
			return true
		}
	}
	return false
}

// serveAuthenticator serves a's Servant on a loopback port until the test
// ends and returns the proxy murmurd calls it by.
func serveAuthenticator(t *testing.T, module Module, secret string, a Authenticator) ice.Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Servant(module, secret, a, nil).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return AuthenticatorProxy("127.0.0.1", ln.Addr().(*net.TCPAddr).Port)
}

func dialMurmurd(t *testing.T, srv *mumbletest.Murmurd) *Meta {
	t.Helper()
	m, err := Dial(t.Context(), srv.IceAddr, srv.Secret, "")
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestMurmurdMeta(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	m := dialMurmurd(t, srv)
	if m.Module() != ModuleMurmur {
		t.Errorf("Module = %q, want Murmur", m.Module())
	}
	v, err := m.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.Major != 1 || v.Minor != 3 || v.Text == "" {
		t.Errorf("Version = %+v, want 1.3.x (Debian bookworm's)", v)
	}
	s, err := m.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if running, err := s.IsRunning(ctx); err != nil || !running {
		t.Errorf("IsRunning = %v, %v", running, err)
	}
	booted, err := m.BootedServers(ctx)
	if err != nil || len(booted) != 1 || booted[0].ID != 1 {
		t.Errorf("BootedServers = %v, %v; want server 1", booted, err)
	}
	if _, err := m.Server(ctx, 77); !errors.Is(err, ErrServerNotFound) {
		t.Errorf("Server(77): %v, want ErrServerNotFound", err)
	}
	if _, err := Dial(ctx, srv.IceAddr, srv.Secret, ModuleMumbleServer); !errors.Is(err, ErrModuleUnsupported) {
		t.Errorf("Dial as MumbleServer: %v, want ErrModuleUnsupported", err)
	}

	// A wrong secret is refused with murmurd's InvalidSecretException
	// for writes (reads need none while icesecretread is unset).
	bad, err := Dial(ctx, srv.IceAddr, "wrong", ModuleMurmur)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	bs, err := bad.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.SetConf(ctx, "welcometext", "x"); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("setConf with a wrong secret: %v, want ErrInvalidSecret", err)
	}
}

func TestMurmurdConf(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetConf(ctx, "forceExternalAuth"); err != nil || v != "" {
		t.Errorf("GetConf before = %q, %v; want unset", v, err)
	}
	if err := s.SetConf(ctx, "forceExternalAuth", "true"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.GetConf(ctx, "forceExternalAuth"); err != nil || v != "true" {
		t.Errorf("GetConf = %q, %v; want true", v, err)
	}
	if _, err := s.GetConf(ctx, "key"); !errors.Is(err, ErrWriteOnly) {
		t.Errorf("GetConf(key): %v, want ErrWriteOnly", err)
	}
}

func TestMurmurdAuthenticator(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// murmurd checks the authenticator (ice_isA) within setAuthenticator:
	// one it cannot reach is refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if err := s.SetAuthenticator(ctx, AuthenticatorProxy("127.0.0.1", closedPort)); !errors.Is(err, ErrInvalidCallback) {
		t.Errorf("SetAuthenticator to a closed port: %v, want ErrInvalidCallback", err)
	}

	auth := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 1000000001, pw: "s3cret", display: "[CORP] Alice Pilot"}}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, ModuleMurmur, srv.Secret, auth)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, pw string
		want     int
	}{
		{"Alice_Pilot", "s3cret", 1000000001},
		{"Alice_Pilot", "wrong", AuthRefused},
		{"Nobody", "x", AuthUnknown},
	} {
		if id, err := s.VerifyPassword(ctx, c.name, c.pw); err != nil || id != c.want {
			t.Errorf("VerifyPassword(%s, %s) = %d, %v; want %d", c.name, c.pw, id, err, c.want)
		}
	}
	if !auth.wasAsked("Nobody") {
		t.Error("the authenticator was not asked")
	}
}

func TestMurmurdAuthenticatorWrongSecret(t *testing.T) {
	// A servant expecting another secret refuses murmurd's calls. murmurd
	// treats any failure of a callback as a broken authenticator: it drops
	// it (MurmurIce::badAuthenticator) and the login falls back to its own
	// database. Registering again (Keepstar's watchdog does) restores it.
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	auth := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 5, pw: "s3cret"}}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, ModuleMurmur, "not-murmurds-secret", auth)); err != nil {
		t.Fatal(err)
	}
	if id, err := s.VerifyPassword(ctx, "Alice_Pilot", "s3cret"); err != nil || id != AuthUnknown {
		t.Errorf("VerifyPassword = %d, %v; want unknown to murmurd's own database", id, err)
	}
	if auth.wasAsked("Alice_Pilot") {
		t.Error("the authenticator answered a call without its secret")
	}
	if !strings.Contains(srv.Log(), "Ice Authenticator") || !strings.Contains(srv.Log(), "failed") {
		t.Errorf("murmurd did not log the failed authenticator:\n%s", srv.Log())
	}
	// Dropped: a good servant is not asked until registered.
	good := serveAuthenticator(t, ModuleMurmur, srv.Secret, auth)
	if err := s.SetAuthenticator(ctx, good); err != nil {
		t.Fatal(err)
	}
	if id, err := s.VerifyPassword(ctx, "Alice_Pilot", "s3cret"); err != nil || id != 5 {
		t.Errorf("VerifyPassword after registering again = %d, %v; want 5", id, err)
	}
}

func TestMurmurdDone(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	m := dialMurmurd(t, srv)
	select {
	case <-m.Done():
		t.Fatal("Done before murmurd stopped")
	default:
	}
	srv.Stop(t)
	<-m.Done() // the test's deadline bounds the wait
	if m.Err() == nil {
		t.Error("Err is nil after Done")
	}
	// Restarted, the server is reachable again on the same address.
	srv.Restart(t)
	m2 := dialMurmurd(t, srv)
	if _, err := m2.Server(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
}
