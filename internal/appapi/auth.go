package appapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/keepstar/keepstar/internal/store"
)

// ErrUnauthenticated is wrapped when a request does not name an app with its
// secret.
var ErrUnauthenticated = errors.New("apps: no app with that secret")

// Authenticator finds the app of a request. Every request reads the app's
// version and secret hash, one indexed row, and checks the secret against
// the hash: an HMAC, a microsecond, wrong secrets included, with nothing
// shared to wait for. So a new secret or any change of the app counts at
// once, in every process. The app itself, with its roles and relations, is
// remembered by version, since reading it takes a query per relation.
type Authenticator struct {
	db     *store.DB
	store  *Store
	logger *slog.Logger

	mu    sync.Mutex
	known map[int64]checked
	// hashing bounds the argon2id checks of legacy hashes running at once,
	// so that a flood of wrong secrets for such an app costs a few cores'
	// worth of time, not the server. HMACs never wait for it.
	hashing chan struct{}
}

// checked is an app as remembered at a version, with that version's secret
// hash, against which Remembered checks a secret without the database.
type checked struct {
	version int64
	hash    string
	app     *App
}

// NewAuthenticator makes an Authenticator over the apps of st.
func NewAuthenticator(db *store.DB, st *Store, logger *slog.Logger) *Authenticator {
	return &Authenticator{db: db, store: st, logger: logger, known: map[int64]checked{}, hashing: make(chan struct{}, 2)}
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
	if err := a.check(ctx, id, secret, hash); err != nil {
		return nil, err
	}
	a.mu.Lock()
	c, ok := a.known[id]
	if ok && c.version == version && c.hash != hash {
		// The same version with another hash: its argon2id hash was
		// upgraded to an HMAC (upgradeSecret keeps the version).
		c.hash = hash
		a.known[id] = c
	}
	a.mu.Unlock()
	if ok && c.version == version {
		return c.app, nil
	}

	// Not known: the whole app. Changed since the row above was read, it
	// may have another secret: the secret must match that version's hash.
	app, err := a.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
	}
	if err != nil {
		return nil, err
	}
	if app.Version != version {
		if err := a.check(ctx, id, secret, app.secretHash); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	a.known[id] = checked{version: app.Version, hash: app.secretHash, app: &app}
	a.mu.Unlock()
	return &app, nil
}

// check tells whether secret is app id's under its stored hash: nil when
// it is, ErrUnauthenticated when not. A legacy argon2id hash waits for one
// of the argon2id slots, and once the secret proves right it is replaced
// by the secret's HMAC, so that it is checked slowly only once.
func (a *Authenticator) check(ctx context.Context, id int64, secret, hash string) error {
	if hash == "" {
		return fmt.Errorf("%w: app %d has no secret", ErrUnauthenticated, id)
	}
	if isHMAC(hash) {
		if a.store.mac == nil {
			return a.store.macErr
		}
		match, err := verifyHMAC(a.store.mac, id, secret, hash)
		if err != nil {
			return fmt.Errorf("apps: app %d: %w", id, err)
		}
		if !match {
			return fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
		}
		return nil
	}
	select {
	case a.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	match, err := verifyArgon2(secret, hash)
	<-a.hashing
	if err != nil {
		return fmt.Errorf("apps: app %d: %w", id, err)
	}
	if !match {
		return fmt.Errorf("%w: app %d", ErrUnauthenticated, id)
	}
	if err := a.store.upgradeSecret(ctx, id, secret, hash); err != nil {
		// The secret is right all the same; the next request tries again.
		a.logger.WarnContext(ctx, "app secret not upgraded to HMAC", "app_id", id, "error", err)
	}
	return nil
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
	a.mu.Lock()
	c, ok := a.known[id]
	a.mu.Unlock()
	// Only an HMAC is checked here: a legacy argon2id hash goes the way of
	// Authenticate, which upgrades it.
	if !ok || !isHMAC(c.hash) || a.store.mac == nil {
		return nil, false
	}
	if match, err := verifyHMAC(a.store.mac, id, secret, c.hash); err != nil || !match {
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
