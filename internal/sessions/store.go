package sessions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// ErrNotFound means no live session has the token: none was made, or it
// ended (logged out, past its lifetime or its idle timeout).
var ErrNotFound = errors.New("sessions: no such session")

// Store keeps sessions in the table sessions. Its methods take the token a
// cookie carries and store only its hash.
//
// Find reads outside any transaction, which on SQLite goes through the
// read-only pool: loading a session on every request never waits for the
// single writer.
type Store struct {
	db *store.DB
}

// NewStore gives a session store over db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// Row is one session as the table holds it.
type Row struct {
	TokenHash string
	Data      []byte
	// CharacterID is the character logged in; 0 for a visitor.
	CharacterID int32
	Created     time.Time
	LastSeen    time.Time
	// Expiry is the end of the session's absolute lifetime.
	Expiry time.Time
	// Address is the client's truncated address, Agent a summary of its
	// User-Agent (see Record).
	Address string
	Agent   string
}

// tokenHash names a session's row. The token is 32 random bytes, so a
// plain SHA-256 suffices: there is nothing to guess that a slow hash would
// protect.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// live is the condition of a session that has not ended at now ($1):
// before its expiry, and seen after idleCutoff ($2, now less the idle
// timeout).
const live = `expiry > $1 AND last_seen > $2`

const columns = `token_hash, data, character_id, created_at, last_seen, expiry, address, agent`

func scanRow(sc interface{ Scan(...any) error }) (Row, error) {
	var r Row
	var character *int64
	err := sc.Scan(&r.TokenHash, &r.Data, &character, &r.Created, &r.LastSeen, &r.Expiry, &r.Address, &r.Agent)
	if character != nil {
		r.CharacterID = int32(*character)
	}
	return r, err
}

// Find gives the live session of token.
func (s *Store) Find(ctx context.Context, token string, now, idleCutoff time.Time) (Row, error) {
	if token == "" {
		return Row{}, ErrNotFound
	}
	r, err := scanRow(s.db.QueryRow(ctx, `SELECT `+columns+` FROM sessions WHERE `+live+` AND token_hash = $3`,
		now, idleCutoff, tokenHash(token)))
	if errors.Is(err, store.ErrNoRows) {
		return Row{}, ErrNotFound
	}
	if err != nil {
		return Row{}, fmt.Errorf("sessions: find: %w", err)
	}
	return r, nil
}

func nullCharacter(id int32) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// Insert saves a new session under token; r.TokenHash is ignored.
func (s *Store) Insert(ctx context.Context, token string, r Row) error {
	return s.Renew(ctx, "", token, r)
}

// Renew saves a new session under token and deletes the one under old (""
// for none), in one transaction: a login's new token never stands beside
// the token it replaces, nor does a failure leave the member with neither.
// r.TokenHash is ignored.
func (s *Store) Renew(ctx context.Context, old, token string, r Row) error {
	if r.Data == nil {
		r.Data = []byte{} // data is NOT NULL
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			tokenHash(token), r.Data, nullCharacter(r.CharacterID), r.Created, r.LastSeen, r.Expiry, r.Address, r.Agent); err != nil {
			return err
		}
		if old == "" {
			return nil
		}
		_, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash(old))
		return err
	})
	if err != nil {
		return fmt.Errorf("sessions: insert: %w", err)
	}
	return nil
}

// Update writes a session's data and character, and its last activity:
// one statement for both, as a request that changes its session and is due
// to record its activity makes one write. It reports ErrNotFound when the
// session is gone (ended meanwhile by another request): it is not made
// again.
func (s *Store) Update(ctx context.Context, token string, r Row) error {
	if r.Data == nil {
		r.Data = []byte{}
	}
	n, err := s.db.Exec(ctx, `UPDATE sessions SET data = $2, character_id = $3, last_seen = $4, address = $5, agent = $6
		WHERE token_hash = $1`, tokenHash(token), r.Data, nullCharacter(r.CharacterID), r.LastSeen, r.Address, r.Agent)
	if err != nil {
		return fmt.Errorf("sessions: update: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Touch records a session's activity without changing its data.
func (s *Store) Touch(ctx context.Context, token string, lastSeen time.Time, address, agent string) error {
	if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen = $2, address = $3, agent = $4 WHERE token_hash = $1`,
		tokenHash(token), lastSeen, address, agent); err != nil {
		return fmt.Errorf("sessions: touch: %w", err)
	}
	return nil
}

// Delete removes the session with this token; a token with no session is
// not an error.
func (s *Store) Delete(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.DeleteHashes(ctx, []string{tokenHash(token)})
}

// DeleteHashes removes the sessions of these row keys (from ForCharacters).
func (s *Store) DeleteHashes(ctx context.Context, hashes []string) error {
	for list, args := range store.InChunks(hashes) {
		if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token_hash IN (`+list+`)`, args...); err != nil {
			return fmt.Errorf("sessions: delete: %w", err)
		}
	}
	return nil
}

// ForCharacters gives the live sessions logged in with any of the
// characters, the oldest first.
func (s *Store) ForCharacters(ctx context.Context, ids []int32, now, idleCutoff time.Time) ([]Row, error) {
	var out []Row
	for list, args := range store.InChunks(ids, now, idleCutoff) {
		found, err := store.Collect(ctx, s.db, `SELECT `+columns+` FROM sessions WHERE `+live+` AND character_id IN (`+list+`) ORDER BY created_at, token_hash`,
			func(rows store.Rows, r *Row) (err error) {
				*r, err = scanRow(rows)
				return err
			}, args...)
		if err != nil {
			return nil, fmt.Errorf("sessions: list: %w", err)
		}
		out = append(out, found...)
	}
	return out, nil
}

// DeleteEnded removes the sessions that have ended at now, the very ones
// Find no longer finds, and tells how many.
func (s *Store) DeleteEnded(ctx context.Context, now, idleCutoff time.Time) (int64, error) {
	n, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expiry <= $1 OR last_seen <= $2`, now, idleCutoff)
	if err != nil {
		return 0, fmt.Errorf("sessions: delete ended: %w", err)
	}
	return n, nil
}
