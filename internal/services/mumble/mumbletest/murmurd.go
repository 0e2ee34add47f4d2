package mumbletest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvMurmurd names the environment variable holding the murmurd binary's
// path (e.g. /usr/sbin/murmurd); tests needing the real server skip without
// it.
const EnvMurmurd = "KEEPSTAR_TEST_MURMURD"

// Secret is the icesecretwrite every started murmurd has: the Ice context
// "secret" calls must carry.
const Secret = "keepstar-test-secret"

// startLimit bounds how long murmurd may take to start; it is a guard against
// a hung test run, not an assertion (murmurd starts in about a second, a few
// more on its first start, which benchmarks PBKDF2).
const startLimit = 60 * time.Second

// Options change the server a test starts.
type Options struct {
	// ServerPassword, when set, is the password every client must give
	// (the ini's serverpassword).
	ServerPassword string
	// Ini holds extra ini lines ("key=value"), written after Keepstar's
	// own and before any [Ice] section, e.g. "autobanAttempts=0" for tests
	// that fail many logins.
	Ini []string
}

// Murmurd is a running murmurd: its Ice endpoint and its virtual server 1's
// voice (TLS control and UDP) port, both on 127.0.0.1.
type Murmurd struct {
	// IceAddr is host:port of the Ice endpoint (the Meta object).
	IceAddr string
	// VoiceAddr is host:port of server 1, where Mumble clients connect.
	VoiceAddr string
	// Secret is the Ice write secret (the package's Secret).
	Secret string

	bin, dir, iniPath string

	mu   sync.Mutex
	proc *process
}

type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	logMu  sync.Mutex
	log    strings.Builder
}

func (p *process) output() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

// Start runs murmurd for the test: in the foreground, on loopback, with
// random free Ice and voice ports, a temporary ini and SQLite database and
// the write secret Secret. It returns once virtual server 1 listens, and
// stops murmurd at the test's end. Without KEEPSTAR_TEST_MURMURD it skips
// the test.
func Start(t testing.TB, opts Options) *Murmurd {
	t.Helper()
	bin := os.Getenv(EnvMurmurd)
	if bin == "" {
		t.Skipf("set %s to the murmurd binary (e.g. /usr/sbin/murmurd) to test against the real Mumble server", EnvMurmurd)
	}
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		// Started as root, murmurd switches to the mumble-server user,
		// which must be able to write its database and log here.
		for _, d := range []string{dir, filepath.Dir(dir)} {
			if err := os.Chmod(d, 0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
	icePort := freePort(t)
	voicePort := freePort(t)
	var ini strings.Builder
	fmt.Fprintf(&ini, "database=%s\n", filepath.Join(dir, "murmur.sqlite"))
	fmt.Fprintf(&ini, "ice=\"tcp -h 127.0.0.1 -p %d\"\n", icePort)
	fmt.Fprintf(&ini, "icesecretwrite=%s\n", Secret)
	fmt.Fprintf(&ini, "host=127.0.0.1\nport=%d\n", voicePort)
	if opts.ServerPassword != "" {
		fmt.Fprintf(&ini, "serverpassword=%s\n", opts.ServerPassword)
	}
	for _, l := range opts.Ini {
		ini.WriteString(l + "\n")
	}
	iniPath := filepath.Join(dir, "murmur.ini")
	if err := os.WriteFile(iniPath, []byte(ini.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Murmurd{
		IceAddr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(icePort)),
		VoiceAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(voicePort)),
		Secret:    Secret,
		bin:       bin, dir: dir, iniPath: iniPath,
	}
	t.Cleanup(func() { m.stop() })
	m.start(t)
	return m
}

// freePort returns a loopback port free for both TCP and UDP at the moment
// (murmurd's voice port is both).
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		ln.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatal("no loopback port free for both TCP and UDP")
	return 0
}

// start runs murmurd and waits until server 1 listens.
func (m *Murmurd) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(m.bin, "-ini", m.iniPath, "-fg")
	cmd.Dir = m.dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting murmurd: %v", err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		pw.Close()
		close(p.exited)
	}()
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()

	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			p.logMu.Lock()
			p.log.WriteString(line + "\n")
			p.logMu.Unlock()
			// The Ice endpoint runs before the servers boot, so
			// server 1 listening means both are ready.
			if !signalled && strings.Contains(line, "1 => Server listening on") {
				signalled = true
				close(ready)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	timer := time.NewTimer(startLimit)
	defer timer.Stop()
	select {
	case <-ready:
	case <-p.exited:
		t.Fatalf("murmurd exited before its server listened:\n%s", p.output())
	case <-timer.C:
		m.stop()
		t.Fatalf("murmurd did not start within %s:\n%s", startLimit, p.output())
	}
}

// Log returns what the running (or last) murmurd process printed.
func (m *Murmurd) Log() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.proc == nil {
		return ""
	}
	return m.proc.output()
}

// Stop stops murmurd (SIGTERM) and waits for it to exit. Calling it again,
// or on a stopped server, does nothing.
func (m *Murmurd) Stop(t testing.TB) {
	t.Helper()
	m.stop()
}

func (m *Murmurd) stop() {
	m.mu.Lock()
	p := m.proc
	m.proc = nil
	m.mu.Unlock()
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
}

// Restart stops murmurd and starts it again on the same ports, ini and
// database, returning once server 1 listens again. Ice connections to the
// old process end; clients must reconnect.
func (m *Murmurd) Restart(t testing.TB) {
	t.Helper()
	m.stop()
	m.start(t)
}
