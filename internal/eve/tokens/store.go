package tokens

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// Errors callers tell apart with errors.Is.
var (
	// ErrNotFound: no token is stored for the character and login.
	ErrNotFound = errors.New("tokens: no token stored")
	// ErrTokenInvalid: the EVE SSO refused the stored refresh token
	// (invalid_grant): the player must log in again.
	ErrTokenInvalid = errors.New("tokens: EVE token is invalid; the character must log in again")
	// ErrOwnerChanged: a refresh showed a new owner hash: the character
	// changed hands since its login. The new token is stored, but no access
	// token is handed out until a new login saves a token (Save), so that
	// nothing acts for the new owner on the old owner's consent; the
	// accounts rules decide what follows. Token.PreviousOwnerHash tells
	// which owner the token was stored for.
	ErrOwnerChanged = errors.New("tokens: character owner changed since its login")
)

// errConflict: a compare-and-swap found the row changed by someone else.
var errConflict = errors.New("tokens: row changed meanwhile")

// Token is a stored token, decrypted. String and LogValue leave the tokens
// out, so printing one by mistake leaks nothing.
type Token struct {
	CharacterID   int32
	Login         string
	CharacterName string
	OwnerHash     string
	// PreviousOwnerHash is set when a refresh found OwnerHash replacing it
	// (see ErrOwnerChanged); empty otherwise.
	PreviousOwnerHash string
	Scopes            []string
	AccessToken       string
	AccessExpiry      time.Time
	RefreshToken      string
	Valid             bool
	// CheckedAt is when the SSO last vouched for the token (login or
	// refresh) or refused it.
	CheckedAt time.Time
	// InvalidSince is when the token was found dead; zero while valid.
	InvalidSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time

	version    int64
	leaseUntil time.Time
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("tokens.Token{character %d, login %q, valid %t}", t.CharacterID, t.Login, t.Valid)
}

// LogValue implements slog.LogValuer, without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("character_id", int(t.CharacterID)), slog.String("login", t.Login), slog.Bool("valid", t.Valid))
}

// SaveResult tells what Save did.
type SaveResult struct {
	// Kept: the token had no scopes and a valid stored token with scopes
	// was left in place (a login without scopes never replaces one).
	Kept bool
	// PreviousOwner is the owner hash stored before Save; empty when there
	// was no token.
	PreviousOwner string
}

// OwnerChanged reports whether a token was stored before for another owner.
func (r SaveResult) OwnerChanged(tok sso.Token) bool {
	return r.PreviousOwner != "" && r.PreviousOwner != tok.Claims.Owner
}

// SecretPurpose names the key, derived from the secret key, that seals the
// tokens (secrets.New(key, SecretPurpose)).
const SecretPurpose = "eve tokens"

// Store keeps the tokens in eve_tokens.
type Store struct {
	db  *store.DB
	box *secrets.Box
	now func() time.Time
}

// NewStore makes a Store. box seals the tokens (secrets.New with the
// configured key); now is the clock, nil meaning time.Now.
func NewStore(db *store.DB, box *secrets.Box, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, box: box, now: now}
}

// additional binds a sealed value to its row and column.
func additional(column string, characterID int32, login string) string {
	return fmt.Sprintf("eve_token:%s:%d:%s", column, characterID, login)
}

func joinScopes(scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), " ")
}

// Save stores the token of a login, valid, replacing any token of the same
// character and login, except that a token without scopes never replaces a
// valid stored token with scopes (the result says Kept). A token saved
// again stops the lost-access clock (internal/tokencheck): its notices
// and deadline are cleared with its invalidity. It runs on q, so a
// login can save its token in the transaction that records the character.
func (s *Store) Save(ctx context.Context, q store.Querier, tok sso.Token, login string) (SaveResult, error) {
	id := tok.Claims.CharacterID
	if id <= 0 || login == "" || tok.AccessToken == "" || tok.RefreshToken == "" || tok.Claims.Owner == "" {
		return SaveResult{}, fmt.Errorf("tokens: save character %d login %q: incomplete token", id, login)
	}
	var res SaveResult
	err := q.QueryRow(ctx, `SELECT owner_hash FROM eve_tokens WHERE character_id = $1 AND login = $2`, id, login).Scan(&res.PreviousOwner)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return SaveResult{}, fmt.Errorf("tokens: save character %d login %q: %w", id, login, err)
	}
	now := s.now()
	// The scope rule sits in the statement itself, so it holds even when
	// two logins save at once.
	n, err := q.Exec(ctx, `INSERT INTO eve_tokens (character_id, login, refresh_token_sealed, access_token_sealed,
			access_expires_at, scopes, owner_hash, previous_owner_hash, character_name, validity, version,
			lease_until, checked_at, invalid_since, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, 'valid', 1, NULL, $9, NULL, $9, $9)
		ON CONFLICT (character_id, login) DO UPDATE SET
			refresh_token_sealed = excluded.refresh_token_sealed,
			access_token_sealed = excluded.access_token_sealed,
			access_expires_at = excluded.access_expires_at,
			scopes = excluded.scopes,
			owner_hash = excluded.owner_hash,
			previous_owner_hash = NULL,
			character_name = excluded.character_name,
			validity = 'valid',
			version = eve_tokens.version + 1,
			lease_until = NULL,
			checked_at = excluded.checked_at,
			invalid_since = NULL,
			lost_access_notices = 0,
			lost_access_deadline = NULL,
			updated_at = excluded.updated_at
		WHERE NOT (eve_tokens.validity = 'valid' AND eve_tokens.scopes <> '' AND excluded.scopes = '')`,
		id, login,
		s.box.Seal(tok.RefreshToken, additional("refresh", id, login)),
		s.box.Seal(tok.AccessToken, additional("access", id, login)),
		tok.Expiry, joinScopes(tok.Claims.Scopes), tok.Claims.Owner, tok.Claims.Name, now)
	if err != nil {
		return SaveResult{}, fmt.Errorf("tokens: save character %d login %q: %w", id, login, err)
	}
	res.Kept = n == 0
	return res, nil
}

const tokenColumns = `character_id, login, refresh_token_sealed, access_token_sealed, access_expires_at, scopes,
	owner_hash, previous_owner_hash, character_name, validity, version, lease_until, checked_at, invalid_since,
	created_at, updated_at`

// Get reads the token of a character and login; ErrNotFound when none.
func (s *Store) Get(ctx context.Context, characterID int32, login string) (Token, error) {
	var t Token
	var refresh, access, scopes, validity string
	var previous *string
	var lease, invalid *time.Time
	err := s.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM eve_tokens WHERE character_id = $1 AND login = $2`,
		characterID, login).Scan(&t.CharacterID, &t.Login, &refresh, &access, &t.AccessExpiry, &scopes,
		&t.OwnerHash, &previous, &t.CharacterName, &validity, &t.version, &lease, &t.CheckedAt, &invalid,
		&t.CreatedAt, &t.UpdatedAt)
	if errors.Is(err, store.ErrNoRows) {
		return Token{}, fmt.Errorf("%w: character %d, login %q", ErrNotFound, characterID, login)
	}
	if err != nil {
		return Token{}, fmt.Errorf("tokens: get character %d login %q: %w", characterID, login, err)
	}
	if t.RefreshToken, err = s.box.Open(refresh, additional("refresh", characterID, login)); err != nil {
		return Token{}, fmt.Errorf("tokens: refresh token of character %d login %q: %w", characterID, login, err)
	}
	if t.AccessToken, err = s.box.Open(access, additional("access", characterID, login)); err != nil {
		return Token{}, fmt.Errorf("tokens: access token of character %d login %q: %w", characterID, login, err)
	}
	t.Scopes = strings.Fields(scopes)
	t.Valid = validity == "valid"
	if previous != nil {
		t.PreviousOwnerHash = *previous
	}
	if lease != nil {
		t.leaseUntil = *lease
	}
	if invalid != nil {
		t.InvalidSince = *invalid
	}
	return t, nil
}

// MarkInvalid records that a token is dead, as of now. Source does this
// itself on invalid_grant; this is for callers that learn it otherwise.
func (s *Store) MarkInvalid(ctx context.Context, q store.Querier, characterID int32, login string) error {
	now := s.now()
	n, err := q.Exec(ctx, `UPDATE eve_tokens SET validity = 'invalid', invalid_since = COALESCE(invalid_since, $3),
			lease_until = NULL, version = version + 1, updated_at = $3
		WHERE character_id = $1 AND login = $2`, characterID, login, now)
	if err != nil {
		return fmt.Errorf("tokens: mark invalid character %d login %q: %w", characterID, login, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: character %d, login %q", ErrNotFound, characterID, login)
	}
	return nil
}

// Delete removes a token; ErrNotFound when there was none.
func (s *Store) Delete(ctx context.Context, q store.Querier, characterID int32, login string) error {
	n, err := q.Exec(ctx, `DELETE FROM eve_tokens WHERE character_id = $1 AND login = $2`, characterID, login)
	if err != nil {
		return fmt.Errorf("tokens: delete character %d login %q: %w", characterID, login, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: character %d, login %q", ErrNotFound, characterID, login)
	}
	return nil
}

// The methods below are Source's compare-and-swap steps. Each changes the
// row only if its version is still the one read, bumps the version, and
// answers errConflict when another writer came first.

func cas(n int64, err error, what string, t Token) error {
	if err != nil {
		return fmt.Errorf("tokens: %s character %d login %q: %w", what, t.CharacterID, t.Login, err)
	}
	if n == 0 {
		return errConflict
	}
	return nil
}

// claim takes the refresh lease until the given time and gives the row's
// new version.
func (s *Store) claim(ctx context.Context, t Token, until time.Time) (int64, error) {
	n, err := s.db.Exec(ctx, `UPDATE eve_tokens SET lease_until = $4, version = version + 1
		WHERE character_id = $1 AND login = $2 AND version = $3`, t.CharacterID, t.Login, t.version, until)
	return t.version + 1, cas(n, err, "lease", t)
}

// release gives the lease back after a refresh that changed nothing.
func (s *Store) release(ctx context.Context, t Token, version int64) error {
	n, err := s.db.Exec(ctx, `UPDATE eve_tokens SET lease_until = NULL, version = version + 1
		WHERE character_id = $1 AND login = $2 AND version = $3`, t.CharacterID, t.Login, version)
	return cas(n, err, "release lease", t)
}

// refreshed stores a refresh's answer, with previousOwner set when the
// owner hash changed.
func (s *Store) refreshed(ctx context.Context, t Token, version int64, tok sso.Token, previousOwner *string) error {
	id, login := t.CharacterID, t.Login
	n, err := s.db.Exec(ctx, `UPDATE eve_tokens SET refresh_token_sealed = $4, access_token_sealed = $5,
			access_expires_at = $6, scopes = $7, owner_hash = $8, previous_owner_hash = COALESCE(previous_owner_hash, $9),
			character_name = $10, lease_until = NULL, version = version + 1, checked_at = $11, updated_at = $11
		WHERE character_id = $1 AND login = $2 AND version = $3`, id, login, version,
		s.box.Seal(tok.RefreshToken, additional("refresh", id, login)),
		s.box.Seal(tok.AccessToken, additional("access", id, login)),
		tok.Expiry, joinScopes(tok.Claims.Scopes), tok.Claims.Owner, previousOwner, tok.Claims.Name, s.now())
	return cas(n, err, "store refreshed token of", t)
}

// invalidate marks the token dead if the refresh token refused is still
// the stored one.
func (s *Store) invalidate(ctx context.Context, t Token, version int64) error {
	now := s.now()
	n, err := s.db.Exec(ctx, `UPDATE eve_tokens SET validity = 'invalid', invalid_since = $4, checked_at = $4,
			lease_until = NULL, version = version + 1, updated_at = $4
		WHERE character_id = $1 AND login = $2 AND version = $3`, t.CharacterID, t.Login, version, now)
	return cas(n, err, "mark invalid", t)
}

// DeleteCharacter removes a character's tokens of every login but keep
// (empty: all of them), as when the character leaves Keepstar or changes
// hands: a token given by the old owner must not serve the new one.
func (s *Store) DeleteCharacter(ctx context.Context, q store.Querier, characterID int32, keep string) error {
	if _, err := q.Exec(ctx, `DELETE FROM eve_tokens WHERE character_id = $1 AND login <> $2`, characterID, keep); err != nil {
		return fmt.Errorf("tokens: delete tokens of character %d: %w", characterID, err)
	}
	return nil
}

// Status is what pages show of a token: everything but the secrets, which
// are never decrypted for it.
type Status struct {
	CharacterID  int32
	Login        string
	Scopes       []string
	Valid        bool
	HasRoles     *bool // nil: the login needs no in-game role
	CheckedAt    time.Time
	InvalidSince time.Time
}

// Statuses lists the tokens of characters, by character then login, in
// one query.
func (s *Store) Statuses(ctx context.Context, q store.Querier, characterIDs []int32) ([]Status, error) {
	if len(characterIDs) == 0 {
		return nil, nil
	}
	list, args := store.In(characterIDs)
	out, err := store.Collect(ctx, q, `SELECT character_id, login, scopes, validity, has_roles, checked_at, invalid_since
		FROM eve_tokens WHERE character_id IN (`+list+`) ORDER BY character_id, login`, func(rows store.Rows, st *Status) error {
		var scopes, validity string
		var invalid *time.Time
		err := rows.Scan(&st.CharacterID, &st.Login, &scopes, &validity, &st.HasRoles, &st.CheckedAt, &invalid)
		st.Scopes = strings.Fields(scopes)
		st.Valid = validity == "valid"
		if invalid != nil {
			st.InvalidSince = *invalid
		}
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("tokens: statuses: %w", err)
	}
	return out, nil
}

// SetHasRoles records whether the character held the login's in-game roles.
func (s *Store) SetHasRoles(ctx context.Context, q store.Querier, characterID int32, login string, has bool) error {
	if _, err := q.Exec(ctx, `UPDATE eve_tokens SET has_roles = $3 WHERE character_id = $1 AND login = $2`, characterID, login, has); err != nil {
		return fmt.Errorf("tokens: record roles of character %d login %q: %w", characterID, login, err)
	}
	return nil
}

// Key names a stored token.
type Key struct {
	CharacterID int32
	Login       string
}

// Due lists the valid tokens last checked before a time, the longest
// unchecked first, at most limit of them (0: all), for the scheduled
// check. A token found invalid is not listed: EVE never takes back an
// invalid_grant, and only a new login revives it.
func (s *Store) Due(ctx context.Context, before time.Time, limit int) ([]Key, error) {
	q := `SELECT character_id, login FROM eve_tokens WHERE validity = 'valid' AND checked_at < $1
		ORDER BY checked_at, character_id, login`
	args := []any{before}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	out, err := store.Collect(ctx, s.db, q, func(rows store.Rows, k *Key) error { return rows.Scan(&k.CharacterID, &k.Login) }, args...)
	if err != nil {
		return nil, fmt.Errorf("tokens: due for a check: %w", err)
	}
	return out, nil
}

// CountValid counts the valid tokens of every login.
func (s *Store) CountValid(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM eve_tokens WHERE validity = 'valid'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("tokens: count: %w", err)
	}
	return n, nil
}
