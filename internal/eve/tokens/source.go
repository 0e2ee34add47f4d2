package tokens

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/eve/sso"
)

// Refresher is what Source needs of the EVE SSO client (*sso.Client).
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (sso.Token, error)
}

var _ Refresher = (*sso.Client)(nil)

// SourceOptions tune a Source; zero values take the defaults.
type SourceOptions struct {
	// MinValidity is how long an access token handed out must still be
	// valid; default one minute.
	MinValidity time.Duration
	// Lease is how long a process may hold a row while it refreshes; its
	// SSO call is cut off at half of it, so that another process taking
	// over an expired lease never races a refresh still under way. Default
	// one minute.
	Lease time.Duration
	// Poll is how often a process waiting for another's refresh reads the
	// row again; default 100 ms. (SQLite has no notification to wait on.)
	Poll time.Duration
}

// maxConflicts bounds how often one call starts over because another writer
// changed the row between its read and its write. Each conflict means
// another writer made progress, so hitting it means something is wrong.
// Waiting for another process's lease is not a conflict: that wait ends
// with the lease, or with ctx.
const maxConflicts = 20

// errLeased: another process holds the lease; read again after a while.
var errLeased = errors.New("tokens: another process is refreshing")

// Source hands out access tokens, refreshing them through the EVE SSO when
// they are about to expire. It is safe for concurrent use, and several
// processes may run one over the same database.
type Source struct {
	store     *Store
	refresher Refresher
	opts      SourceOptions
	locks     keyedLocks
	// after is time.After; tests count the waits through it.
	after func(time.Duration) <-chan time.Time
}

// NewSource makes a Source over the tokens of st. Its clock is the store's.
func NewSource(st *Store, r Refresher, opts SourceOptions) *Source {
	if opts.MinValidity <= 0 {
		opts.MinValidity = time.Minute
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	return &Source{store: st, refresher: r, opts: opts, locks: keyedLocks{m: map[tokenKey]*keyLock{}}, after: time.After}
}

// AccessToken gives an access token of the character for the login, valid
// for at least MinValidity more. Errors: ErrNotFound (no token stored),
// ErrTokenInvalid (dead: the character must log in again; the SSO is not
// asked again until a login saves a new token), ErrOwnerChanged; anything
// else (such as sso.ErrUnavailable) says nothing of the token, which stays
// valid: try again later.
func (s *Source) AccessToken(ctx context.Context, characterID int32, login string) (string, error) {
	t, err := s.store.Get(ctx, characterID, login)
	if err != nil {
		return "", err
	}
	if access, done, err := s.usable(t); done {
		return access, err
	}
	return s.refresh(ctx, characterID, login, s.usable)
}

// Check refreshes the token through the SSO even though its access token
// may still be valid, to learn whether EVE still honours it (the scheduled
// token check), and gives the fresh access token. When the token was
// checked at or after since already (by a login, a refresh or another
// check), the SSO is not asked and the access token is "": a check that
// passes the run's start is never repeated within the run, whichever
// process did it. It takes the same lock, lease and compare-and-swap path
// as AccessToken, so a token is refreshed once however many callers and
// processes want it at the same moment. Errors are AccessToken's:
// ErrTokenInvalid (EVE refused it now, or it was found dead before),
// ErrOwnerChanged, ErrNotFound; anything else says nothing of the token.
func (s *Source) Check(ctx context.Context, characterID int32, login string, since time.Time) (string, error) {
	return s.refresh(ctx, characterID, login, func(t Token) (string, bool, error) {
		if err := dead(t); err != nil {
			return "", true, err
		}
		return "", !t.CheckedAt.Before(since), nil
	})
}

// answer decides from the row alone whether a call is answered without the
// SSO: done false means refresh.
type answer func(t Token) (access string, done bool, err error)

// refresh refreshes the token unless ans, applied to the row as read,
// answers without the SSO. It holds the process's lock of the token, and
// reads the row again after another process's refresh or a conflicting
// write, so that ans always judges the latest row.
func (s *Source) refresh(ctx context.Context, characterID int32, login string, ans answer) (string, error) {
	unlock, err := s.locks.lock(ctx, tokenKey{characterID, login})
	if err != nil {
		return "", fmt.Errorf("tokens: refresh of character %d login %q: %w", characterID, login, err)
	}
	defer unlock()
	for conflicts := 0; conflicts < maxConflicts; {
		access, err := s.refreshOnce(ctx, characterID, login, ans)
		switch {
		case errors.Is(err, errLeased):
		case errors.Is(err, errConflict):
			conflicts++
		default:
			return access, err
		}
	}
	return "", fmt.Errorf("tokens: refresh of character %d login %q: %d conflicting writes in a row", characterID, login, maxConflicts)
}

// dead reports a token that must not be used: refused by EVE, or
// refreshed for a new owner.
func dead(t Token) error {
	switch {
	case !t.Valid:
		return fmt.Errorf("%w: character %d, login %q, since %s", ErrTokenInvalid, t.CharacterID, t.Login, t.InvalidSince.Format(time.RFC3339))
	case t.PreviousOwnerHash != "":
		return fmt.Errorf("%w: character %d, login %q", ErrOwnerChanged, t.CharacterID, t.Login)
	}
	return nil
}

// usable answers from the row alone when it can: done is false when the
// access token needs a refresh.
func (s *Source) usable(t Token) (access string, done bool, err error) {
	if err := dead(t); err != nil {
		return "", true, err
	}
	if !t.AccessExpiry.Before(s.store.now().Add(s.opts.MinValidity)) {
		return t.AccessToken, true, nil
	}
	return "", false, nil
}

// refreshOnce reads the row and, unless ans answers from it or another
// process holds its lease, refreshes it. errConflict and errLeased mean:
// read again.
func (s *Source) refreshOnce(ctx context.Context, characterID int32, login string, ans answer) (string, error) {
	t, err := s.store.Get(ctx, characterID, login)
	if err != nil {
		return "", err
	}
	if access, done, err := ans(t); done {
		return access, err
	}
	now := s.store.now()
	if now.Before(t.leaseUntil) {
		// Another process is refreshing: wait for its answer rather than
		// spend a refresh token it may be rotating.
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("tokens: waiting for another refresh of character %d login %q: %w", characterID, login, ctx.Err())
		case <-s.after(s.opts.Poll):
			return "", errLeased
		}
	}
	version, err := s.store.claim(ctx, t, now.Add(s.opts.Lease))
	if err != nil {
		return "", err
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.Lease/2)
	tok, err := s.refresher.Refresh(rctx, t.RefreshToken)
	cancel()
	if err == nil && tok.Claims.CharacterID != characterID {
		err = fmt.Errorf("the SSO answered with a token of character %d", tok.Claims.CharacterID)
	}
	if err != nil {
		if errors.Is(err, sso.ErrInvalidGrant) {
			// The version check makes sure the refused token is still the
			// stored one; if another writer replaced it, read again.
			if ierr := s.store.invalidate(ctx, t, version); ierr != nil {
				return "", ierr
			}
			return "", fmt.Errorf("%w: character %d, login %q: %w", ErrTokenInvalid, characterID, login, err)
		}
		// Give the lease back even when ctx is done, so that others need
		// not wait it out; a conflict means someone took over already.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		rerr := s.store.release(rctx, t, version)
		cancel()
		if rerr != nil && !errors.Is(rerr, errConflict) {
			err = errors.Join(err, rerr)
		}
		return "", fmt.Errorf("tokens: refresh character %d login %q: %w", characterID, login, err)
	}
	var previousOwner *string
	if tok.Claims.Owner != t.OwnerHash {
		previousOwner = &t.OwnerHash
	}
	// On a conflict the token just obtained is dropped: whoever wrote
	// meanwhile (a new login, or a process that took over an expired lease)
	// stored a token at least as new.
	if err := s.store.refreshed(ctx, t, version, tok, previousOwner); err != nil {
		return "", err
	}
	if previousOwner != nil {
		return "", fmt.Errorf("%w: character %d, login %q", ErrOwnerChanged, characterID, login)
	}
	return tok.AccessToken, nil
}

type tokenKey struct {
	characterID int32
	login       string
}

// keyedLocks is a mutex per token, waited on with a context, so that one
// process refreshes a token once however many goroutines ask for it.
type keyedLocks struct {
	mu sync.Mutex
	m  map[tokenKey]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one value while locked
	refs int           // holders and waiters; the entry goes at zero
}

func (k *keyedLocks) lock(ctx context.Context, key tokenKey) (unlock func(), err error) {
	k.mu.Lock()
	l := k.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	done := func() {
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
}
