// Package forumdbtest gives the forum connectors' tests a forum database
// on the real MariaDB (internal/mariadbtest): a fresh database with a
// fixture schema loaded in strict mode under a table prefix, the
// instance settings that reach it, and a TCP proxy a test can cut to make
// the database unreachable and restore.
package forumdbtest

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/keepstar/keepstar/internal/mariadbtest"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// Forum is a test's forum database.
type Forum struct {
	// DSN selects the database (go-sql-driver form); DB is open on it.
	DSN string
	DB  *sql.DB
	cfg *mysql.Config
}

// New makes a fresh database (skipping the test when MariaDB tests are
// off) and loads schema under each prefix.
func New(t testing.TB, schema string, prefixes ...string) *Forum {
	t.Helper()
	dsn := mariadbtest.Database(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"sql_mode": "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'"}
	cfg.MultiStatements = false
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &Forum{DSN: cfg.FormatDSN(), DB: db, cfg: cfg}
	for _, p := range prefixes {
		f.Load(t, schema, p)
	}
	return f
}

// Load runs a schema's statements (each ends with ";" at the end of a
// line; "--" lines are comments) with {prefix} replaced.
func (f *Forum) Load(t testing.TB, schema, prefix string) {
	t.Helper()
	var stmt strings.Builder
	for _, line := range strings.Split(schema, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			q := strings.ReplaceAll(stmt.String(), "{prefix}", prefix)
			if _, err := f.DB.ExecContext(context.Background(), q); err != nil {
				t.Fatalf("fixture: %v\n%s", err, q)
			}
			stmt.Reset()
		}
	}
}

// Settings are an instance's settings that reach the database at addr
// (the server's own address when empty) with prefix.
func (f *Forum) Settings(addr, prefix string) map[string]string {
	if addr == "" {
		addr = f.cfg.Addr
	}
	return map[string]string{forumdb.SettingAddress: addr, forumdb.SettingDatabase: f.cfg.DBName,
		forumdb.SettingUser: f.cfg.User, forumdb.SettingPassword: f.cfg.Passwd, forumdb.SettingPrefix: prefix}
}

// Addr is the database server's address.
func (f *Forum) Addr() string { return f.cfg.Addr }

// Proxy is a TCP proxy to the database server a test can cut (every
// connection closed, new ones refused) and restore.
type Proxy struct {
	Addr   string
	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

// NewProxy starts a proxy on loopback to target.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.Cut() })
	return p
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	_, _ = io.Copy(dst, src) // ends when either side closes
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every connection through the proxy and refuses new ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}
