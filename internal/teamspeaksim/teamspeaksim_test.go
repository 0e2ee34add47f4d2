package teamspeaksim

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// wire is a raw query connection read byte for byte.
type wire struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func start(t *testing.T, o Options) (*Server, func() *wire) {
	t.Helper()
	o.QueryUser, o.QueryPassword = "serveradmin", "secret"
	s := New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Serve(ctx, ln) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s, func() *wire {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return &wire{t: t, c: c, r: bufio.NewReader(c)}
	}
}

// line reads one server line with its "\n\r" end, which it checks.
func (w *wire) line() string {
	w.t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := w.r.ReadString('\n')
	if err != nil {
		w.t.Fatalf("read: %v (got %q)", err, l)
	}
	cr, err := w.r.ReadByte()
	if err != nil || cr != '\r' {
		w.t.Fatalf("line %q not ended by \\n\\r", l)
	}
	return strings.TrimSuffix(l, "\n")
}

// send sends a command and reads lines up to its status line.
func (w *wire) send(cmd string) []string {
	w.t.Helper()
	if _, err := w.c.Write([]byte(cmd + "\n")); err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for {
		l := w.line()
		out = append(out, l)
		if strings.HasPrefix(l, "error ") {
			return out
		}
	}
}

func (w *wire) expect(cmd string, want ...string) {
	w.t.Helper()
	got := w.send(cmd)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		w.t.Fatalf("%s:\n got %q\nwant %q", cmd, got, want)
	}
}

const ok = "error id=0 msg=ok"

// The manual's examples, in the simulated server's own values.
func TestManualExamples(t *testing.T) {
	s, dial := start(t, Options{Allowlist: []string{"127.0.0.1"}})
	w := dial()
	if g := w.line(); g != "TS3" {
		t.Fatalf("greeting %q", g)
	}
	if b := w.line(); !strings.HasPrefix(b, "Welcome to the TeamSpeak 3 ServerQuery interface") {
		t.Fatalf("banner %q", b)
	}
	w.expect("servergrouplist", "error id=518 msg=not\\slogged\\sin")
	w.expect("login client_login_name=serveradmin client_login_password=wrong", "error id=520 msg=invalid\\sloginname\\sor\\spassword")
	w.expect("login client_login_name=serveradmin client_login_password=secret", ok)
	w.expect("servergrouplist", "error id=1024 msg=invalid\\sserverID")
	w.expect("use sid=2", "error id=1024 msg=invalid\\sserverID")
	w.expect("use port=9987", ok)
	w.expect("version", "version=3.13.7 build=1655727713 platform=Linux", ok)
	w.expect("servergroupadd name=Fleet\\sCommanders", "sgid=9", ok)
	w.expect("servergroupadd name=Fleet\\sCommanders", "error id=1282 msg=database\\sduplicate\\sentry")
	dbid, uid := s.AddClient("sven")
	w.expect("clientdbfind pattern=sven", "cldbid=1", ok)
	w.expect("clientdbfind pattern="+uid+" -uid", "cldbid=1", ok)
	w.expect("clientdbfind pattern=nobody", "error id=1281 msg=database\\sempty\\sresult\\sset")
	w.expect("servergroupsbyclientid cldbid=1", "name=Guest sgid=8 cldbid=1", ok)
	w.expect("servergroupaddclient sgid=9 cldbid=1", ok)
	w.expect("servergroupaddclient sgid=9 cldbid=1", "error id=2561 msg=duplicate\\sentry")
	w.expect("servergroupaddclient sgid=99 cldbid=1", "error id=2560 msg=invalid\\sgroup\\sID")
	w.expect("servergroupaddclient sgid=9 cldbid=99", "error id=512 msg=invalid\\sclientID")
	w.expect("servergroupsbyclientid cldbid=1", "name=Fleet\\sCommanders sgid=9 cldbid=1", ok)
	w.expect("servergroupdelclient sgid=8 cldbid=1", "error id=2564 msg=access\\sto\\sdefault\\sgroup\\sis\\sforbidden")
	w.expect("servergroupclientlist sgid=9 -names", "cldbid=1 client_nickname=sven client_unique_identifier="+escape(uid), ok)
	w.expect("servergroupdelclient sgid=9 cldbid=1", ok)
	w.expect("servergroupdelclient sgid=9 cldbid=1", "error id=2563 msg=empty\\sresult\\sset")
	w.expect("servergroupaddclient sgid=9", "error id=1539 msg=parameter\\snot\\sfound")
	w.expect("servergroupaddclient sgid=nine cldbid=1", "error id=1538 msg=invalid\\sparameter")
	// A key whose custom set names the forum account, found again by
	// customsearch once a client redeemed it.
	got := w.send("privilegekeyadd tokentype=0 tokenid1=9 tokenid2=0 tokendescription=for\\ssven tokencustomset=ident=forum_account\\svalue=ScP")
	if len(got) != 2 || !strings.HasPrefix(got[0], "token=") || got[1] != ok {
		t.Fatalf("privilegekeyadd: %q", got)
	}
	token := strings.TrimPrefix(got[0], "token=")
	w.expect("privilegekeyadd tokentype=0 tokenid1=8 tokenid2=0", "error id=2564 msg=access\\sto\\sdefault\\sgroup\\sis\\sforbidden")
	redeemed, _, err := s.Redeem(token, "Sven Two")
	if err != nil {
		t.Fatal(err)
	}
	w.expect("customsearch ident=forum_account pattern=%ScP%", "cldbid=2 ident=forum_account value=ScP", ok)
	w.expect("custominfo cldbid=2", "cldbid=2 ident=forum_account value=ScP", ok)
	w.expect("tokendelete token="+token, "error id=3840 msg=invalid\\sprivilegekey")
	w.expect("clientlist", "clid=1001 cid=1 client_database_id=1 client_nickname=serveradmin\\sfrom\\s127.0.0.1 client_type=1|"+
		"clid=1 cid=1 client_database_id=2 client_nickname=Sven\\sTwo client_type=0", ok)
	w.expect("clientkick clid=1 reasonid=5 reasonmsg=Go\\saway!", ok)
	w.expect("clientkick clid=1 reasonid=5", "error id=512 msg=invalid\\sclientID")
	w.expect("clientdbdelete cldbid=2", ok)
	w.expect("clientdbinfo cldbid=2", "error id=512 msg=invalid\\sclientID")
	_ = dbid
	_ = redeemed
	w.expect("nosuch", "error id=256 msg=command\\snot\\sfound")
	w.expect("quit", ok)
}

// The anti-flood rule: 10 commands in 3 s, the 11th refused with 524, the
// 12th bans the address (3331) and closes; while banned a connection is
// told 3329 and closed. Allowlisted addresses are not counted.
func TestFloodRule(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, dial := start(t, Options{Now: clock})
	w := dial()
	w.line()
	w.line()
	for range 10 {
		w.expect("version", "version=3.13.7 build=1655727713 platform=Linux", ok)
	}
	w.expect("version", "error id=524 msg=client\\sis\\sflooding")
	advance(3 * time.Second) // the window moves on: allowed again
	w.expect("version", "version=3.13.7 build=1655727713 platform=Linux", ok)
	for range 9 {
		w.send("version")
	}
	w.expect("version", "error id=524 msg=client\\sis\\sflooding")
	w.expect("version", "error id=3331 msg=flood\\sban extra_msg=you\\smay\\sretry\\sin\\s600\\sseconds")
	if _, err := w.r.ReadByte(); err == nil {
		t.Fatal("the connection stays open after the ban")
	}
	w = dial()
	w.line()
	w.line()
	if l := w.line(); !strings.HasPrefix(l, "error id=3329 ") {
		t.Fatalf("banned connection told %q", l)
	}
	advance(DefaultFloodBan)
	w = dial()
	w.line()
	w.line()
	w.expect("version", "version=3.13.7 build=1655727713 platform=Linux", ok)
	if st := s.Stats(); st.Floods != 2 || st.Bans != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A connection idle longer than the timeout is dropped; a command before
// it keeps it.
func TestIdleTimeout(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, dial := start(t, Options{Now: clock})
	w := dial()
	w.line()
	w.line()
	advance(4 * time.Minute)
	w.send("whoami")
	advance(4 * time.Minute)
	w.expect("version", "version=3.13.7 build=1655727713 platform=Linux", ok)
	advance(DefaultIdleTimeout + time.Second)
	if _, err := w.c.Write([]byte("version\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.r.ReadByte(); err == nil {
		t.Fatal("answered after the idle timeout")
	}
	if st := s.Stats(); st.IdleDrops != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b|c/d\\e", "\a\b\f\n\r\t\v", "Пилот 舰队", `\s`, "x=y"} {
		u, err := unescape(escape(s))
		if err != nil || u != s {
			t.Errorf("%q: %q, %v", s, u, err)
		}
	}
	for _, bad := range []string{`\`, `\x`, `a\`} {
		if _, err := unescape(bad); err == nil {
			t.Errorf("%q unescaped", bad)
		}
	}
}

func TestLike(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{{"%ScP%", "xScPy", true}, {"ScP", "ScP", true}, {"ScP", "scp", true}, {"S_P", "ScP", true}, {"S_P", "SP", false},
		{"%", "", true}, {"a%b", "ab", true}, {"a%b", "acb", true}, {"a%b", "acbc", false}} {
		if like(c.p, c.s) != c.ok {
			t.Errorf("like(%q, %q) != %v", c.p, c.s, c.ok)
		}
	}
}

// Any line handled by a logged-in session: never a panic, always one
// status line (or none for a blank one).
func FuzzLine(f *testing.F) {
	for _, seed := range []string{"version", "servergroupaddclient sgid=9 cldbid=1", "clientkick clid=1|clid=2 reasonid=5",
		"privilegekeyadd tokentype=0 tokenid1=9 tokenid2=0 tokencustomset=ident=a\\svalue=b\\pident", "use 1", "x -y=z", "a\\",
		"customsearch ident=a pattern=%_%", "clientdblist start=0 duration=1000 -count", " ", "=", "a =b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n") {
			return
		}
		s := New(Options{QueryUser: "u", QueryPassword: "p", Allowlist: []string{"fuzz"}})
		s.AddGroup("Member", GroupRegular)
		dbid, _ := s.AddClient("c")
		if _, err := s.Connect(dbid); err != nil {
			t.Fatal(err)
		}
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		c := &session{conn: a, ip: "fuzz", loggedIn: true, server: true, last: s.now()}
		out, err := s.line(c, line)
		if err != nil && err != errClose {
			t.Fatalf("%q: %v", line, err)
		}
		if strings.TrimSpace(line) != "" && strings.Count(out, "error id=") != 1 {
			t.Fatalf("%q answered %q", line, out)
		}
		parseCustomSet(line)
	})
}

// The page redeems a key as a client joining and lists it.
func TestPageRedeems(t *testing.T) {
	s := New(Options{})
	mem := s.AddGroup("Member", GroupRegular)
	s.mu.Lock()
	s.keys["abc"] = &Key{Token: "abc", ID1: mem, CustomSet: "ident=keepstar_id value=ks1", Created: s.now()}
	s.mu.Unlock()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	res, err := http.PostForm(srv.URL+"/redeem", url.Values{"token": {"abc"}, "nickname": {"Pilot One"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(b), "Pilot One") ||
		!strings.Contains(string(b), "keepstar_id=ks1") || !strings.Contains(string(b), "Joined") {
		t.Fatalf("%d %v\n%s", res.StatusCode, err, b)
	}
	res, err = http.PostForm(srv.URL+"/redeem", url.Values{"token": {"abc"}, "nickname": {"Pilot Two"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a used key: %d", res.StatusCode)
	}
	if c := s.Clients(); len(c) != 1 || !slices.Equal(s.ClientGroups(c[0].DBID), []string{"Member"}) || !s.Online(c[0].DBID) {
		t.Fatalf("clients %+v", c)
	}
}
