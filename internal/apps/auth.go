package apps

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/keepstar/keepstar/internal/store"
)

// ErrUnauthenticated is wrapped when a request does not name an app with its
// secret.
var ErrUnauthenticated = errors.New("apps: no app with that secret")

// Authenticator finds the app of a request. Checking an argon2id hash costs
// tens of milliseconds, too much for every request of a busy app, so a
// secret once checked is remembered (as its SHA-256) with the app's version:
// every request still reads the version, one indexed row, so a new secret
// or any change of the app counts at once, in every process.
type Authenticator struct {
	db    *store.DB
	store *Store

	mu    sync.Mutex
	known map[int64]checked
	// hashing bounds the argon2id checks running at once, so that a flood
	// of wrong secrets costs a few cores' worth of time, not the server.
	hashing chan struct{}
}

type checked struct {
	version int64
	secret  [sha256.Size]byte
	app     *App
}

// NewAuthenticator makes an Authenticator over the apps of st.
func NewAuthenticator(db *store.DB, st *Store) *Authenticator {
	return &Authenticator{db: db, store: st, known: map[int64]checked{}, hashing: make(chan struct{}, 2)}
}

// Authenticate gives the app of an Authorization header, `Bearer
// base64("<app id>:<secret>")`. The app returned is shared: do not change
// it.
func (a *Authenticator) Authenticate(ctx context.Context, header string) (*App, error) {
	id, secret, err := parseBearer(header)
	if err != nil {
		return nil, err
	}
	var version int64
	var hash string
	err = a.db.QueryRow(ctx, `SELECT version, secret_hash FROM apps WHERE id = $1`, id).Scan(&version, &hash)
	if errors.Is(err, store.ErrNoRows) {
		return nil, fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: authenticate: %w", err)
	}
	if hash == "" {
		return nil, fmt.Errorf("%w: app %d has no secret", ErrUnauthenticated, id)
	}
	sum := sha256.Sum256([]byte(secret))
	a.mu.Lock()
	c, ok := a.known[id]
	a.mu.Unlock()
	if ok && c.version == version && subtle.ConstantTimeCompare(c.secret[:], sum[:]) == 1 {
		return c.app, nil
	}

	// Not known: the whole app, with the hash of that same version.
	app, err := a.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
	}
	if err != nil {
		return nil, err
	}
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	match, err := verifySecret(secret, app.secretHash)
	<-a.hashing
	if err != nil {
		return nil, fmt.Errorf("apps: app %d: %w", id, err)
	}
	if !match {
		return nil, fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
	}
	a.mu.Lock()
	a.known[id] = checked{version: app.Version, secret: sum, app: &app}
	a.mu.Unlock()
	return &app, nil
}

// parseBearer reads the app id and secret of an Authorization header.
func parseBearer(header string) (id int64, secret string, err error) {
	token, ok := bearerToken(header)
	if !ok {
		return 0, "", fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return 0, "", fmt.Errorf("%w: the token is not base64", ErrUnauthenticated)
	}
	idText, secret, ok := strings.Cut(strings.TrimSpace(string(decoded)), ":")
	if !ok {
		return 0, "", fmt.Errorf("%w: the token is not <app id>:<secret>", ErrUnauthenticated)
	}
	id, err = strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", fmt.Errorf("%w: the app id is not a number", ErrUnauthenticated)
	}
	return id, secret, nil
}

// Remembered gives the app of an Authorization header whose secret was
// checked before, as it was at the version then read, without reading the
// database: the caller must read the app's current version itself (in the
// statement of its operation, see versioned) and use the app only when
// that version is the one returned. ok is false when the header names no
// app with a secret remembered.
func (a *Authenticator) Remembered(header string) (app *App, ok bool) {
	id, secret, err := parseBearer(header)
	if err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(secret))
	a.mu.Lock()
	c, ok := a.known[id]
	a.mu.Unlock()
	if !ok || subtle.ConstantTimeCompare(c.secret[:], sum[:]) != 1 {
		return nil, false
	}
	return c.app, true
}

// bearerToken is Neucore's reading of the Authorization header, the
// regular expression `(?i)^Bearer\s+(.*)$` (Go's \s: tab, newline, form
// feed, carriage return, space; its . no newline) written out, for a
// tenth of its time on every request.
func bearerToken(header string) (string, bool) {
	const scheme = "Bearer"
	if len(header) <= len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return "", false
	}
	rest := header[len(scheme):]
	token := strings.TrimLeft(rest, "\t\n\f\r ")
	if len(token) == len(rest) || strings.Contains(token, "\n") {
		return "", false
	}
	return token, true
}
