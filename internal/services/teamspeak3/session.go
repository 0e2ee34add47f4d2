package teamspeak3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// The session's defaults.
const (
	// KeepaliveIdle: a session idle this long sends a keepalive, well
	// within the 5 minutes after which servers since 3.2.0 drop an idle
	// query connection.
	KeepaliveIdle = 3 * time.Minute
	// keepaliveTick is how often the keepalive loop looks.
	keepaliveTick = 30 * time.Second
	// exchangeTimeout bounds one command and its answer when ctx does not.
	exchangeTimeout = 30 * time.Second
	// The pause before dialling again after a failed connection: a second,
	// doubling, at most a minute.
	backoffFirst = time.Second
	backoffMost  = time.Minute
)

// SessionOptions configure a Session.
type SessionOptions struct {
	Dial Dialer
	// Login and Password are sent with "login" (the raw transport; SSH
	// logs in with the connection).
	Login, Password string
	// ServerID or VoicePort select the virtual server ("use sid=" or "use
	// port="; the port wins when both are set).
	ServerID, VoicePort int
	// Nickname is the query client's name the server's users see.
	Nickname string
	// Limiter keeps commands within the anti-flood rule; nil sends freely
	// (the host is on the server's allowlist).
	Limiter *Limiter
	// Now is the clock of the keepalive and the backoff (nil: time.Now).
	Now func() time.Time
	// Ticks drive the keepalive loop (nil: a ticker every 30 s).
	Ticks <-chan time.Time
	// Keepalive, when set, is told each keepalive's outcome (tests).
	Keepalive func(error)
	Logger    *slog.Logger
}

// Session is one long-lived, serialized ServerQuery session: one command
// and its answer at a time, connected on first use and again after the
// connection drops (with a backoff between failed attempts), logged in
// and on its virtual server each time, kept alive while idle.
type Session struct {
	o      SessionOptions
	logger *slog.Logger
	stop   context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	conn     Conn
	r        *bufio.Reader
	lastUsed time.Time
	failures int
	retryAt  time.Time
	lastErr  error // why the last attempt to connect failed
	closed   bool
	dials    int
}

// ErrClosed is a command on a closed Session.
var ErrClosed = errors.New("teamspeak3: session closed")

// ErrConnection is a connection lost or not made. A command it interrupts
// may or may not have been carried out.
var ErrConnection = errors.New("teamspeak3: connection to the server failed")

// BackoffError is a command refused without dialling because the last
// attempt to connect failed less than After ago; it wraps that attempt's
// error (errors.Is(err, ErrInvalidLogin) holds through it).
type BackoffError struct {
	After time.Duration
	Err   error
}

func (e *BackoffError) Error() string {
	return fmt.Sprintf("teamspeak3: not connected (retry in %s): %v", e.After.Round(time.Second), e.Err)
}
func (e *BackoffError) Unwrap() error { return e.Err }

// NewSession starts a session's keepalive loop; it connects on first use.
func NewSession(o SessionOptions) *Session {
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Session{o: o, logger: o.Logger, done: make(chan struct{})}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	ticks := o.Ticks
	var ticker *time.Ticker
	if ticks == nil {
		ticker = time.NewTicker(keepaliveTick)
		ticks = ticker.C
	}
	go func() {
		defer close(s.done)
		if ticker != nil {
			defer ticker.Stop()
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticks:
				err := s.keepalive(ctx)
				if err != nil {
					s.logger.WarnContext(ctx, "teamspeak3: keepalive failed", "err", err)
				}
				if o.Keepalive != nil {
					o.Keepalive(err)
				}
			}
		}
	}()
	return s
}

// keepalive sends "version" when the connection has been idle for
// KeepaliveIdle; nothing when it is closed (it is dialled on next use).
func (s *Session) keepalive(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil || s.o.Now().Sub(s.lastUsed) < KeepaliveIdle {
		return nil
	}
	_, err := s.roundTrip(ctx, Cmd("version"))
	var qe *Error
	if err != nil && !errors.As(err, &qe) {
		s.drop()
	}
	return err
}

// Close ends the session: "quit" when connected, and the keepalive loop.
func (s *Session) Close() error {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn == nil {
		return nil
	}
	_ = s.conn.SetDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.WriteString(s.conn, "quit\n") // best effort: the close follows
	return s.conn.Close()
}

// Dials is how many connections the session has made.
func (s *Session) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// retrySafe are the commands sent again, once, after the connection
// dropped before their answer: running them twice changes nothing (a
// second add is 2561, a second removal 2563, a read is a read). Making a
// key or a group is not: a second would be a second.
func retrySafe(name string) bool {
	switch name {
	case "privilegekeyadd", "tokenadd", "servergroupadd":
		return false
	}
	return true
}

// Exec sends a command and gives its answer's items (none for commands
// that answer only with a status). A status other than 0 is an *Error.
func (s *Session) Exec(ctx context.Context, c Command) ([]Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	for attempt := 0; ; attempt++ {
		if err := s.connect(ctx); err != nil {
			return nil, err
		}
		items, err := s.roundTrip(ctx, c)
		var qe *Error
		if err == nil || errors.As(err, &qe) {
			if qe != nil && (qe.ID == ErrFloodBan.ID || qe.ID == ErrBanned.ID) {
				s.drop() // the server closes the connection after it
			}
			return items, err
		}
		s.drop()
		if attempt > 0 || !retrySafe(c.Name) || ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrConnection, c.Name, err)
		}
		s.logger.InfoContext(ctx, "teamspeak3: connection lost; connecting again", "command", c.Name, "err", err)
	}
}

// drop forgets the connection.
func (s *Session) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn, s.r = nil, nil
	}
}

// connect dials, reads the greeting, logs in, selects the virtual server
// and names the query client, unless connected already or backing off.
func (s *Session) connect(ctx context.Context) error {
	if s.conn != nil {
		return nil
	}
	now := s.o.Now()
	if now.Before(s.retryAt) {
		return &BackoffError{After: s.retryAt.Sub(now), Err: s.lastErr}
	}
	err := s.dial(ctx)
	if err == nil {
		s.failures = 0
		return nil
	}
	s.drop()
	s.failures++
	wait := backoffMost
	if s.failures < 8 {
		wait = min(backoffFirst<<(s.failures-1), backoffMost)
	}
	s.retryAt = s.o.Now().Add(wait)
	var qe *Error
	if !errors.As(err, &qe) {
		err = fmt.Errorf("%w: %w", ErrConnection, err)
	}
	s.lastErr = err
	return err
}

func (s *Session) dial(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	c, err := s.o.Dial(dctx)
	if err != nil {
		return err
	}
	s.dials++
	s.conn, s.r = c, bufio.NewReader(c)
	s.lastUsed = s.o.Now()
	_ = c.SetDeadline(time.Now().Add(exchangeTimeout))
	first, err := s.readLine()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if first != "TS3" {
		return fmt.Errorf("%w: the server greeted with %q, not TS3: is this a ServerQuery port?", ErrBadReply, clip(first))
	}
	banner, err := s.readLine()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if st, ok := parseStatus(banner); ok && st != nil {
		return st // 3329: banned, said in place of the banner
	}
	if s.o.Login != "" {
		if _, err := s.roundTrip(ctx, Cmd("login", "client_login_name", s.o.Login, "client_login_password", s.o.Password)); err != nil {
			return fmt.Errorf("login: %w", err)
		}
	}
	use := Cmd("use", "sid", max(s.o.ServerID, 1))
	if s.o.VoicePort != 0 {
		use = Cmd("use", "port", s.o.VoicePort)
	}
	if _, err := s.roundTrip(ctx, use); err != nil {
		return fmt.Errorf("use: %w", err)
	}
	if s.o.Nickname != "" {
		// Without it, users see "serveradmin from 1.2.3.4:port" move
		// them between groups. A name taken is no reason to stop.
		if _, err := s.roundTrip(ctx, Cmd("clientupdate", "client_nickname", s.o.Nickname)); err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				return fmt.Errorf("clientupdate: %w", err)
			}
			s.logger.WarnContext(ctx, "teamspeak3: the query client's nickname was refused", "nickname", s.o.Nickname, "err", err)
		}
	}
	return nil
}

// roundTrip sends one command and reads its answer, within the limiter.
func (s *Session) roundTrip(ctx context.Context, c Command) ([]Item, error) {
	if s.o.Limiter != nil {
		if err := s.o.Limiter.Wait(ctx); err != nil {
			return nil, err
		}
		defer s.o.Limiter.Done()
	}
	dl := time.Now().Add(exchangeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	_ = s.conn.SetDeadline(dl)
	s.lastUsed = s.o.Now()
	line := c.String()
	if strings.ContainsAny(line, "\n\r") {
		return nil, fmt.Errorf("teamspeak3: %s: a line break in a command", c.Name) // Escape prevents it; a name could not
	}
	if _, err := io.WriteString(s.conn, line+"\n"); err != nil {
		return nil, err
	}
	var items []Item
	for {
		l, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if l == "" || strings.HasPrefix(l, "notify") {
			continue // events (servernotifyregister) are not ours
		}
		if st, ok := parseStatus(l); ok {
			s.lastUsed = s.o.Now()
			if st != nil {
				return items, st
			}
			return items, nil
		}
		its, err := ParseItems(l)
		if err != nil {
			return nil, err
		}
		items = append(items, its...)
	}
}

// maxLine bounds one line from the server (a client database page of 200
// records fits many times over).
const maxLine = 4 << 20

// readLine reads one server line: they end "\n\r", so the "\r" is found
// at the start of the next line as well as, on some servers, at the end.
func (s *Session) readLine() (string, error) {
	var b []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		b = append(b, chunk...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
		if len(b) > maxLine {
			return "", fmt.Errorf("%w: a line longer than %d bytes", ErrBadReply, maxLine)
		}
	}
	return strings.Trim(string(b), "\r\n"), nil
}
