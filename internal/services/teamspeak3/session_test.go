package teamspeak3

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

func rawSession(t *testing.T, s *sim, o SessionOptions) *Session {
	t.Helper()
	o.Dial = RawDialer(s.raw)
	o.Login, o.Password = queryUser, queryPass
	sess := NewSession(o)
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

func TestSessionBasics(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	sess := rawSession(t, s, SessionOptions{Nickname: "Keepstar"})
	items, err := sess.Exec(ctx, Cmd("whoami"))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0]["virtualserver_id"] != "1" || items[0]["client_nickname"] != "Keepstar" {
		t.Fatalf("whoami: %v", items)
	}
	_, err = sess.Exec(ctx, Cmd("servergroupaddclient", "sgid", 999, "cldbid", 1))
	if !errors.Is(err, ErrInvalidGroup) {
		t.Fatalf("unknown group: %v", err)
	}
	_, err = sess.Exec(ctx, Cmd("nosuchcommand"))
	if !errors.Is(err, ErrCommandNotFound) {
		t.Fatalf("unknown command: %v", err)
	}
	if sess.Dials() != 1 {
		t.Fatalf("%d dials", sess.Dials())
	}
}

func TestSessionWrongLogin(t *testing.T) {
	s := startSim(t, teamspeaksim.Options{})
	sess := NewSession(SessionOptions{Dial: RawDialer(s.raw), Login: queryUser, Password: "wrong"})
	t.Cleanup(func() { _ = sess.Close() })
	_, err := sess.Exec(context.Background(), Cmd("whoami"))
	if !errors.Is(err, ErrInvalidLogin) {
		t.Fatalf("wrong password: %v", err)
	}
	// The next command does not dial again at once.
	_, err = sess.Exec(context.Background(), Cmd("whoami"))
	var b *BackoffError
	if !errors.As(err, &b) || !errors.Is(err, ErrInvalidLogin) || sess.Dials() != 1 {
		t.Fatalf("after a failed login: %v, %d dials", err, sess.Dials())
	}
}

func TestSessionSSH(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	keys := &HostKeys{}
	sess := NewSession(SessionOptions{Dial: SSHDialer(s.ssh, queryUser, queryPass, keys), Nickname: "Keepstar"})
	t.Cleanup(func() { _ = sess.Close() })
	items, err := sess.Exec(ctx, Cmd("whoami"))
	if err != nil {
		t.Fatal(err)
	}
	if items[0]["client_nickname"] != "Keepstar" || items[0]["virtualserver_status"] != "online" {
		t.Fatalf("whoami over SSH: %v", items)
	}
	if keys.Seen() == "" {
		t.Fatal("the host key was not recorded")
	}
	// A pinned fingerprint that does not match refuses the server.
	bad := NewSession(SessionOptions{Dial: SSHDialer(s.ssh, queryUser, queryPass,
		&HostKeys{Pinned: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})})
	t.Cleanup(func() { _ = bad.Close() })
	if _, err := bad.Exec(ctx, Cmd("whoami")); !errors.Is(err, ErrHostKey) {
		t.Fatalf("wrong host key: %v", err)
	}
	// A wrong password is refused by SSH itself.
	wrong := NewSession(SessionOptions{Dial: SSHDialer(s.ssh, queryUser, "nope", &HostKeys{Pinned: keys.Seen()})})
	t.Cleanup(func() { _ = wrong.Close() })
	if _, err := wrong.Exec(ctx, Cmd("whoami")); !errors.Is(err, ErrConnection) {
		t.Fatalf("wrong SSH password: %v", err)
	}
}

// The keepalive holds the connection across an idle period longer than
// the server's idle timeout; without it the server drops it and the
// session connects again.
func TestKeepalive(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := startSim(t, teamspeaksim.Options{Now: clk.Now})
	ticks := make(chan time.Time)
	kept := make(chan error)
	sess := rawSession(t, s, SessionOptions{Now: clk.Now, Ticks: ticks, Keepalive: func(err error) { kept <- err }})
	if _, err := sess.Exec(ctx, Cmd("whoami")); err != nil {
		t.Fatal(err)
	}
	for range 4 { // 12 minutes idle, the server drops after 5
		clk.Advance(KeepaliveIdle)
		ticks <- clk.Now()
		if err := <-kept; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sess.Exec(ctx, Cmd("whoami")); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if sess.Dials() != 1 || st.IdleDrops != 0 || st.Commands["version"] != 4 {
		t.Fatalf("with keepalive: %d dials, %d idle drops, %d versions", sess.Dials(), st.IdleDrops, st.Commands["version"])
	}
	// A tick soon after use sends nothing.
	ticks <- clk.Now()
	<-kept
	// Idle past the server's timeout without a tick: dropped, and the
	// next command connects again and succeeds.
	clk.Advance(teamspeaksim.DefaultIdleTimeout + time.Second)
	if _, err := sess.Exec(ctx, Cmd("whoami")); err != nil {
		t.Fatal(err)
	}
	st = s.Stats()
	if sess.Dials() != 2 || st.IdleDrops != 1 || st.Commands["version"] != 4 {
		t.Fatalf("without keepalive: %d dials, %d idle drops, %d versions", sess.Dials(), st.IdleDrops, st.Commands["version"])
	}
}

// The limiter keeps thousands of commands within the anti-flood rule, and
// takes no longer than the rule allows.
func TestLimiterNeverFloods(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := startSim(t, teamspeaksim.Options{Now: clk.Now})
	lim := NewLimiter(teamspeaksim.DefaultFloodCommands, teamspeaksim.DefaultFloodWindow, clk.Now, clk.Sleep)
	sess := rawSession(t, s, SessionOptions{Now: clk.Now, Limiter: lim})
	start := clk.Now()
	const n = 2000
	for range n {
		if _, err := sess.Exec(ctx, Cmd("version")); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Floods != 0 || st.Bans != 0 {
		t.Fatalf("%d floods, %d bans", st.Floods, st.Bans)
	}
	// login, use and n versions: (n+2)/10 full windows after the first 10.
	total := n + 2
	want := time.Duration((total-1)/teamspeaksim.DefaultFloodCommands) * teamspeaksim.DefaultFloodWindow
	if got := clk.Now().Sub(start); got != want {
		t.Fatalf("%d commands took %s, the rule allows %s", total, got, want)
	}
}

// Without the limiter the same burst is refused (524) and then banned
// (3331): the rule the limiter keeps is real.
func TestFloodWithoutLimiter(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := startSim(t, teamspeaksim.Options{Now: clk.Now})
	sess := rawSession(t, s, SessionOptions{Now: clk.Now})
	var err error
	for range 12 {
		if _, err = sess.Exec(ctx, Cmd("version")); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrFlooding) {
		t.Fatalf("the 11th command: %v", err)
	}
	if _, err = sess.Exec(ctx, Cmd("version")); !errors.Is(err, ErrFloodBan) {
		t.Fatalf("the 12th command: %v", err)
	}
	// Banned: connecting again is refused with 3329.
	clk.Advance(5 * time.Second)
	if _, err = sess.Exec(ctx, Cmd("version")); !errors.Is(err, ErrBanned) {
		t.Fatalf("while banned: %v", err)
	}
	if st := s.Stats(); st.Floods != 1 || st.Bans != 1 {
		t.Fatalf("%d floods, %d bans", st.Floods, st.Bans)
	}
}

// Event lines (notify…) between a command and its answer are skipped.
func TestNotifyLinesSkipped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		_, _ = io.WriteString(c, "TS3\n\rWelcome\n\r")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "version") {
				_, _ = io.WriteString(c, "notifycliententerview cfid=0 ctid=1 clid=5 client_nickname=Somebody\n\r"+
					"version=3.13.7 build=1 platform=Linux\n\rnotifyclientleftview clid=5\n\rerror id=0 msg=ok\n\r")
				continue
			}
			_, _ = io.WriteString(c, "error id=0 msg=ok\n\r")
		}
	}()
	sess := NewSession(SessionOptions{Dial: RawDialer(ln.Addr().String()), Login: "u", Password: "p"})
	t.Cleanup(func() { _ = sess.Close() })
	items, err := sess.Exec(context.Background(), Cmd("version"))
	if err != nil || len(items) != 1 || items[0]["version"] != "3.13.7" {
		t.Fatalf("%v %v", items, err)
	}
}
