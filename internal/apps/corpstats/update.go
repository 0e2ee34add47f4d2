package corpstats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
)

// Errors of Add, told apart by the pages.
var (
	ErrNotYours   = errors.New("corpstats: not a character of the account")
	ErrNoToken    = errors.New("corpstats: the character has no valid token with the membership scope")
	ErrNoCorp     = errors.New("corpstats: the character's corporation is not known")
	ErrExists     = errors.New("corpstats: the corporation has a Corp Stats already")
	ErrRefused    = errors.New("corpstats: ESI refused the token")
	ErrNoData     = errors.New("corpstats: ESI gave no member data")
	ErrNoReadable = errors.New("corpstats: no member's token could read the members")
)

// maxError bounds the error recorded.
const maxError = 500

// Outcome is what an update did.
type Outcome string

const (
	Fresh  Outcome = "fresh"  // ESI's answer had not expired: nothing asked
	Shared Outcome = "shared" // member tracking's current read taken
	Read   Outcome = "read"   // read from ESI
	Failed Outcome = "failed" // no token could read: the last members kept
)

// Result is what an update did, with the Corp Stats as it is now.
type Result struct {
	Outcome Outcome
	Stats   Stats
	Members int
	Err     error // the failure, for Failed
}

// read is one successful read of a corporation's members.
type read struct {
	source           string
	characterID      int32
	login            string
	fetched, expires time.Time
	members          []tracking.NamedMember // for SourceESI
	corporationName  string
}

// tracked gives member tracking's read of the corporation when it serves
// Corp Stats' need: read, and either ESI's answer to it not expired or
// newer than ours (fetched; nil for a Corp Stats being added). Then both
// pages show one data set, and the list is not fetched twice.
func (c *CorpStats) tracked(ctx context.Context, corp int32, now time.Time, ours *time.Time) (tracking.Corporation, bool, error) {
	t, err := tracking.CorporationByID(ctx, c.db, corp)
	if errors.Is(err, tracking.ErrNotFound) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	if t.FetchedAt == nil {
		return t, false, nil
	}
	current := t.ExpiresAt != nil && now.Before(*t.ExpiresAt)
	newer := ours != nil && t.FetchedAt.After(*ours)
	return t, current || newer, nil
}

// fromTracking is member tracking's read as Corp Stats' own, the token
// kept as it was.
func fromTracking(t tracking.Corporation, characterID int32, login string) read {
	rd := read{source: SourceTracking, characterID: characterID, login: login, fetched: *t.FetchedAt, corporationName: t.Name}
	if t.ExpiresAt != nil {
		rd.expires = *t.ExpiresAt
	} else {
		rd.expires = rd.fetched
	}
	return rd
}

// Add creates the Corp Stats of the corporation of an account's character,
// read at once with that character's token (Alliance Auth's): nothing is
// stored unless the read gives members. A corporation member tracking
// reads currently is taken from there, ESI not asked.
func (c *CorpStats) Add(ctx context.Context, accountID int64, characterID int32) (Stats, error) {
	now := c.now()
	var corp *int64
	err := c.db.QueryRow(ctx, `SELECT corporation_id FROM characters WHERE id = $1 AND account_id = $2`, characterID, accountID).Scan(&corp)
	if errors.Is(err, store.ErrNoRows) {
		return Stats{}, ErrNotYours
	}
	if err != nil {
		return Stats{}, fmt.Errorf("corpstats: character %d: %w", characterID, err)
	}
	if corp == nil {
		return Stats{}, ErrNoCorp
	}
	corpID := int32(*corp)
	login, err := c.tokenOf(ctx, characterID)
	if err != nil {
		return Stats{}, err
	}
	if _, err := Get(ctx, c.db, corpID); err == nil {
		return Stats{}, ErrExists
	} else if !errors.Is(err, ErrNotFound) {
		return Stats{}, err
	}
	var rd read
	if t, ok, err := c.tracked(ctx, corpID, now, nil); err != nil {
		return Stats{}, err
	} else if ok {
		rd = fromTracking(t, characterID, login)
	} else if rd, err = c.readWith(ctx, corpID, characterID, login, now); err != nil {
		return Stats{}, err
	}
	if rd.corporationName == "" {
		if rd.corporationName, err = c.corporationName(ctx, corpID); err != nil {
			return Stats{}, err
		}
	}
	err = c.db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `INSERT INTO corpstats (corporation_id, name, added_by, character_id, login, source, fetched_at, expires_at,
			error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9) ON CONFLICT (corporation_id) DO NOTHING`,
			corpID, rd.corporationName, accountID, characterID, login, rd.source, rd.fetched, rd.expires, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrExists // added meanwhile
		}
		return storeMembers(ctx, tx, corpID, rd.members)
	})
	if err != nil {
		if errors.Is(err, ErrExists) {
			return Stats{}, err
		}
		return Stats{}, fmt.Errorf("corpstats: add %d: %w", corpID, err)
	}
	return Get(ctx, c.db, corpID)
}

// tokenOf finds the login of a character's valid token with the scope.
func (c *CorpStats) tokenOf(ctx context.Context, characterID int32) (string, error) {
	var login string
	err := c.db.QueryRow(ctx, `SELECT login FROM eve_tokens WHERE character_id = $1 AND validity = 'valid'
		AND (' ' || scopes || ' ') LIKE $2 ORDER BY login LIMIT 1`, characterID, "% "+MembershipScope+" %").Scan(&login)
	if errors.Is(err, store.ErrNoRows) {
		return "", ErrNoToken
	}
	if err != nil {
		return "", fmt.Errorf("corpstats: token of %d: %w", characterID, err)
	}
	return login, nil
}

// corporationName gives a corporation's name from Keepstar's directory,
// else ESI.
func (c *CorpStats) corporationName(ctx context.Context, corp int32) (string, error) {
	var n string
	err := c.db.QueryRow(ctx, `SELECT name FROM eve_corporations WHERE id = $1`, corp).Scan(&n)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, store.ErrNoRows) {
		return "", fmt.Errorf("corpstats: name of %d: %w", corp, err)
	}
	co, err := c.esi.Corporation(ctx, corp)
	if err != nil {
		return "", fmt.Errorf("corpstats: name of %d: %w", corp, err)
	}
	return co.Name, nil
}

// readWith reads the members from ESI with the token given. ErrRefused wraps ESI's
// refusal of the token (401, 403: no scope, or not a member), ErrNoData an
// empty answer.
func (c *CorpStats) readWith(ctx context.Context, corp, characterID int32, login string, now time.Time) (read, error) {
	res, err := c.esi.Get(ctx, esi.Request{Route: "GET /corporations/{corporation_id}/members",
		Path: "/corporations/" + strconv.Itoa(int(corp)) + "/members", CharacterID: characterID, Login: login})
	if err != nil {
		var limited *esi.LimitedError
		if errors.As(err, &limited) {
			return read{}, err
		}
		if errors.Is(err, esi.ErrForbidden) || errors.Is(err, esi.ErrTokenInvalid) {
			return read{}, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		var status *esi.StatusError
		if errors.As(err, &status) {
			return read{}, fmt.Errorf("%w: %w", ErrNoData, err)
		}
		// The token source's failures (a dead refresh token) are the
		// token's.
		return read{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	var ids []int32
	if err := json.Unmarshal(res.Body, &ids); err != nil {
		return read{}, fmt.Errorf("%w: %w", ErrNoData, err)
	}
	if len(ids) == 0 {
		return read{}, ErrNoData
	}
	ms, err := c.names(ctx, corp, ids)
	if err != nil {
		return read{}, err
	}
	expires := res.Expires
	if expires.Before(now) {
		expires = now
	}
	return read{source: SourceESI, characterID: characterID, login: login, fetched: now, expires: expires, members: ms}, nil
}

// names gives the members their names: those stored already (a name once
// known is kept: renames are rare), Keepstar's characters', then ESI's
// /universe/names for the rest, in its chunks. One ESI cannot name is kept
// without a name rather than failing the read.
func (c *CorpStats) names(ctx context.Context, corp int32, ids []int32) ([]tracking.NamedMember, error) {
	known := map[int32]string{}
	err := store.Each(ctx, c.db, `SELECT character_id, name FROM corpstats_members WHERE corporation_id = $1 AND name <> ''`, func(r store.Rows) error {
		var id int32
		var n string
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		known[id] = n
		return nil
	}, corp)
	if err != nil {
		return nil, fmt.Errorf("corpstats: names stored of %d: %w", corp, err)
	}
	var missing []int32
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			missing = append(missing, id)
		}
	}
	for in, args := range store.InChunks(missing) {
		err := store.Each(ctx, c.db, `SELECT id, name FROM characters WHERE id IN (`+in+`)`, func(r store.Rows) error {
			var id int32
			var n string
			if err := r.Scan(&id, &n); err != nil {
				return err
			}
			known[id] = n
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("corpstats: names of characters: %w", err)
		}
	}
	missing = missing[:0]
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		found, _, err := c.esi.Names(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("corpstats: names of members of %d: %w", corp, err)
		}
		for _, n := range found {
			known[n.ID] = n.Name
		}
	}
	out := make([]tracking.NamedMember, len(ids))
	for i, id := range ids {
		out[i] = tracking.NamedMember{CharacterID: id, Name: known[id]}
	}
	return out, nil
}

// memberBatch is how many members one statement stores.
const memberBatch = 500

// storeMembers makes the stored members exactly ms (none for a Corp Stats
// that shows member tracking's).
func storeMembers(ctx context.Context, tx *store.Tx, corp int32, ms []tracking.NamedMember) error {
	if _, err := tx.Exec(ctx, `DELETE FROM corpstats_members WHERE corporation_id = $1`, corp); err != nil {
		return err
	}
	for start := 0; start < len(ms); start += memberBatch {
		batch := ms[start:min(start+memberBatch, len(ms))]
		q := `INSERT INTO corpstats_members (corporation_id, character_id, name) VALUES `
		args := make([]any, 0, 3*len(batch))
		for i, m := range batch {
			if i > 0 {
				q += ", "
			}
			q += "(" + store.Marks(tx.Dialect(), len(args)+1, 3) + ")"
			args = append(args, corp, m.CharacterID, m.Name)
		}
		if _, err := tx.Exec(ctx, q+` ON CONFLICT DO NOTHING`, args...); err != nil {
			return err
		}
	}
	return nil
}

// candidate is a token that may read a corporation's members.
type candidate struct {
	characterID int32
	login       string
}

// candidates lists the valid tokens with the scope of characters Keepstar
// has in the corporation, of any account: the one used last first.
func (c *CorpStats) candidates(ctx context.Context, s Stats) ([]candidate, error) {
	cs, err := store.Collect(ctx, c.db, `SELECT t.character_id, t.login FROM eve_tokens t JOIN characters ch ON ch.id = t.character_id
		WHERE ch.corporation_id = $1 AND t.validity = 'valid' AND (' ' || t.scopes || ' ') LIKE $2
		ORDER BY CASE WHEN t.character_id = $3 AND t.login = $4 THEN 0 ELSE 1 END, t.character_id, t.login`,
		func(r store.Rows, k *candidate) error { return r.Scan(&k.characterID, &k.login) },
		s.CorporationID, "% "+MembershipScope+" %", s.CharacterID, s.Login)
	if err != nil {
		return nil, fmt.Errorf("corpstats: tokens of %d: %w", s.CorporationID, err)
	}
	return cs, nil
}

// Update reads a Corp Stats' members again, unless ESI's last answer has
// not expired (Fresh: nothing asked). Member tracking's current read is
// taken when there is one (Shared); otherwise the token used last, then
// every other member's valid token with the scope, until one reads. When
// none does, the members stay as they were, the error is recorded and the
// adder told once (Failed): Alliance Auth deletes the Corp Stats instead.
func (c *CorpStats) Update(ctx context.Context, corp int32) (Result, error) {
	now := c.now()
	s, err := Get(ctx, c.db, corp)
	if err != nil {
		return Result{}, err
	}
	t, ok, err := c.tracked(ctx, corp, now, &s.FetchedAt)
	if err != nil {
		return Result{}, err
	}
	// Within ESI's cache time nothing changes: an own read, or member
	// tracking's still there.
	if now.Before(s.ExpiresAt) && s.Error == "" &&
		(s.Source == SourceESI || t.FetchedAt != nil && t.FetchedAt.Equal(s.FetchedAt)) {
		return Result{Outcome: Fresh, Stats: s}, nil
	}
	if ok {
		return c.save(ctx, s, fromTracking(t, s.CharacterID, s.Login), Shared)
	}
	cands, err := c.candidates(ctx, s)
	if err != nil {
		return Result{}, err
	}
	cause := ErrNoReadable
	for _, k := range cands {
		rd, err := c.readWith(ctx, corp, k.characterID, k.login, now)
		if err == nil {
			return c.save(ctx, s, rd, Read)
		}
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		var limited *esi.LimitedError
		if errors.As(err, &limited) {
			cause = err
			break
		}
		if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrNoData) {
			return Result{}, err
		}
		c.logger.WarnContext(ctx, "corpstats: a token did not read the members", "corporation", corp, "character", k.characterID,
			"login", k.login, "error", err)
		cause = fmt.Errorf("%w (last: character %d: %w)", ErrNoReadable, k.characterID, err)
	}
	return c.fail(ctx, s, cause)
}

// save stores a read whole.
func (c *CorpStats) save(ctx context.Context, s Stats, rd read, outcome Outcome) (Result, error) {
	err := c.db.InTx(ctx, func(tx *store.Tx) error {
		name := s.Name
		if rd.corporationName != "" {
			name = rd.corporationName
		}
		if _, err := tx.Exec(ctx, `UPDATE corpstats SET name = $2, character_id = $3, login = $4, source = $5, fetched_at = $6,
			expires_at = $7, error = '', error_at = NULL, notified_at = NULL WHERE corporation_id = $1`,
			s.CorporationID, name, rd.characterID, rd.login, rd.source, rd.fetched, rd.expires); err != nil {
			return err
		}
		return storeMembers(ctx, tx, s.CorporationID, rd.members)
	})
	if err != nil {
		return Result{}, fmt.Errorf("corpstats: store %d: %w", s.CorporationID, err)
	}
	s, err = Get(ctx, c.db, s.CorporationID)
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: outcome, Stats: s, Members: len(rd.members)}, nil
}

// fail records a failed update, the members untouched, and tells the adder
// once (until a read succeeds again).
func (c *CorpStats) fail(ctx context.Context, s Stats, cause error) (Result, error) {
	now := c.now()
	msg := cause.Error()
	if len(msg) > maxError {
		msg = msg[:maxError]
	}
	err := c.db.InTx(ctx, func(tx *store.Tx) error {
		tell := s.NotifiedAt == nil && s.AddedBy != 0 && c.notify != nil
		if _, err := tx.Exec(ctx, `UPDATE corpstats SET error = $2, error_at = $3,
			notified_at = CASE WHEN $4 THEN $3 ELSE notified_at END WHERE corporation_id = $1`,
			s.CorporationID, msg, now, tell); err != nil {
			return err
		}
		if !tell {
			return nil
		}
		return c.notify.Send(ctx, tx, s.AddedBy, notifications.Notice{Level: notifications.Warning,
			TitleKey: "corpstats.notice.title", MessageKey: "corpstats.notice.failed",
			Args:     map[string]string{"Corporation": s.Name},
			Coalesce: "corpstats:" + strconv.Itoa(int(s.CorporationID))})
	})
	if err != nil {
		return Result{}, fmt.Errorf("corpstats: record failure of %d: %w", s.CorporationID, err)
	}
	c.logger.WarnContext(ctx, "corpstats: update failed", "corporation", s.CorporationID, "error", cause)
	s, err = Get(ctx, c.db, s.CorporationID)
	if err != nil {
		return Result{}, err
	}
	return Result{Outcome: Failed, Stats: s, Err: cause}, nil
}
