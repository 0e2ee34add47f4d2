// Package ejabberdtest runs the real ejabberd for tests: a node of its own
// on loopback ports, with a configuration generated in a temporary
// directory (mod_http_api and mod_admin_extra for Keepstar, the API open to
// loopback, shared rosters, plain c2s for test clients), when
// KEEPSTAR_TEST_EJABBERD names ejabberdctl. Without it the tests skip.
//
// Three things of Debian's ejabberdctl matter here (see the reference's
// lab record): it reads /etc/ejabberd/ejabberd.yml unless the private
// ejabberdctl.cfg names the private configuration (whose absence would
// start a second MQTT listener on a port the machine already uses); run
// as root it switches to the ejabberd user, who must be able to read and
// write the directory (here the node runs as that user from the start,
// so that it stays in the test's process group); and every node needs a name of its own. The node
// is started "foreground" as a child process in a process group of its
// own, with Erlang distribution on a port of its own (ERL_DIST_PORT: no
// epmd daemon is left behind), and the whole group is ended at cleanup.
package ejabberdtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvVar names ejabberdctl.
const EnvVar = "KEEPSTAR_TEST_EJABBERD"

// Domain is the XMPP domain the test server serves.
const Domain = "keepstar.test"

// Options change the generated configuration.
type Options struct {
	// Modules are extra lines under "modules:" (indented by the caller).
	Modules []string
	// NoAdminExtra leaves mod_admin_extra out, as a misconfigured server.
	NoAdminExtra bool
	// Hosts are more XMPP domains served beside Domain.
	Hosts []string
}

// Server is a running ejabberd node.
type Server struct {
	// APIURL is mod_http_api's base, http://127.0.0.1:port/api.
	APIURL string
	// C2SAddr is the client listener, 127.0.0.1:port (no TLS).
	C2SAddr string
	Domain  string

	ctl, dir, node string
	opts           Options
	ports          [3]int // c2s, http, Erlang distribution
	cred           *syscall.Credential

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// Start starts ejabberd, or skips the test when KEEPSTAR_TEST_EJABBERD is
// not set. It is stopped at the test's cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctl := os.Getenv(EnvVar)
	if ctl == "" {
		t.Skip("ejabberd tests skipped: set " + EnvVar + " to ejabberdctl (Debian's: /usr/sbin/ejabberdctl) to run them")
	}
	dir, err := os.MkdirTemp("", "keepstar-ejabberd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{ctl: ctl, dir: dir, opts: o, Domain: Domain, node: "ks" + randomHex(6) + "@localhost"}
	for i := range s.ports {
		s.ports[i] = freePort(t)
	}
	s.APIURL = fmt.Sprintf("http://127.0.0.1:%d/api", s.ports[1])
	s.C2SAddr = fmt.Sprintf("127.0.0.1:%d", s.ports[0])
	if err := s.writeConfig(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(t) })
	s.Start(t)
	return s
}

// Start starts the node again after Stop, on the same ports and data. A
// node that exits while starting is tried twice more (seen once under
// load, with two nodes starting side by side); its output is logged.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		t.Logf("ejabberdtest: attempt %d: %v", attempt+1, err)
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("ejabberdtest: %v", err)
}

func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("already running")
	}
	cmd := exec.Command(s.ctl, "--config-dir", s.dir, "--spool", filepath.Join(s.dir, "spool"),
		"--logs", filepath.Join(s.dir, "logs"), "--node", s.node, "foreground")
	cmd.Dir = s.dir
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &s.mu, w: out}, &lockedWriter{mu: &s.mu, w: out}
	// A group of its own: beam and erl_child_setup end together. Run as
	// root, the node runs as the ejabberd user from the start: through
	// ejabberdctl's su it would get a session of its own, out of the
	// group's reach. HOME is the directory, for Erlang's cookie.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
	cmd.Env = append(os.Environ(), "HOME="+s.dir)
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("start %s: %w", s.ctl, err)
	}
	done := make(chan struct{})
	s.cmd, s.out, s.done = cmd, out, done
	s.mu.Unlock()
	go func() { _ = cmd.Wait(); close(done) }()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("ejabberd exited while starting:\n%s", s.Log())
		default:
		}
		if s.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("ejabberd not ready after 60 s:\n%s", s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ready: the API answers and the client port accepts.
func (s *Server) ready() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.APIURL+"/registered_users",
		strings.NewReader(`{"host":"`+s.Domain+`"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", s.C2SAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Stop ends the node (SIGTERM to its process group, SIGKILL after ten
// seconds) and checks that none of its processes is left.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Error(err)
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	// A child may outlive the leader by a moment: wait until the group is
	// empty.
	for i := 0; i < 100; i++ {
		if syscall.Kill(-pgid, 0) != nil {
			break
		}
		if i == 50 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(-pgid, 0) == nil {
		return fmt.Errorf("ejabberdtest: processes of node %s are still running", s.node)
	}
	if left := s.leftovers(); left != "" {
		return fmt.Errorf("ejabberdtest: a beam process of node %s is left behind: %s", s.node, left)
	}
	return nil
}

// Restart stops the node and starts it again.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Start(t)
}

// leftovers looks through /proc for a process naming the node.
func (s *Server) leftovers() string {
	name := strings.TrimSuffix(s.node, "@localhost")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(name)) {
			return e.Name() + ": " + strings.ReplaceAll(string(b), "\x00", " ")
		}
	}
	return ""
}

// Log is what the node printed (its log goes to the console too).
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

func (s *Server) writeConfig() error {
	modules := []string{"  mod_http_api: {}", "  mod_roster: {}", "  mod_shared_roster: {}", "  mod_offline: {}",
		"  mod_disco: {}", "  mod_ping: {}"}
	if !s.opts.NoAdminExtra {
		modules = append(modules, "  mod_admin_extra: {}")
	}
	modules = append(modules, s.opts.Modules...)
	yml := fmt.Sprintf(`# Generated by Keepstar's ejabberdtest.
hosts:
%s
loglevel: warning
certfiles: []
listen:
  - port: %d
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: none
  - port: %d
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
acl:
  loopback:
    ip:
      - 127.0.0.0/8
api_permissions:
  "keepstar on loopback":
    who:
      ip: 127.0.0.1/8
    what:
      # What docs/services-xmpp.md gives Keepstar (unban_account is not a
      # command of 23.01: the connector must cope with its refusal) ...
      - register
      - check_account
      - change_password
      - ban_account
      - unban_account
      - srg_create
      - srg_list
      - srg_user_add
      - srg_user_del
      - send_message
      - stats_host
      # ... and what the tests look at.
      - registered_users
      - check_password
      - srg_get_members
      - unregister
shaper_rules:
  max_user_sessions: 10
  c2s_shaper: none
modules:
%s
`, "  - "+strings.Join(append([]string{s.Domain}, s.opts.Hosts...), "\n  - "), s.ports[0], s.ports[1], strings.Join(modules, "\n"))
	// ejabberdctl.cfg is a shell fragment ejabberdctl sources.
	cfg := fmt.Sprintf("EJABBERD_CONFIG_PATH=%s\nERL_DIST_PORT=%d\nINET_DIST_INTERFACE=127.0.0.1\nEJABBERD_BYPASS_WARNINGS=true\n",
		filepath.Join(s.dir, "ejabberd.yml"), s.ports[2])
	files := map[string]string{"ejabberd.yml": yml, "ejabberdctl.cfg": cfg, "inetrc": ""}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"spool", "logs"} {
		if err := os.Mkdir(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	return s.own()
}

// own gives the directory to the ejabberd user when running as root:
// ejabberdctl switches to it.
func (s *Server) own() error {
	if os.Geteuid() != 0 {
		if u, err := user.Current(); err != nil || u.Username != "ejabberd" {
			return errors.New("ejabberdtest: ejabberdctl runs only as root or as the ejabberd user: run the tests as one of them")
		}
		return nil
	}
	u, err := user.Lookup("ejabberd")
	if err != nil {
		return fmt.Errorf("ejabberdtest: run as root, ejabberdctl switches to the ejabberd user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return err
	}
	s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return filepath.Walk(s.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
}

// freePort picks a free loopback port below the kernel's ephemeral range
// (32768 up on Linux). A port the kernel hands out for ":0" is one it may
// soon give to any outgoing connection as its local port, and ejabberd
// binds its listeners a second after the pick: CI once saw eaddrinuse.
func freePort(t testing.TB) int {
	t.Helper()
	for range 200 {
		port := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // in use: try another
		}
		l.Close()
		return port
	}
	t.Fatal("ejabberdtest: no free port between 20000 and 32000")
	return 0
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
