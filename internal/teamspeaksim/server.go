package teamspeaksim

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// The anti-flood and idle rules of a TeamSpeak 3 server's defaults
// (serverinstance_serverquery_flood_commands/_time/_ban_time).
const (
	DefaultFloodCommands = 10
	DefaultFloodWindow   = 3 * time.Second
	DefaultFloodBan      = 10 * time.Minute
	DefaultIdleTimeout   = 5 * time.Minute
)

// Options configure a simulated server.
type Options struct {
	// QueryUser and QueryPassword are the ServerQuery login (the SSH user
	// and password too).
	QueryUser, QueryPassword string
	// ServerID and VoicePort name the one virtual server (1 and 9987).
	ServerID, VoicePort int
	// IdleTimeout drops a connection silent that long (5 minutes).
	IdleTimeout time.Duration
	// FloodCommands per FloodWindow are what a caller not on the
	// allowlist may send (10 per 3 s); FloodBan is how long the address is
	// banned after flooding on (10 minutes).
	FloodCommands int
	FloodWindow   time.Duration
	FloodBan      time.Duration
	// Allowlist are the addresses (IPs) the anti-flood leaves alone, the
	// server's query_ip_allowlist.txt.
	Allowlist []string
	// HostKey is the SSH host key; nil makes one.
	HostKey ssh.Signer
	// Now is the clock for the idle and flood rules and the records'
	// times; nil means time.Now. With a clock of its own the idle rule is
	// checked when a line arrives (the connection is then closed unread),
	// not by a timer.
	Now func() time.Time
}

// Server is a simulated TeamSpeak 3 server with one virtual server.
type Server struct {
	opts    Options
	now     func() time.Time
	hostKey ssh.Signer

	mu           sync.Mutex
	groups       map[int]*Group
	defaultGroup int
	clients      map[int]*Client
	online       map[int]*online
	keys         map[string]*Key
	nextGroup    int
	nextDBID     int
	nextCLID     int
	denied       map[string]bool
	floods       map[string]*floodState // by remote IP
	allow        map[string]bool
	conns        map[*session]bool
	dropAfter    int // the command after that many more drops its connection (0: none)
	stats        Stats
}

// floodState is one address's anti-flood record.
type floodState struct {
	recent   []time.Time // the commands counted, within the window
	flooding bool        // told 524 and still over the rule
	banned   time.Time   // until
}

// New builds a simulated server with the groups a fresh one has: the
// query groups Guest Server Query (1) and Admin Server Query (2), the
// template groups, Server Admin (6) and the default group Guest (8).
func New(o Options) *Server {
	if o.ServerID == 0 {
		o.ServerID = 1
	}
	if o.VoicePort == 0 {
		o.VoicePort = 9987
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.FloodCommands == 0 {
		o.FloodCommands = DefaultFloodCommands
	}
	if o.FloodWindow == 0 {
		o.FloodWindow = DefaultFloodWindow
	}
	if o.FloodBan == 0 {
		o.FloodBan = DefaultFloodBan
	}
	s := &Server{opts: o, now: o.Now, groups: map[int]*Group{}, clients: map[int]*Client{}, online: map[int]*online{},
		keys: map[string]*Key{}, denied: map[string]bool{}, floods: map[string]*floodState{}, allow: map[string]bool{},
		conns: map[*session]bool{}, stats: Stats{Commands: map[string]int{}, Adds: map[string]int{}, Removes: map[string]int{}}}
	if s.now == nil {
		s.now = time.Now
	}
	for _, ip := range o.Allowlist {
		s.allow[ip] = true
	}
	for _, g := range []Group{{1, "Guest Server Query", GroupQuery}, {2, "Admin Server Query", GroupQuery},
		{3, "Server Admin", GroupTemplate}, {4, "Normal", GroupTemplate}, {5, "Guest", GroupTemplate},
		{SGIDServerAdmin, "Server Admin", GroupRegular}, {7, "Normal", GroupRegular}, {SGIDGuest, "Guest", GroupRegular}} {
		s.groups[g.ID] = &Group{ID: g.ID, Name: g.Name, Type: g.Type}
	}
	s.nextGroup, s.defaultGroup = SGIDGuest, SGIDGuest
	s.hostKey = o.HostKey
	if s.hostKey == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err == nil {
			s.hostKey, err = ssh.NewSignerFromKey(priv)
		}
		if err != nil {
			panic(fmt.Sprintf("teamspeaksim: host key: %v", err)) // crypto/rand never fails
		}
	}
	return s
}

// HostKey is the SSH host key's public half, for the client to pin.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKey.PublicKey() }

// Serve answers raw ServerQuery connections on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.accept(ctx, ln, func(c net.Conn) {
		defer c.Close()
		s.run(&session{conn: c, r: c, w: c, ip: remoteIP(c.RemoteAddr())})
	})
}

// ServeSSH answers ServerQuery over SSH on ln until ctx ends: the password
// login is the query login; a "session" channel with a "shell" request
// speaks the line protocol, logged in already.
func (s *Server) ServeSSH(ctx context.Context, ln net.Listener) error {
	cfg := &ssh.ServerConfig{PasswordCallback: func(m ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
		if m.User() == s.opts.QueryUser && string(pw) == s.opts.QueryPassword {
			return nil, nil
		}
		return nil, errors.New("invalid loginname or password")
	}}
	cfg.AddHostKey(s.hostKey)
	return s.accept(ctx, ln, func(c net.Conn) {
		defer c.Close()
		sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		defer sc.Close()
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			if nc.ChannelType() != "session" {
				_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
				continue
			}
			ch, creqs, err := nc.Accept()
			if err != nil {
				return
			}
			shell := make(chan bool, 1)
			go func() {
				for r := range creqs {
					ok := r.Type == "shell" || r.Type == "pty-req" || r.Type == "env"
					if r.Type == "shell" {
						shell <- true
					}
					if r.WantReply {
						_ = r.Reply(ok, nil)
					}
				}
			}()
			go func() {
				defer ch.Close()
				select {
				case <-shell:
				case <-ctx.Done():
					return
				}
				s.run(&session{conn: c, r: ch, w: ch, ip: remoteIP(c.RemoteAddr()), loggedIn: true})
				_ = sc.Close()
			}()
		}
	})
}

func (s *Server) accept(ctx context.Context, ln net.Listener, handle func(net.Conn)) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.DropAll()
				return nil
			}
			return fmt.Errorf("teamspeaksim: accept: %w", err)
		}
		wg.Go(func() { handle(c) })
	}
}

func remoteIP(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// session is one query connection.
type session struct {
	conn     net.Conn // closed to drop it
	r        io.Reader
	w        io.Writer
	ip       string
	loggedIn bool
	login    string
	server   bool // a virtual server selected (use)
	nickname string
	last     time.Time
	clid     int
}

// DropAll closes every query connection, as a server restart or a network
// cut does.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.conn.Close()
	}
}

// DropAfter makes the n-th command from now be carried out and its
// connection then closed before the answer is sent: the worst moment for
// the client, which cannot know whether it was.
func (s *Server) DropAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAfter = n
}

// errClose ends a session after its answer.
var errClose = errors.New("close")

func (s *Server) run(c *session) {
	s.mu.Lock()
	s.stats.Connections++
	s.conns[c] = true
	c.last = s.now()
	c.clid = 1000 + s.stats.Connections
	c.nickname = "serveradmin from " + c.ip
	banned := s.floods[c.ip] != nil && s.now().Before(s.floods[c.ip].banned)
	var left time.Duration
	if banned {
		left = s.floods[c.ip].banned.Sub(s.now())
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	w := bufio.NewWriter(c.w)
	_, _ = w.WriteString("TS3\n\rWelcome to the TeamSpeak 3 ServerQuery interface, type \"help\" for a list of commands and \"help <command>\" for information on a specific command.\n\r")
	if banned {
		_, _ = fmt.Fprintf(w, "error id=3329 msg=%s extra_msg=%s\n\r", escape("connection failed, you are banned"),
			escape(fmt.Sprintf("you may retry in %d seconds", int(left.Seconds()))))
		_ = w.Flush()
		return
	}
	if w.Flush() != nil {
		return
	}
	lines := bufio.NewScanner(c.r)
	lines.Buffer(make([]byte, 4096), 64*1024)
	for {
		if s.opts.Now == nil {
			_ = c.conn.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		}
		if !lines.Scan() {
			if errors.Is(lines.Err(), os.ErrDeadlineExceeded) {
				s.count(func(st *Stats) { st.IdleDrops++ })
			}
			return
		}
		out, err := s.line(c, lines.Text())
		if errors.Is(err, errDrop) {
			return
		}
		if out != "" {
			if _, werr := w.WriteString(out); werr != nil {
				return
			}
			if w.Flush() != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// errDrop closes a session without an answer.
var errDrop = errors.New("drop")

// line handles one request line and gives what to write back.
func (s *Server) line(c *session, line string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(c.last) > s.opts.IdleTimeout {
		// The server dropped the connection while it was idle: the line
		// arrives at a closed socket.
		s.stats.IdleDrops++
		_ = c.conn.Close()
		return "", errDrop
	}
	c.last = now
	if len(trimLine(line)) == 0 {
		// A blank line keeps the connection (GOTS3's keepalive) and gets
		// no answer.
		return "", nil
	}
	cmd, perr := parseCommand(line)
	name := cmd.name
	if perr != nil {
		name = "?"
	}
	s.stats.Commands[name]++
	if e := s.flood(c, now); e != nil {
		if e.close {
			return status(e.id, e.msg, e.extra), errClose
		}
		return status(e.id, e.msg, e.extra), nil
	}
	if perr != nil {
		if errors.Is(perr, errBadEscape) {
			return status(1538, "invalid parameter", ""), nil
		}
		return status(256, "command not found", ""), nil
	}
	r, e := s.exec(c, cmd)
	if s.dropAfter > 0 {
		s.dropAfter--
		if s.dropAfter == 0 {
			_ = c.conn.Close()
			return "", errDrop
		}
	}
	if e != nil {
		out := status(e.id, e.msg, e.extra)
		if e.close {
			return out, errClose
		}
		return out, nil
	}
	return r.format() + status(0, "ok", ""), nil
}

func trimLine(l string) string {
	for len(l) > 0 && (l[0] == ' ' || l[0] == '\r' || l[0] == '\t') {
		l = l[1:]
	}
	for len(l) > 0 && (l[len(l)-1] == ' ' || l[len(l)-1] == '\r' || l[len(l)-1] == '\t') {
		l = l[:len(l)-1]
	}
	return l
}

// flood applies the anti-flood rule to a command about to run: beyond the
// rule the caller is told 524 once; another command while still beyond
// it bans the address (3331) and closes the connection.
func (s *Server) flood(c *session, now time.Time) *queryError {
	if s.allow[c.ip] {
		return nil
	}
	f := s.floods[c.ip]
	if f == nil {
		f = &floodState{}
		s.floods[c.ip] = f
	}
	if now.Before(f.banned) {
		// Only WebQuery's requests get here while banned: a banned
		// address's query connections are refused on connect.
		return &queryError{id: 3329, msg: "connection failed, you are banned", close: true,
			extra: "extra_msg=" + escape(fmt.Sprintf("you may retry in %d seconds", int(f.banned.Sub(now).Seconds())))}
	}
	cut := 0
	for cut < len(f.recent) && !f.recent[cut].After(now.Add(-s.opts.FloodWindow)) {
		cut++
	}
	f.recent = f.recent[cut:]
	if len(f.recent) < s.opts.FloodCommands {
		f.recent = append(f.recent, now)
		f.flooding = false
		return nil
	}
	if !f.flooding {
		f.flooding = true
		s.stats.Floods++
		return qerr(524, "client is flooding")
	}
	f.banned = now.Add(s.opts.FloodBan)
	f.recent, f.flooding = nil, false
	s.stats.Bans++
	return &queryError{id: 3331, msg: "flood ban", close: true,
		extra: "extra_msg=" + escape(fmt.Sprintf("you may retry in %d seconds", int(s.opts.FloodBan.Seconds())))}
}

// status is a reply's status line.
func status(id int, msg, extra string) string {
	s := fmt.Sprintf("error id=%d msg=%s", id, escape(msg))
	if extra != "" {
		s += " " + extra
	}
	return s + "\n\r"
}
