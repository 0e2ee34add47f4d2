package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/keepstar/keepstar/internal/store"
)

// Store keeps scs sessions in the table sessions. Its methods take the
// token scs hands out and store only its hash.
//
// Find reads outside any transaction, which on SQLite goes through the
// read-only pool: loading a session on every request never waits for the
// single writer.
type Store struct {
	db  *store.DB
	now func() time.Time
}

var _ scs.CtxStore = (*Store)(nil)

// NewStore gives a session store over db. now tells the time that expiry is
// compared with; nil means time.Now.
func NewStore(db *store.DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// tokenHash names a session's row. The token is 32 random bytes (scs), so a
// plain SHA-256 suffices: there is nothing to guess that a slow hash would
// protect.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// FindCtx gives the data of the session with this token. A session that is
// missing or expired is not found (found is false, err nil), as scs expects;
// err is for the database's failures only.
func (s *Store) FindCtx(ctx context.Context, token string) (b []byte, found bool, err error) {
	if token == "" {
		return nil, false, nil
	}
	err = s.db.QueryRow(ctx, `SELECT data FROM sessions WHERE token_hash = $1 AND expiry > $2`,
		tokenHash(token), s.now()).Scan(&b)
	if errors.Is(err, store.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sessions: find: %w", err)
	}
	return b, true, nil
}

// CommitCtx saves a session's data and expiry, replacing what the token had.
func (s *Store) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if b == nil {
		b = []byte{} // data is NOT NULL
	}
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		tokenHash(token), b, expiry)
	if err != nil {
		return fmt.Errorf("sessions: commit: %w", err)
	}
	return nil
}

// DeleteCtx removes the session with this token; a token with no session is
// not an error.
func (s *Store) DeleteCtx(ctx context.Context, token string) error {
	// scs deletes the empty token when a session that was never saved is
	// destroyed or renewed; skipping it spares SQLite's single writer.
	if token == "" {
		return nil
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(token)); err != nil {
		return fmt.Errorf("sessions: delete: %w", err)
	}
	return nil
}

// Find is FindCtx without a context, for scs.Store.
func (s *Store) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context, for scs.Store.
func (s *Store) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context, for scs.Store.
func (s *Store) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteExpired removes the sessions that have expired, the very ones Find
// no longer finds, and tells how many.
func (s *Store) DeleteExpired(ctx context.Context) (int64, error) {
	n, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expiry <= $1`, s.now())
	if err != nil {
		return 0, fmt.Errorf("sessions: delete expired: %w", err)
	}
	return n, nil
}
