package murmur

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
)

// The golden bytes below are written by hand from the slices (Debian's
// Murmur.ice for 1.3.4, and Mumble 1.4's and 1.5's, which add User's
// version2 and rename the module): encoding 1.0, little-endian ints, sizes
// as one byte, strings as size and bytes.

const (
	goldenVersion15 = "01000000 05000000 06000000" // 1.5.6
	// A proxy to s/1 at 127.0.0.1:6502 with a 60 s timeout, as murmurd
	// returns from getServer: identity, no facet, twoway, not secure, one
	// TCP endpoint (type 1) in an encapsulation of 19 bytes + 6.
	goldenServerProxy = "0131 0173 | 00 00 00 | 01 | 0100 | 19000000 0100 | 09 3132372e302e302e31 | 66190000 | 60ea0000 | 00"
)

// goldenUser is one user of getUsers as murmurd writes it; withVersion2
// adds the long that Mumble 1.4 inserted after version.
func goldenUser(withVersion2 bool) string {
	s := "05000000 | 01ca9a3b | 00 00 00 01 01 00 00 | 02000000 | " + str("[C] A") + " | 3c000000 | e8030000 | 04050100 | "
	if withVersion2 {
		s += "00007a0205000100 | "
	}
	return s + str("1.5.634") + str("X11") + str("Debian") + str("") + str("") + str("hi") +
		" | 10 00000000000000000000ffff7f000001 | 00 | 07000000 | 0000c03f | 0000803e"
}

func wantUser(withVersion2 bool) User {
	u := User{Session: 5, UserID: 1000000001, PrioritySpeaker: true, SelfMute: true, Channel: 2, Name: "[C] A",
		OnlineSecs: 60, BytesPerSec: 1000, Version: 0x010504, Release: "1.5.634", OS: "X11", OSVersion: "Debian",
		Comment: "hi", Address: []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}, IdleSecs: 7,
		UDPPing: 1.5, TCPPing: 0.25}
	if withVersion2 {
		u.Version2 = 0x0001_0005_027a_0000
	}
	return u
}

const goldenACLs = "02 | 01 01 00 ffffffff " + "03616c6c" + " 00000000 04000000 | 01 00 00 ffffffff 076d656d62657273 04000000 00000000"
const goldenGroups = "01 | 076d656d62657273 00 01 01 | 01 07000000 | 00 | 00"

var (
	testACLs = []ACL{
		{ApplyHere: true, ApplySubs: true, UserID: -1, Group: "all", Deny: PermissionEnter},
		{ApplyHere: true, UserID: -1, Group: "members", Allow: PermissionEnter},
	}
	testGroups = []Group{{Name: "members", Inherit: true, Inheritable: true, Add: []int{7}, Remove: []int{}, Members: []int{}}}
)

// TestGoldenCalls drives every client operation against a fake murmurd of
// Mumble 1.5 (module MumbleServer) and checks the request's bytes, mode,
// identity and secret, and the decoding of the scripted result.
func TestGoldenCalls(t *testing.T) {
	f := startFake(t, ModuleMumbleServer)
	f.expect("getVersion", ice.StatusOK, h(t, goldenVersion15+str("1.5.6")))
	ctx := t.Context()
	m, err := Dial(ctx, f.addr, "w-secret", "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Module() != ModuleMumbleServer {
		t.Fatalf("Module = %q", m.Module())
	}

	f.expect("getServer", ice.StatusOK, h(t, goldenServerProxy))
	s, err := m.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	check := func(op string, mode byte, wantParams string) {
		t.Helper()
		req := f.last(t)
		if req.Operation != op || req.Mode != mode || req.Context["secret"] != "w-secret" || len(req.Context) != 1 {
			t.Errorf("%s: got %s mode %d context %v", op, req.Operation, req.Mode, req.Context)
		}
		wantID := ice.Identity{Name: "1", Category: "s"}
		if op == "getServer" || op == "getVersion" {
			wantID = metaIdentity
		}
		if req.Identity != wantID {
			t.Errorf("%s sent to %s, want %s", op, req.Identity, wantID)
		}
		if want := h(t, wantParams); !bytes.Equal(req.Params, want) {
			t.Errorf("%s params\n got % x\nwant % x", op, req.Params, want)
		}
	}
	check("getServer", ice.ModeIdempotent, "01000000")

	f.expect("getBootedServers", ice.StatusOK, h(t, "01"+goldenServerProxy))
	booted, err := m.BootedServers(ctx)
	if err != nil || len(booted) != 1 || booted[0].ID != 1 || booted[0].identity != (ice.Identity{Name: "1", Category: "s"}) {
		t.Errorf("BootedServers = %+v, %v", booted, err)
	}
	req := f.last(t)
	if req.Operation != "getBootedServers" || req.Mode != ice.ModeIdempotent || req.Identity != metaIdentity || len(req.Params) != 0 {
		t.Errorf("getBootedServers sent as %+v", req)
	}

	f.expect("isRunning", ice.StatusOK, h(t, "01"))
	if ok, err := s.IsRunning(ctx); err != nil || !ok {
		t.Errorf("IsRunning = %v, %v", ok, err)
	}
	check("isRunning", ice.ModeIdempotent, "")

	f.expect("setAuthenticator", ice.StatusOK, nil)
	auth := ice.Proxy{Identity: ice.Identity{Name: "auth"}, Endpoints: []ice.TCPEndpoint{{Host: "127.0.0.1", Port: 40000, Timeout: -1}}}
	if err := s.SetAuthenticator(ctx, auth); err != nil {
		t.Fatal(err)
	}
	check("setAuthenticator", ice.ModeNormal, str("auth")+str("")+"00 00 00 01 0100 19000000 0100 09 3132372e302e302e31 409c0000 ffffffff 00")

	f.expect("setConf", ice.StatusOK, nil)
	if err := s.SetConf(ctx, "forceExternalAuth", "true"); err != nil {
		t.Fatal(err)
	}
	check("setConf", ice.ModeIdempotent, str("forceExternalAuth")+str("true"))

	f.expect("getConf", ice.StatusOK, h(t, str("true")))
	if v, err := s.GetConf(ctx, "forceExternalAuth"); err != nil || v != "true" {
		t.Errorf("GetConf = %q, %v", v, err)
	}
	check("getConf", ice.ModeIdempotent, str("forceExternalAuth"))

	f.expect("getUsers", ice.StatusOK, h(t, "01 05000000 | "+goldenUser(true)))
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []User{wantUser(true)}; !reflect.DeepEqual(users, want) {
		t.Errorf("Users =\n%+v\nwant\n%+v", users, want)
	}
	check("getUsers", ice.ModeIdempotent, "")

	f.expect("kickUser", ice.StatusOK, nil)
	if err := s.Kick(ctx, 5, "bye"); err != nil {
		t.Fatal(err)
	}
	check("kickUser", ice.ModeNormal, "05000000"+str("bye"))

	f.expect("addUserToGroup", ice.StatusOK, nil)
	if err := s.AddUserToGroup(ctx, 0, 5, "members"); err != nil {
		t.Fatal(err)
	}
	check("addUserToGroup", ice.ModeIdempotent, "00000000 05000000"+str("members"))

	f.expect("removeUserFromGroup", ice.StatusOK, nil)
	if err := s.RemoveUserFromGroup(ctx, 3, 5, "members"); err != nil {
		t.Fatal(err)
	}
	check("removeUserFromGroup", ice.ModeIdempotent, "03000000 05000000"+str("members"))

	f.expect("verifyPassword", ice.StatusOK, h(t, "01ca9a3b"))
	if id, err := s.VerifyPassword(ctx, "Alice", "pw"); err != nil || id != 1000000001 {
		t.Errorf("VerifyPassword = %d, %v", id, err)
	}
	check("verifyPassword", ice.ModeIdempotent, str("Alice")+str("pw"))

	f.expect("hasPermission", ice.StatusOK, h(t, "01"))
	if ok, err := s.HasPermission(ctx, 5, 2, PermissionEnter); err != nil || !ok {
		t.Errorf("HasPermission = %v, %v", ok, err)
	}
	check("hasPermission", ice.ModeNormal, "05000000 02000000 04000000")

	f.expect("addChannel", ice.StatusOK, h(t, "03000000"))
	if id, err := s.AddChannel(ctx, "Members", 0); err != nil || id != 3 {
		t.Errorf("AddChannel = %d, %v", id, err)
	}
	check("addChannel", ice.ModeNormal, str("Members")+"00000000")

	f.expect("removeChannel", ice.StatusOK, nil)
	if err := s.RemoveChannel(ctx, 3); err != nil {
		t.Fatal(err)
	}
	check("removeChannel", ice.ModeNormal, "03000000")

	f.expect("setACL", ice.StatusOK, nil)
	if err := s.SetACL(ctx, 3, testACLs, testGroups, true); err != nil {
		t.Fatal(err)
	}
	check("setACL", ice.ModeIdempotent, "03000000 | "+goldenACLs+" | "+goldenGroups+" | 01")

	f.expect("getACL", ice.StatusOK, h(t, goldenACLs+" | "+goldenGroups+" | 00"))
	acls, groups, inherit, err := s.GetACL(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(acls, testACLs) || !reflect.DeepEqual(groups, testGroups) || inherit {
		t.Errorf("GetACL = %+v %+v %v", acls, groups, inherit)
	}
	check("getACL", ice.ModeIdempotent, "03000000")
}

// TestGoldenMurmur13Users: under Mumble 1.3 (module Murmur), User has no
// version2.
func TestGoldenMurmur13Users(t *testing.T) {
	f := startFake(t, ModuleMurmur)
	f.expect("getVersion", ice.StatusOK, h(t, "01000000 03000000 04000000"+str("1.3.4-4")))
	f.expect("getServer", ice.StatusOK, h(t, goldenServerProxy))
	f.expect("getUsers", ice.StatusOK, h(t, "01 05000000 | "+goldenUser(false)))
	ctx := t.Context()
	m, err := Dial(ctx, f.addr, "w", ModuleMurmur)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []User{wantUser(false)}; !reflect.DeepEqual(users, want) {
		t.Errorf("Users =\n%+v\nwant\n%+v", users, want)
	}
	// The same bytes read with the 1.4 layout do not fit.
	if _, err := decodeUserMap(h(t, "01 05000000 | "+goldenUser(false)), layout{userVersion2: true}); !errors.Is(err, ice.ErrMalformed) {
		t.Errorf("1.3 users read as 1.4: %v, want ErrMalformed", err)
	}
}

func TestGoldenExceptions(t *testing.T) {
	for _, c := range []struct {
		module Module
		name   string
		hex    string
		want   error
	}{
		{ModuleMumbleServer, "InvalidSecretException",
			"00 | " + str("::MumbleServer::InvalidSecretException") + " 04000000 | " + str("::MumbleServer::MurmurException") + " 04000000",
			ErrInvalidSecret},
		{ModuleMurmur, "InvalidSecretException",
			"00 | " + str("::Murmur::InvalidSecretException") + " 04000000 | " + str("::Murmur::MurmurException") + " 04000000",
			ErrInvalidSecret},
		{ModuleMurmur, "ServerBootedException",
			"00 | " + str("::Murmur::ServerBootedException") + " 04000000 | " + str("::Murmur::MurmurException") + " 04000000",
			ErrServerBooted},
		{ModuleMurmur, "MurmurException", "00 | " + str("::Murmur::MurmurException") + " 04000000", ErrMurmur},
	} {
		b := h(t, c.hex)
		if got := encodeException(c.module, c.name); !bytes.Equal(got, b) {
			t.Errorf("%s %s encodes as % x, want % x", c.module, c.name, got, b)
		}
		if err := decodeException(c.module, b); !errors.Is(err, c.want) {
			t.Errorf("%s %s decodes as %v", c.module, c.name, err)
		}
	}
	// Another module's exception is not one of ours.
	if err := decodeException(ModuleMurmur, encodeException(ModuleMumbleServer, "InvalidSecretException")); !errors.Is(err, ErrUnknownException) {
		t.Errorf("1.5 exception on a 1.3 connection: %v", err)
	}
	for _, bad := range []string{
		"",
		"01 | " + str("::Murmur::InvalidSecretException") + " 04000000 | " + str("::Murmur::MurmurException") + " 04000000",
		"00 | " + str("::Murmur::InvalidSecretException") + " 08000000 00000000 | " + str("::Murmur::MurmurException") + " 04000000",
		"00 | " + str("::Murmur::InvalidSecretException") + " 04000000",
		"00 | " + str("::Murmur::InvalidSecretException") + " 04000000 | " + str("::Murmur::MurmurException") + " 04000000 00",
	} {
		if err := decodeException(ModuleMurmur, h(t, bad)); !errors.Is(err, ice.ErrMalformed) {
			t.Errorf("decodeException(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestGoldenUserExceptionReply: a user exception in a reply becomes its
// sentinel, under the connection's module.
func TestGoldenUserExceptionReply(t *testing.T) {
	f := startFake(t, ModuleMumbleServer)
	f.expect("getVersion", ice.StatusOK, h(t, goldenVersion15+str("1.5.6")))
	f.expect("getServer", ice.StatusOK, h(t, goldenServerProxy))
	m, err := Dial(t.Context(), f.addr, "w", "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.Server(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	f.expect("kickUser", ice.StatusUserException, encodeException(ModuleMumbleServer, "InvalidSessionException"))
	if err := s.Kick(t.Context(), 9, ""); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("Kick: %v, want ErrInvalidSession", err)
	}
	f.expect("getServer", ice.StatusOK, h(t, "00 00")) // the null proxy
	if _, err := m.Server(t.Context(), 2); !errors.Is(err, ErrServerNotFound) {
		t.Errorf("Server(2): %v, want ErrServerNotFound", err)
	}
}

func TestDialRefusesAnotherModule(t *testing.T) {
	f := startFake(t, ModuleMurmur)
	f.expect("getVersion", ice.StatusOK, h(t, "01000000 03000000 04000000"+str("1.3.4")))
	if _, err := Dial(t.Context(), f.addr, "w", ModuleMumbleServer); !errors.Is(err, ErrModuleUnsupported) {
		t.Errorf("Dial as MumbleServer to a Murmur: %v", err)
	}
	if _, err := Dial(t.Context(), f.addr, "w", "Mumble"); err == nil {
		t.Error("Dial with an unknown module succeeded")
	}
}
