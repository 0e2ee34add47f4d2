package tracking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
)

// ErrNotFound: no such tracked corporation.
var ErrNotFound = errors.New("tracking: corporation not tracked")

// Corporation is a tracked corporation and how its last read went.
type Corporation struct {
	ID         int32
	Name       string
	DirectorID int32
	FetchedAt  *time.Time
	ExpiresAt  *time.Time
	Error      string
	ErrorAt    *time.Time
	Members    int
}

// Director is a character whose core.tracking token may read its
// corporation's member tracking: valid, and holding the login's roles
// (Director) when last checked.
type Director struct {
	CharacterID   int32
	CorporationID int32
}

// directors lists, per corporation, the characters with a usable
// core.tracking token, the corporation's first, lowest id first.
func directors(ctx context.Context, q store.Querier) ([]Director, error) {
	return store.Collect(ctx, q, `SELECT t.character_id, c.corporation_id FROM eve_tokens t
		JOIN characters c ON c.id = t.character_id
		WHERE t.login = $1 AND t.validity = 'valid' AND t.has_roles AND c.corporation_id IS NOT NULL
		ORDER BY c.corporation_id, t.character_id`,
		func(r store.Rows, d *Director) error { return r.Scan(&d.CharacterID, &d.CorporationID) }, logins.Tracking)
}

// Corporations lists the tracked corporations, by name.
func Corporations(ctx context.Context, q store.Querier) ([]Corporation, error) {
	return corporations(ctx, q, "")
}

func corporations(ctx context.Context, q store.Querier, where string, args ...any) ([]Corporation, error) {
	cs, err := store.Collect(ctx, q, `SELECT c.corporation_id, c.name, c.director_id, c.fetched_at, c.expires_at, c.error, c.error_at,
		(SELECT COUNT(*) FROM tracking_members m WHERE m.corporation_id = c.corporation_id)
		FROM tracking_corporations c `+where+` ORDER BY c.name, c.corporation_id`,
		func(r store.Rows, c *Corporation) error {
			return r.Scan(&c.ID, &c.Name, &c.DirectorID, &c.FetchedAt, &c.ExpiresAt, &c.Error, &c.ErrorAt, &c.Members)
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("tracking: corporations: %w", err)
	}
	return cs, nil
}

// CorporationByID reads one tracked corporation.
func CorporationByID(ctx context.Context, q store.Querier, id int32) (Corporation, error) {
	cs, err := corporations(ctx, q, "WHERE c.corporation_id = $1", id)
	if err != nil {
		return Corporation{}, err
	}
	if len(cs) == 0 {
		return Corporation{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return cs[0], nil
}

// Visible lists the corporations of whose tracking groups an account is a
// member. Neucore's rule is the role tracking and such a membership: the
// pages' routes admit the role (superusers hold it), this the rest.
func Visible(ctx context.Context, q store.Querier, accountID int64) ([]Corporation, error) {
	return corporations(ctx, q, `WHERE EXISTS (SELECT 1 FROM tracking_groups g JOIN group_members gm ON gm.group_id = g.group_id
			WHERE g.corporation_id = c.corporation_id AND gm.account_id = $1)`, accountID)
}

// MayView says whether an account may see a corporation's members.
func MayView(ctx context.Context, q store.Querier, accountID int64, corporationID int32) (bool, error) {
	cs, err := Visible(ctx, q, accountID)
	if err != nil {
		return false, err
	}
	for _, c := range cs {
		if c.ID == corporationID {
			return true, nil
		}
	}
	return false, nil
}

// GroupsOf lists the ids of a corporation's tracking groups.
func GroupsOf(ctx context.Context, q store.Querier, corporationID int32) ([]int64, error) {
	return store.Column[int64](ctx, q, `SELECT group_id FROM tracking_groups WHERE corporation_id = $1 ORDER BY group_id`, corporationID)
}

// SetGroups makes a corporation's tracking groups exactly groupIDs.
func SetGroups(ctx context.Context, q store.Querier, corporationID int32, groupIDs []int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM tracking_groups WHERE corporation_id = $1`, corporationID); err != nil {
		return fmt.Errorf("tracking: groups of %d: %w", corporationID, err)
	}
	for _, g := range groupIDs {
		if _, err := q.Exec(ctx, `INSERT INTO tracking_groups (corporation_id, group_id) VALUES ($1, $2)`, corporationID, g); err != nil {
			return fmt.Errorf("tracking: groups of %d: %w", corporationID, err)
		}
	}
	return nil
}

// Token states of a member's character, Neucore's: its core.default token.
const (
	TokenNone    = "none"
	TokenValid   = "valid"
	TokenInvalid = "invalid"
)

// Member is a member of a tracked corporation as last read, with its
// account (0: not registered), its main and its token's state.
type Member struct {
	CharacterID  int32
	Name         string
	LogonAt      *time.Time
	LogoffAt     *time.Time
	LocationID   int64
	LocationName string
	ShipTypeID   int32
	ShipTypeName string
	StartDate    *time.Time
	UpdatedAt    time.Time
	AccountID    int64
	MainID       int32
	MainName     string
	Token        string
	TokenChanged *time.Time
}

// Filter narrows Members, Neucore's memberTracking filters and its page's.
type Filter struct {
	InactiveDays int    // logon older than that many days (0: no filter)
	ActiveDays   int    // logon within that many days
	Account      string // "true": on an account; "false": not registered; "": both
	Token        string // "bad": invalid or missing token; "": any
	Search       string // part of the character's or its main's name
	Sort         string // a column of sorts; "" is the last logon, most recent first
	Desc         bool
}

// sorts are the columns Members sorts by, in SQL.
var sorts = map[string]string{
	"name": "m.name", "logon": "m.logon_at", "logoff": "m.logoff_at", "location": "COALESCE(l.name, '')",
	"ship": "COALESCE(s.name, '')", "start": "m.start_date", "main": "COALESCE(mc.name, '')",
}

// Members reads a corporation's members, filtered and sorted, at now.
func Members(ctx context.Context, q store.Querier, corporationID int32, f Filter, now time.Time) ([]Member, error) {
	where := []string{"m.corporation_id = $1"}
	args := []any{corporationID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.InactiveDays > 0 {
		where = append(where, "(m.logon_at IS NULL OR m.logon_at < "+arg(now.AddDate(0, 0, -f.InactiveDays))+")")
	}
	if f.ActiveDays > 0 {
		where = append(where, "m.logon_at >= "+arg(now.AddDate(0, 0, -f.ActiveDays)))
	}
	switch f.Account {
	case "true":
		where = append(where, "ch.account_id IS NOT NULL")
	case "false":
		where = append(where, "ch.account_id IS NULL")
	}
	if f.Token == "bad" {
		where = append(where, "ch.account_id IS NOT NULL AND (t.validity IS NULL OR t.validity <> 'valid')")
	}
	if s := strings.TrimSpace(f.Search); s != "" {
		p := arg("%" + strings.ToLower(s) + "%")
		where = append(where, "(LOWER(m.name) LIKE "+p+" OR LOWER(COALESCE(mc.name, '')) LIKE "+p+")")
	}
	order, ok := sorts[f.Sort]
	desc := f.Desc
	if !ok {
		order, desc = "m.logon_at", !f.Desc
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	// NULLs sort last either way, on both engines.
	orderBy := "CASE WHEN " + order + " IS NULL THEN 1 ELSE 0 END, " + order + dir + ", m.character_id"
	ms, err := store.Collect(ctx, q, `SELECT m.character_id, m.name, m.logon_at, m.logoff_at, COALESCE(m.location_id, 0), COALESCE(l.name, ''),
		COALESCE(m.ship_type_id, 0), COALESCE(s.name, ''), m.start_date, m.updated_at,
		COALESCE(ch.account_id, 0), COALESCE(mc.id, 0), COALESCE(mc.name, ''), COALESCE(t.validity, ''), t.invalid_since
		FROM tracking_members m
		LEFT JOIN tracking_names l ON l.kind = 'location' AND l.id = m.location_id
		LEFT JOIN tracking_names s ON s.kind = 'type' AND s.id = m.ship_type_id
		LEFT JOIN characters ch ON ch.id = m.character_id
		LEFT JOIN characters mc ON mc.account_id = ch.account_id AND mc.main
		LEFT JOIN eve_tokens t ON t.character_id = m.character_id AND t.login = '`+logins.Default+`'
		WHERE `+strings.Join(where, " AND ")+` ORDER BY `+orderBy,
		func(r store.Rows, m *Member) error {
			if err := r.Scan(&m.CharacterID, &m.Name, &m.LogonAt, &m.LogoffAt, &m.LocationID, &m.LocationName, &m.ShipTypeID,
				&m.ShipTypeName, &m.StartDate, &m.UpdatedAt, &m.AccountID, &m.MainID, &m.MainName, &m.Token, &m.TokenChanged); err != nil {
				return err
			}
			if m.Token == "" {
				m.Token = TokenNone
			}
			return nil
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("tracking: members of %d: %w", corporationID, err)
	}
	return ms, nil
}

// LocationCategory is Neucore's EsiLocation category of a location id:
// ESI's id ranges (solar systems 30,000,000s, stations 60,000,000s,
// structures above structureFloor).
func LocationCategory(id int64) string {
	switch {
	case id >= structureFloor:
		return "structure"
	case id >= 60_000_000:
		return "station"
	default:
		return "system"
	}
}

// Absentee is a tracked member on no account: who the missing-character
// mail (internal/apps/evemail) writes to.
type Absentee struct {
	CharacterID   int32
	Name          string
	CorporationID int32
	LogonAt       time.Time
}

// Unregistered lists the members of the given tracked corporations who are
// on no account and logged on at or after since, by character id. A member
// whose logon ESI does not report is left out: nothing says they play.
func Unregistered(ctx context.Context, q store.Querier, corporations []int32, since time.Time) ([]Absentee, error) {
	if len(corporations) == 0 {
		return nil, nil
	}
	args := []any{since.UTC()}
	marks := make([]string, len(corporations))
	for i, c := range corporations {
		args = append(args, c)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	out, err := store.Collect(ctx, q, `SELECT m.character_id, m.name, m.corporation_id, m.logon_at FROM tracking_members m
		WHERE m.corporation_id IN (`+strings.Join(marks, ", ")+`) AND m.logon_at >= $1
		AND NOT EXISTS (SELECT 1 FROM characters c WHERE c.id = m.character_id)
		ORDER BY m.character_id`,
		func(r store.Rows, a *Absentee) error {
			return r.Scan(&a.CharacterID, &a.Name, &a.CorporationID, &a.LogonAt)
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("tracking: unregistered members: %w", err)
	}
	return out, nil
}

// NamedMember is a member of a tracked corporation as last read: its id
// and name.
type NamedMember struct {
	CharacterID int32
	Name        string
}

// MemberNames lists a tracked corporation's members as last read, by id:
// Corporation Stats (internal/apps/corpstats) shows them instead of
// reading the same list from ESI again while member tracking's read is
// current (CorporationByID's ExpiresAt).
func MemberNames(ctx context.Context, q store.Querier, corporationID int32) ([]NamedMember, error) {
	ms, err := store.Collect(ctx, q, `SELECT character_id, name FROM tracking_members WHERE corporation_id = $1 ORDER BY character_id`,
		func(r store.Rows, m *NamedMember) error { return r.Scan(&m.CharacterID, &m.Name) }, corporationID)
	if err != nil {
		return nil, fmt.Errorf("tracking: member names of %d: %w", corporationID, err)
	}
	return ms, nil
}
