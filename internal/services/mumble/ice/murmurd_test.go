package ice

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// murmurdEnv names the murmurd binary (Debian's mumble-server package, built
// with Ice); the tests against the real server skip without it.
const murmurdEnv = "KEEPSTAR_TEST_MURMURD"

const murmurSecret = "keepstar-test-secret"

// freePort returns a loopback port nothing listens on at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startMurmurd runs murmurd in the foreground on loopback with a temporary
// ini and database, waits for its log to say virtual server 1 listens, and
// returns the address of its Ice endpoint. It is stopped at the test's end.
func startMurmurd(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(murmurdEnv)
	if bin == "" {
		t.Skipf("set %s to the murmurd binary (e.g. /usr/sbin/murmurd) to test against the real Mumble server", murmurdEnv)
	}
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// Started as root, murmurd switches to the mumble-server user,
		// which must be able to write its database here.
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
	icePort := freePort(t)
	ini := fmt.Sprintf("database=%s\nice=\"tcp -h 127.0.0.1 -p %d\"\nicesecretwrite=%s\nhost=127.0.0.1\nport=%d\n",
		filepath.Join(dir, "murmur.sqlite"), icePort, murmurSecret, freePort(t))
	iniPath := filepath.Join(dir, "murmur.ini")
	if err := os.WriteFile(iniPath, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "-ini", iniPath, "-fg")
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); pw.Close(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})

	var (
		mu  sync.Mutex
		log strings.Builder
	)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if !signalled && strings.Contains(sc.Text(), "1 => Server listening on") {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-ready:
	case <-exited:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("murmurd exited before its server listened:\n%s", log.String())
	}
	return "127.0.0.1:" + strconv.Itoa(icePort)
}

func TestRealMurmurd(t *testing.T) {
	addr := startMurmurd(t)
	ctx := t.Context()
	c, err := Dial(ctx, addr)
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
