package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Cookie names: on an https site the cookie carries the __Host- prefix, so
// the browser takes it only from this very host, over TLS, for the whole
// site: no other subdomain can plant or overwrite a member's session.
const (
	CookieName       = "keepstar_session"
	SecureCookieName = "__Host-keepstar_session"
)

// TouchEvery is how often at most a session's last activity is written.
// Between two writes a session is idle for the idle timeout's sake, so it
// ends between IdleTimeout-TouchEvery and IdleTimeout after its last use;
// in exchange, a member browsing costs one write per five minutes, not one
// per page (which on SQLite would queue every page behind the writer).
const TouchEvery = 5 * time.Minute

// unavailable is the answer when the session store cannot be reached.
const unavailable = "Service unavailable: the session store cannot be reached. Please try again."

// ErrNoSession means the request was not served through Manager.Handler:
// its route has no session (the APIs, the operational endpoints).
var ErrNoSession = errors.New("sessions: the request has no session")

// Data is what a session holds, stored as JSON.
type Data struct {
	// CharacterID and OwnerHash name the login: the character the member
	// logged in with and the owner it had then. Zero for a visitor.
	CharacterID int32  `json:"c,omitempty"`
	OwnerHash   string `json:"o,omitempty"`
	// Flashes are messages to show on the next page.
	Flashes []string `json:"f,omitempty"`
}

// Options shape a Manager.
type Options struct {
	// Lifetime is the absolute lifetime of a session from its login.
	Lifetime time.Duration
	// IdleTimeout ends a session not used for this long.
	IdleTimeout time.Duration
	// Secure: the site is served over https. The cookie is then Secure and
	// named SecureCookieName.
	Secure bool
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager loads a request's session from its cookie, lets handlers read and
// change it, and writes it back before the answer's first byte. A request
// without the cookie costs nothing; one with it costs one read, and a write
// only when the session changed or its activity is due (TouchEvery).
type Manager struct {
	st      *Store
	o       Options
	address func(*http.Request) netip.Addr
}

// NewManager gives the manager of the sessions in st.
func NewManager(st *Store, o Options) *Manager {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{st: st, o: o}
}

// SetAddress tells how to read a client's address (behind trusted
// proxies); until set, the TCP peer's is recorded.
func (m *Manager) SetAddress(fn func(*http.Request) netip.Addr) { m.address = fn }

// CookieName is the session cookie's name on this site.
func (m *Manager) CookieName() string {
	if m.o.Secure {
		return SecureCookieName
	}
	return CookieName
}

func (m *Manager) now() time.Time { return m.o.Now() }

// idleCutoff is the last activity a live session may have at now.
func (m *Manager) idleCutoff(now time.Time) time.Time { return now.Add(-m.o.IdleTimeout) }

// session is one request's session.
type session struct {
	mu sync.Mutex
	// token is the cookie's token of a session found; "" when there is
	// none (yet, or any more after Destroy).
	token string
	row   Row
	data  Data
	// changed: data must be written; renew: under a new token; ended: the
	// row was deleted and the cookie must go; touch: activity is due.
	changed, renew, ended, touch bool
	committed                    bool
}

type ctxKey struct{}

func from(ctx context.Context) *session {
	s, _ := ctx.Value(ctxKey{}).(*session)
	return s
}

// Handler serves next with the request's session.
func (m *Manager) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s := &session{}
		if c, err := r.Cookie(m.CookieName()); err == nil && c.Value != "" {
			now := m.now()
			row, err := m.st.Find(ctx, c.Value, now, m.idleCutoff(now))
			switch {
			case errors.Is(err, ErrNotFound):
				// Ended or never made: the visitor has no session. The
				// stale cookie is left alone, as a request racing a login
				// would otherwise clear the new one.
			case err != nil:
				m.o.Logger.ErrorContext(ctx, "session store", "error", err)
				http.Error(w, unavailable, http.StatusServiceUnavailable)
				return
			default:
				if err := json.Unmarshal(row.Data, &s.data); err != nil {
					m.o.Logger.WarnContext(ctx, "unreadable session data: session ignored", "error", err)
					break
				}
				s.token, s.row = c.Value, row
				s.touch = now.Sub(row.LastSeen) >= TouchEvery
			}
		}
		sw := &writer{ResponseWriter: w, m: m, r: r, s: s}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(ctx, ctxKey{}, s)))
		sw.begin()
	})
}

// Get gives a copy of the request's session data; empty without one.
func (m *Manager) Get(ctx context.Context) Data {
	s := from(ctx)
	if s == nil {
		return Data{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.data
	d.Flashes = slices.Clone(d.Flashes)
	return d
}

// Update changes the request's session data with fn. A visitor without a
// session gets one. Changes after the answer began are lost, and logged.
func (m *Manager) Update(ctx context.Context, fn func(*Data)) {
	s := from(ctx)
	if s == nil {
		m.o.Logger.ErrorContext(ctx, "session changed on a route without sessions")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed {
		m.o.Logger.ErrorContext(ctx, "session changed after the answer began: change lost")
		return
	}
	fn(&s.data)
	s.changed = true
}

// LogIn makes the request's session a login of the character, under a new
// token: a token planted or seen before the login is worth nothing after it
// (session fixation). The session's other data (flashes) is kept.
func (m *Manager) LogIn(ctx context.Context, characterID int32, ownerHash string) error {
	if from(ctx) == nil {
		return ErrNoSession
	}
	m.Update(ctx, func(d *Data) { d.CharacterID, d.OwnerHash = characterID, ownerHash })
	s := from(ctx)
	s.mu.Lock()
	s.renew = true
	s.mu.Unlock()
	return nil
}

// Destroy ends the request's session at once: its row is deleted, so the
// cookie is worth nothing even if kept, and the browser is told to drop it.
func (m *Manager) Destroy(ctx context.Context) error {
	s := from(ctx)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.st.Delete(ctx, s.token); err != nil {
		return err
	}
	s.ended = s.ended || s.token != ""
	s.token, s.row, s.data = "", Row{}, Data{}
	s.changed, s.renew, s.touch = false, false, false
	return nil
}

// DeleteEnded removes the sessions that have ended (the cleanup job).
func (m *Manager) DeleteEnded(ctx context.Context) (int64, error) {
	now := m.now()
	return m.st.DeleteEnded(ctx, now, m.idleCutoff(now))
}

// newToken gives 256 random bits, as the cookie carries them.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func (m *Manager) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: m.CookieName(), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: m.o.Secure, SameSite: http.SameSiteLaxMode}
}

// commit writes what the request did to its session, and the cookie.
func (m *Manager) commit(r *http.Request, h http.Header, s *session) error {
	ctx := r.Context()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed = true
	now := m.now()
	switch {
	case s.changed && (s.renew || s.token == ""):
		address, agent := m.record(r)
		token := newToken()
		b, err := json.Marshal(s.data)
		if err != nil {
			return fmt.Errorf("sessions: encode: %w", err)
		}
		row := Row{Data: b, CharacterID: s.data.CharacterID, Created: now, LastSeen: now,
			Expiry: now.Add(m.o.Lifetime), Address: address, Agent: agent}
		if err := m.st.Renew(ctx, s.token, token, row); err != nil {
			return err
		}
		s.token, s.row = token, row
		addCookie(h, m.cookie(token, int(m.o.Lifetime.Seconds())))
	case s.changed:
		address, agent := m.record(r)
		b, err := json.Marshal(s.data)
		if err != nil {
			return fmt.Errorf("sessions: encode: %w", err)
		}
		err = m.st.Update(ctx, s.token, Row{Data: b, CharacterID: s.data.CharacterID, LastSeen: now, Address: address, Agent: agent})
		if errors.Is(err, ErrNotFound) {
			// Ended by another request meanwhile (logged out elsewhere,
			// or renewed at a login): it stays ended. The cookie is left
			// alone, as it may be the new login's by now.
			return nil
		}
		return err
	case s.ended:
		addCookie(h, m.cookie("", -1))
	case s.touch:
		address, agent := m.record(r)
		if err := m.st.Touch(ctx, s.token, now, address, agent); err != nil {
			// A missed touch only brings the idle end a little closer:
			// the answer goes on.
			m.o.Logger.WarnContext(ctx, "record session activity", "error", err)
		}
	}
	return nil
}

func addCookie(h http.Header, c *http.Cookie) {
	if v := c.String(); v != "" {
		h.Add("Set-Cookie", v)
	}
}

// writer commits the session before the answer's first byte, so the cookie
// goes out with the headers.
type writer struct {
	http.ResponseWriter
	m         *Manager
	r         *http.Request
	s         *session
	committed bool
	failed    bool
}

// begin commits once; false when that failed and a 503 went out instead
// of the handler's answer.
func (w *writer) begin() bool {
	if w.committed {
		return !w.failed
	}
	w.committed = true
	if err := w.m.commit(w.r, w.ResponseWriter.Header(), w.s); err != nil {
		w.failed = true
		w.m.o.Logger.ErrorContext(w.r.Context(), "session store", "error", err)
		w.ResponseWriter.Header().Del("Location")
		http.Error(w.ResponseWriter, unavailable, http.StatusServiceUnavailable)
		return false
	}
	return true
}

func (w *writer) WriteHeader(code int) {
	if w.begin() {
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *writer) Write(b []byte) (int, error) {
	if !w.begin() {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Flush commits first: flushed headers cannot take a cookie any more.
func (w *writer) Flush() {
	if w.begin() {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach deadlines.
func (w *writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// publicID names a session on the member's sessions page and in its forms:
// derived from the row key, so the page shows nothing that finds the row.
func publicID(tokenHash string) string {
	sum := sha256.Sum256([]byte("keepstar session id\x00" + tokenHash))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}
