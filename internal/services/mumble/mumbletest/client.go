package mumbletest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// clientVersion is the version the client announces: 1.3.4, the server's
// own, encoded as Mumble does (major<<16 | minor<<8 | patch).
const clientVersion = 1<<16 | 3<<8 | 4

// pingEvery is how often the client pings; murmurd drops a client silent
// for its timeout (30 s by default).
const pingEvery = 10 * time.Second

// ConnectOption changes how Connect logs in.
type ConnectOption func(*connectConfig)

type connectConfig struct {
	cert   *tls.Certificate
	tokens []string
}

// WithCertificate presents a client certificate, as Mumble clients do to
// identify a user across logins (the authenticator sees its hash).
func WithCertificate(c tls.Certificate) ConnectOption {
	return func(cc *connectConfig) { cc.cert = &c }
}

// WithTokens sends access tokens with the login.
func WithTokens(tokens ...string) ConnectOption {
	return func(cc *connectConfig) { cc.tokens = tokens }
}

// KickInfo says how the server ended the client's session: a UserRemove
// for it (a kick or ban: Removed), or the connection closing without one
// (Err says how).
type KickInfo struct {
	Removed *UserRemove
	Err     error
}

// Client is a real Mumble client's control connection, logged in. It pings
// to stay connected and keeps what the server says of the users.
type Client struct {
	conn    *tls.Conn
	session int
	welcome string

	writeMu sync.Mutex

	mu      sync.Mutex
	users   map[int]UserState
	removed []UserRemove
	denied  []PermissionDenied
	changed chan struct{} // closed and replaced on every message
	err     error

	kicked   chan KickInfo
	kickOnce sync.Once
	done     chan struct{}
	closing  chan struct{}
	closeOne sync.Once
}

// Connect logs in to the Mumble server at addr (host:port) as username with
// password (the user's, or the server password for an unregistered user),
// over TLS without checking the server's certificate (murmurd makes its
// own). It returns once the server has sent ServerSync; a refused login is
// a *RejectError.
func Connect(ctx context.Context, addr, username, password string, opts ...ConnectOption) (*Client, error) {
	var cc connectConfig
	for _, o := range opts {
		o(&cc)
	}
	cfg := &tls.Config{InsecureSkipVerify: true} // murmurd's self-signed certificate
	if cc.cert != nil {
		cfg.Certificates = []tls.Certificate{*cc.cert}
	}
	d := tls.Dialer{Config: cfg}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mumble: connecting to %s: %w", addr, err)
	}
	conn := nc.(*tls.Conn)
	c := &Client{
		conn: conn, users: map[int]UserState{}, changed: make(chan struct{}),
		kicked: make(chan KickInfo, 1), done: make(chan struct{}), closing: make(chan struct{}),
	}
	if err := c.login(ctx, username, password, cc.tokens); err != nil {
		conn.Close()
		return nil, err
	}
	go c.readLoop()
	go c.pingLoop()
	return c, nil
}

func (c *Client) login(ctx context.Context, username, password string, tokens []string) error {
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
		defer c.conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()

	var v pbWriter
	v.uint(1, clientVersion)
	v.string(2, "keepstar mumbletest")
	v.string(3, "Linux")
	v.string(4, "test")
	var a pbWriter
	a.string(1, username)
	a.string(2, password)
	for _, t := range tokens {
		a.string(3, t)
	}
	a.bool(5, true) // opus
	if err := c.write(MsgVersion, v.b); err != nil {
		return c.loginErr(ctx, err)
	}
	if err := c.write(MsgAuthenticate, a.b); err != nil {
		return c.loginErr(ctx, err)
	}
	for {
		t, body, err := readMessage(c.conn)
		if err != nil {
			return c.loginErr(ctx, err)
		}
		switch t {
		case MsgReject:
			r, err := decodeReject(body)
			if err != nil {
				return err
			}
			return r
		case MsgServerSync:
			s, err := decodeServerSync(body)
			if err != nil {
				return err
			}
			c.session, c.welcome = int(s.session), s.welcome
			return nil
		default:
			if err := c.handle(t, body); err != nil {
				return err
			}
		}
	}
}

func (c *Client) loginErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("mumble: login: %w", ctx.Err())
	}
	return fmt.Errorf("mumble: login: %w", err)
}

func (c *Client) write(t MessageType, body []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return writeMessage(c.conn, t, body)
}

// handle records a message received after login or before ServerSync.
func (c *Client) handle(t MessageType, body []byte) error {
	switch t {
	case MsgUserState:
		u, err := decodeUserState(body)
		if err != nil {
			return err
		}
		c.mu.Lock()
		s, ok := c.users[int(u.session)]
		if !ok {
			s.UserID = -1
		}
		u.apply(&s)
		c.users[int(u.session)] = s
		c.notifyLocked()
		c.mu.Unlock()
	case MsgPermissionDenied:
		p, err := decodePermissionDenied(body)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.denied = append(c.denied, p)
		c.notifyLocked()
		c.mu.Unlock()
	case MsgUserRemove:
		r, err := decodeUserRemove(body)
		if err != nil {
			return err
		}
		c.mu.Lock()
		delete(c.users, r.Session)
		c.removed = append(c.removed, r)
		c.notifyLocked()
		c.mu.Unlock()
		if r.Session == c.session && c.session != 0 {
			c.kick(KickInfo{Removed: &r})
		}
	}
	return nil
}

func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// kick reports the end of the session, the first time only (a UserRemove
// for the client is followed by the connection closing).
func (c *Client) kick(k KickInfo) {
	c.kickOnce.Do(func() { c.kicked <- k }) // buffered for one
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		t, body, err := readMessage(c.conn)
		if err == nil {
			err = c.handle(t, body)
		}
		if err != nil {
			select {
			case <-c.closing: // our Close
			default:
				c.kick(KickInfo{Err: err})
			}
			c.mu.Lock()
			c.err = err
			c.notifyLocked()
			c.mu.Unlock()
			c.conn.Close()
			return
		}
	}
}

func (c *Client) pingLoop() {
	tick := time.NewTicker(pingEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-tick.C:
			var p pbWriter
			p.uint(1, uint64(now.UnixMilli()))
			if c.write(MsgPing, p.b) != nil {
				return // the read loop sees the broken connection
			}
		}
	}
}

// Session returns the client's session id on the server.
func (c *Client) Session() int { return c.session }

// Welcome returns the server's welcome text.
func (c *Client) Welcome() string { return c.welcome }

// Kicked receives once when the server ends the session: a UserRemove for
// it, or the connection closed by the server. Close does not send.
func (c *Client) Kicked() <-chan KickInfo { return c.kicked }

// Done is closed when the connection has ended, for whatever reason.
func (c *Client) Done() <-chan struct{} { return c.done }

// User returns what the client knows of the session's user.
func (c *Client) User(session int) (UserState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[session]
	return u, ok
}

// Users returns the users the client knows of, by session.
func (c *Client) Users() map[int]UserState {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]UserState, len(c.users))
	for k, v := range c.users {
		out[k] = v
	}
	return out
}

// Removed returns the UserRemove messages received so far, in order.
func (c *Client) Removed() []UserRemove {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]UserRemove(nil), c.removed...)
}

// Denied returns the PermissionDenied messages received so far, in order.
func (c *Client) Denied() []PermissionDenied {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]PermissionDenied(nil), c.denied...)
}

// ErrConnectionEnded is returned by Wait when the connection ended before
// the condition held.
var ErrConnectionEnded = errors.New("mumble: connection ended")

// Wait returns once cond holds, checking it now and after each message
// from the server; ctx bounds the wait. cond runs without the client's
// lock, so it may call User, Users and Removed.
func (c *Client) Wait(ctx context.Context, cond func(*Client) bool) error {
	for {
		c.mu.Lock()
		changed, err := c.changed, c.err
		c.mu.Unlock()
		if cond(c) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrConnectionEnded, err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// MoveTo asks the server to move the client into channel (a UserState for
// its own session). The server answers with a UserState when it moved it,
// or a PermissionDenied when it may not enter (see Denied); Wait for
// either.
func (c *Client) MoveTo(channel int) error {
	var w pbWriter
	w.uint(1, uint64(c.session))
	w.uint(5, uint64(channel))
	return c.write(MsgUserState, w.b)
}

// SetComment sets the client's comment (a UserState for its own session),
// which murmurd keeps and reports in getUsers; it confirms a long one with
// a UserState carrying its hash (CommentHash), and refuses one longer than
// its textmessagelength (imagemessagelength with images) with a
// PermissionDenied of type TextTooLong (see Denied).
func (c *Client) SetComment(text string) error {
	var w pbWriter
	w.uint(1, uint64(c.session))
	w.string(14, text)
	return c.write(MsgUserState, w.b)
}

// Close ends the connection.
func (c *Client) Close() error {
	c.closeOne.Do(func() { close(c.closing) })
	err := c.conn.Close()
	<-c.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
