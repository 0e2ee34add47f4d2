package sessions

import (
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
)

// CookieName is the name of Keepstar's session cookie.
const CookieName = "keepstar_session"

// NewManager gives the session manager over st: a session lasts lifetime
// from its creation (or its last RenewToken) whatever the activity, and its
// cookie is HttpOnly, SameSite=Lax, for the whole site, kept across browser
// restarts, and Secure when secure is true (Keepstar served over HTTPS).
//
// There is deliberately no IdleTimeout: with one, scs marks every loaded
// session modified and writes it back on every request to push the idle
// deadline on, which on SQLite queues every page view behind the single
// writer. Without it, a session is written only when its data changes.
//
// HashTokenInStore stays off because st already hashes every token.
func NewManager(st *Store, lifetime time.Duration, secure bool) *scs.SessionManager {
	m := scs.New()
	m.Store = st
	m.Lifetime = lifetime
	m.IdleTimeout = 0
	m.Cookie = scs.SessionCookie{
		Name:     CookieName,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Path:     "/",
		Persist:  true,
		Secure:   secure,
	}
	return m
}
