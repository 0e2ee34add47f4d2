package murmur

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zerocPythonEnv names a Python with ZeroC's own Ice (Debian's
// python3-zeroc-ice, under /usr/bin/python3): with it, this package is
// checked against ZeroC's implementation of the slices, including Mumble
// 1.5's, which no murmurd on Debian bookworm speaks.
const zerocPythonEnv = "KEEPSTAR_TEST_ZEROC_PYTHON"

// debianSlice is Mumble 1.3.4's slice as Debian's mumble-server installs it.
const debianSlice = "/usr/share/slice/Murmur.ice"

// slice15 turns the 1.3.4 slice into the 1.5 layout of everything this
// package uses: the module renamed MumbleServer, and User's long version2
// after version (added in 1.4). The other differences of 1.4 and 1.5 are
// operations Keepstar does not call.
func slice15(t *testing.T, s string) string {
	t.Helper()
	for _, r := range []struct{ old, new string }{
		{"module Murmur\n", "module MumbleServer\n"},
		{"\t\tint version;\n", "\t\tint version;\n\t\tlong version2;\n"},
	} {
		if strings.Count(s, r.old) != 1 {
			t.Fatalf("%s: %q is not there exactly once; the slice changed", debianSlice, r.old)
		}
		s = strings.Replace(s, r.old, r.new, 1)
	}
	return s
}

// zerocPeer is Python run with ZeroC Ice: it serves murmurd's Meta and s/1
// for the slice's module with fixed answers, and, when setAuthenticator is
// called, calls the authenticator it is given and prints what it got as
// JSON lines. ARGS: slice file, module name, port, version2 in User.
const zerocPeer = `
import json, sys, Ice
slice, module, port, v2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
Ice.loadSlice("", ["-I" + Ice.getSliceDir(), slice])
M = __import__(module)
props = Ice.createProperties()
props.setProperty("Ice.Default.EncodingVersion", "1.0")
props.setProperty("Ice.Warn.Dispatch", "0")
init = Ice.InitializationData()
init.properties = props
comm = Ice.initialize(init)
adapter = comm.createObjectAdapterWithEndpoints("A", "tcp -h 127.0.0.1 -p %d" % port)

def out(**kw):
    print(json.dumps(kw), flush=True)

def check(current):
    if current.ctx.get("secret") != "w":
        raise M.InvalidSecretException()

class Server(M.Server):
    def isRunning(self, current):
        return True
    def getUsers(self, current):
        check(current)
        u = M.User(session=5, userid=1000000001, prioritySpeaker=True, selfMute=True, channel=2, name="[C] A",
                   onlinesecs=60, bytespersec=1000, version=0x010504, release="1.5.634", os="X11",
                   osversion="Debian", comment="hi", address=bytes([0] * 10 + [255, 255, 127, 0, 0, 1]),
                   idlesecs=7, udpPing=1.5, tcpPing=0.25)
        if v2:
            u.version2 = 0x00010005027a0000
        return {5: u}
    def kickUser(self, session, reason, current):
        check(current)
        raise M.InvalidSessionException()
    def hasPermission(self, session, channelid, perm, current):
        check(current)
        return session == 5 and channelid == 2 and perm == M.PermissionEnter
    def getACL(self, channelid, current):
        check(current)
        return ([M.ACL(True, True, False, -1, "all", 0, 4), M.ACL(True, False, False, -1, "members", 4, 0)],
                [M.Group("members", False, True, True, [7], [], [])], False)
    def setACL(self, channelid, acls, groups, inherit, current):
        check(current)
        out(op="setACL", channel=channelid,
            acls=[[a.applyHere, a.applySubs, a.inherited, a.userid, a.group, a.allow, a.deny] for a in acls],
            groups=[[g.name, g.inherited, g.inherit, g.inheritable, list(g.add), list(g.remove), list(g.members)] for g in groups],
            inherit=inherit)
    def setAuthenticator(self, auth, current):
        check(current)
        a = M.ServerAuthenticatorPrx.checkedCast(auth)
        u = M.ServerUpdatingAuthenticatorPrx.checkedCast(auth)
        out(op="isA", authenticator=a is not None, updating=u is not None)
        ctx = {"secret": "w"}
        out(op="authenticate", got=list(a.authenticate("Alice_Pilot", "s3cret", [bytes([1, 2])], "ff00", True, ctx)))
        out(op="authenticate-wrong", got=list(a.authenticate("Alice_Pilot", "x", [], "ee11", False, ctx)))
        ok, info = a.getInfo(1000000001, ctx)
        out(op="getInfo", ok=ok, info={str(k.value): v for k, v in info.items()})
        out(op="nameToId", known=a.nameToId("Alice_Pilot", ctx), unknown=a.nameToId("Nobody", ctx))
        out(op="idToName", name=a.idToName(1000000001, ctx))
        out(op="idToTexture", size=len(a.idToTexture(1000000001, ctx)))
        try:
            a.authenticate("Alice_Pilot", "s3cret", [], "", False, {"secret": "bad"})
            out(op="bad-secret", got="answered")
        except Ice.UnknownUserException as e:
            # authenticate declares no exceptions, so ZeroC's client turns
            # the servant's InvalidSecretException into this one.
            out(op="bad-secret", got=e.unknown)
        try:
            M.ServerUpdatingAuthenticatorPrx.uncheckedCast(a).registerUser({}, ctx)
            out(op="registerUser", got="answered")
        except Ice.OperationNotExistException:
            out(op="registerUser", got="OperationNotExistException")

class Meta(M.Meta):
    def getVersion(self, current):
        return (1, 5, 634, "1.5.634") if v2 else (1, 3, 4, "1.3.4-4")
    def getServer(self, id, current):
        if id != 1:
            return None
        return M.ServerPrx.uncheckedCast(adapter.createProxy(Ice.stringToIdentity("s/1")))

adapter.add(Meta(), Ice.stringToIdentity("Meta"))
adapter.add(Server(), Ice.stringToIdentity("s/1"))
adapter.activate()
out(op="ready")
comm.waitForShutdown()
`

// TestZeroCPeer runs this package against ZeroC's own Ice (Python), for
// the 1.3 slice and its 1.5 form: module detection, getUsers in both
// layouts, a user exception, getACL/setACL both ways, and the servant
// called by ZeroC's client, exceptions and all.
func TestZeroCPeer(t *testing.T) {
	python := os.Getenv(zerocPythonEnv)
	if python == "" {
		t.Skipf("set %s to a Python with ZeroC Ice (e.g. /usr/bin/python3 with python3-zeroc-ice) to test against ZeroC's implementation", zerocPythonEnv)
	}
	orig, err := os.ReadFile(debianSlice)
	if err != nil {
		t.Skipf("%s (from mumble-server) is needed: %v", debianSlice, err)
	}
	for _, c := range []struct {
		module Module
		slice  string
		v2     bool
	}{
		{ModuleMurmur, string(orig), false},
		{ModuleMumbleServer, slice15(t, string(orig)), true},
	} {
		t.Run(string(c.module), func(t *testing.T) {
			dir := t.TempDir()
			slicePath := filepath.Join(dir, "Slice.ice")
			script := filepath.Join(dir, "peer.py")
			if err := os.WriteFile(slicePath, []byte(c.slice), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(script, []byte(zerocPeer), 0o644); err != nil {
				t.Fatal(err)
			}
			testZeroCPeer(t, python, script, slicePath, c.module, c.v2)
		})
	}
}

func testZeroCPeer(t *testing.T, python, script, slicePath string, module Module, v2 bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	v2arg := "0"
	if v2 {
		v2arg = "1"
	}
	cmd := exec.Command(python, script, slicePath, string(module), strconv.Itoa(port), v2arg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan map[string]any)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	next := func(op string) map[string]any {
		t.Helper()
		timer := time.NewTimer(30 * time.Second) // a guard against a stuck peer, not an assertion
		defer timer.Stop()
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("the ZeroC peer ended; its stderr:\n%s", stderr.String())
			}
			if m["op"] != op {
				t.Fatalf("the ZeroC peer said %v, want %s", m, op)
			}
			return m
		case <-timer.C:
			t.Fatalf("the ZeroC peer said nothing; its stderr:\n%s", stderr.String())
		}
		return nil
	}
	next("ready")

	ctx := t.Context()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	m, err := Dial(ctx, addr, "w", "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Module() != module || m.version.Major != 1 {
		t.Errorf("module %s version %v", m.Module(), m.version)
	}
	s, err := m.Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Server(ctx, 2); !errors.Is(err, ErrServerNotFound) {
		t.Errorf("Server(2): %v, want ErrServerNotFound", err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []User{wantUser(v2)}; !reflect.DeepEqual(users, want) {
		t.Errorf("Users =\n%+v\nwant\n%+v", users, want)
	}
	if err := s.Kick(ctx, 5, "x"); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("Kick: %v, want ErrInvalidSession", err)
	}
	if ok, err := s.HasPermission(ctx, 5, 2, PermissionEnter); err != nil || !ok {
		t.Errorf("HasPermission = %v, %v", ok, err)
	}
	acls, groups, inherit, err := s.GetACL(ctx, 2)
	if err != nil || !reflect.DeepEqual(acls, testACLs) || !reflect.DeepEqual(groups, testGroups) || inherit {
		t.Errorf("GetACL = %+v %+v %v, %v", acls, groups, inherit, err)
	}
	if err := s.SetACL(ctx, 3, testACLs, testGroups, true); err != nil {
		t.Fatal(err)
	}
	got := next("setACL")
	wantACL := `{"acls":[[true,true,false,-1,"all",0,4],[true,false,false,-1,"members",4,0]],"channel":3,` +
		`"groups":[["members",false,true,true,[7],[],[]]],"inherit":true,"op":"setACL"}`
	if b, _ := json.Marshal(got); string(b) != wantACL {
		t.Errorf("ZeroC read setACL as %s\nwant %s", b, wantACL)
	}

	bad, err := Dial(ctx, addr, "wrong", module)
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, err := bad.Server(ctx, 1); err != nil {
		t.Fatal(err) // getServer checks no secret in this peer
	}
	bs := &Server{ID: 1, meta: bad, identity: s.identity}
	if _, err := bs.Users(ctx); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("Users with a wrong secret: %v, want ErrInvalidSecret", err)
	}

	auth := &testAuth{users: map[string]testUser{
		"Alice_Pilot": {id: 1000000001, pw: "s3cret", display: "[C] Alice", groups: []string{"Member", "corp-A"}},
	}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, module, "w", auth)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ op, json string }{
		{"isA", `{"authenticator":true,"op":"isA","updating":false}`},
		{"authenticate", `{"got":[1000000001,"[C] Alice",["Member","corp-A"]],"op":"authenticate"}`},
		{"authenticate-wrong", `{"got":[-1,"",[]],"op":"authenticate-wrong"}`},
		{"getInfo", `{"info":{"0":"Alice_Pilot"},"ok":true,"op":"getInfo"}`},
		{"nameToId", `{"known":1000000001,"op":"nameToId","unknown":-2}`},
		{"idToName", `{"name":"Alice_Pilot","op":"idToName"}`},
		{"idToTexture", `{"op":"idToTexture","size":0}`},
		{"bad-secret", `{"got":"::` + string(module) + `::InvalidSecretException","op":"bad-secret"}`},
		{"registerUser", `{"got":"OperationNotExistException","op":"registerUser"}`},
	} {
		if b, _ := json.Marshal(next(w.op)); string(b) != w.json {
			t.Errorf("ZeroC's client got %s\nwant %s", b, w.json)
		}
	}
	if h := auth.certHash("Alice_Pilot"); h != "ee11" {
		t.Errorf("certificate hash %q reached the Authenticator last, want ee11", h)
	}
}
