package watchlists

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/keepstar/keepstar/internal/store"
)

// The lists of entities a watchlist keeps.
const (
	ListWatched   = "watched"
	ListKicklist  = "kicklist"
	ListAllowlist = "allowlist"
)

// The kinds of entity a list holds.
const (
	KindCorporation = "corporation"
	KindAlliance    = "alliance"
)

// Lists and Kinds are the valid values of each, in the pages' order.
var (
	Lists = []string{ListWatched, ListKicklist, ListAllowlist}
	Kinds = []string{KindCorporation, KindAlliance}
)

// NPC corporations have ids from 1,000,000 to 2,000,000 (CCP's id ranges);
// Neucore counts a corporation above 2,000,000 as a player's. Characters in
// NPC corporations (the starter corporations) never raise a warning and
// those corporations are never auto-allowlisted.
const npcLast = 2000000

// IsNPC reports whether a corporation id is an NPC corporation's.
func IsNPC(corporationID int64) bool { return corporationID <= npcLast }

// ErrNotFound: no such watchlist.
var ErrNotFound = errors.New("watchlists: not found")

// ErrInvalid: a list, kind or name that is not one.
var ErrInvalid = errors.New("watchlists: invalid")

// Watchlist is a list's own row.
type Watchlist struct {
	ID   int64
	Name string
	// Locked: only watchlist-admins change the watched entities.
	Locked bool
}

// Entity is a corporation or alliance on one of a watchlist's lists.
type Entity struct {
	List string
	Kind string
	ID   int64
	Name string // '' when Keepstar does not know it
	// Auto: a corporation the auto-allowlist job allowlisted.
	Auto bool
}

func validEntity(list, kind string) error {
	if !slices.Contains(Lists, list) || !slices.Contains(Kinds, kind) {
		return fmt.Errorf("%w: list %q kind %q", ErrInvalid, list, kind)
	}
	return nil
}

// Create adds a watchlist.
func Create(ctx context.Context, q store.Querier, name string) (Watchlist, error) {
	w := Watchlist{Name: name}
	if name == "" {
		return w, fmt.Errorf("%w: empty name", ErrInvalid)
	}
	if err := q.QueryRow(ctx, `INSERT INTO watchlists (name, lock_settings) VALUES ($1, false) RETURNING id`, name).Scan(&w.ID); err != nil {
		return w, fmt.Errorf("watchlists: create: %w", err)
	}
	return w, nil
}

func exec1(ctx context.Context, q store.Querier, what string, id int64, query string, args ...any) error {
	n, err := q.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("watchlists: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return nil
}

// Rename renames a watchlist.
func Rename(ctx context.Context, q store.Querier, id int64, name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalid)
	}
	return exec1(ctx, q, "rename", id, `UPDATE watchlists SET name = $2 WHERE id = $1`, id, name)
}

// Delete removes a watchlist and all it holds.
func Delete(ctx context.Context, q store.Querier, id int64) error {
	return exec1(ctx, q, "delete", id, `DELETE FROM watchlists WHERE id = $1`, id)
}

// SetLock locks or unlocks a watchlist's settings.
func SetLock(ctx context.Context, q store.Querier, id int64, locked bool) error {
	return exec1(ctx, q, "lock", id, `UPDATE watchlists SET lock_settings = $2 WHERE id = $1`, id, locked)
}

// Get reads a watchlist.
func Get(ctx context.Context, q store.Querier, id int64) (Watchlist, error) {
	w := Watchlist{ID: id}
	err := q.QueryRow(ctx, `SELECT name, lock_settings FROM watchlists WHERE id = $1`, id).Scan(&w.Name, &w.Locked)
	if errors.Is(err, store.ErrNoRows) {
		return w, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	if err != nil {
		return w, fmt.Errorf("watchlists: read %d: %w", id, err)
	}
	return w, nil
}

func scanWatchlist(rows store.Rows, w *Watchlist) error { return rows.Scan(&w.ID, &w.Name, &w.Locked) }

// All lists every watchlist, by name.
func All(ctx context.Context, q store.Querier) ([]Watchlist, error) {
	list, err := store.Collect(ctx, q, `SELECT id, name, lock_settings FROM watchlists ORDER BY lower(name), id`, scanWatchlist)
	if err != nil {
		return nil, fmt.Errorf("watchlists: list: %w", err)
	}
	return list, nil
}

// Of lists the watchlists an account views (manager false) or manages
// (manager true) through its groups.
func Of(ctx context.Context, q store.Querier, accountID int64, manager bool) ([]Watchlist, error) {
	list, err := store.Collect(ctx, q, `SELECT w.id, w.name, w.lock_settings FROM watchlists w
		WHERE EXISTS (SELECT 1 FROM watchlist_groups g JOIN group_members m ON m.group_id = g.group_id
			WHERE g.watchlist_id = w.id AND g.manager = $2 AND m.account_id = $1)
		ORDER BY lower(w.name), w.id`, scanWatchlist, accountID, manager)
	if err != nil {
		return nil, fmt.Errorf("watchlists: lists of %d: %w", accountID, err)
	}
	return list, nil
}

// InGroups reports whether an account is in one of a watchlist's view
// (manager false) or manager groups.
func InGroups(ctx context.Context, q store.Querier, id, accountID int64, manager bool) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM watchlist_groups g JOIN group_members m ON m.group_id = g.group_id
		WHERE g.watchlist_id = $1 AND g.manager = $3 AND m.account_id = $2)`, id, accountID, manager).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("watchlists: groups of %d: %w", id, err)
	}
	return ok, nil
}

// AddEntity puts a corporation or alliance on one of a list's lists.
func AddEntity(ctx context.Context, q store.Querier, id int64, list, kind string, entity int64) error {
	if err := validEntity(list, kind); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `INSERT INTO watchlist_entities (watchlist_id, list, kind, entity_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, id, list, kind, entity); err != nil {
		return fmt.Errorf("watchlists: add %s %d to %s of %d: %w", kind, entity, list, id, err)
	}
	return nil
}

// RemoveEntity takes a corporation or alliance off one of a list's lists.
func RemoveEntity(ctx context.Context, q store.Querier, id int64, list, kind string, entity int64) error {
	if err := validEntity(list, kind); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, `DELETE FROM watchlist_entities WHERE watchlist_id = $1 AND list = $2 AND kind = $3 AND entity_id = $4`,
		id, list, kind, entity); err != nil {
		return fmt.Errorf("watchlists: remove %s %d from %s of %d: %w", kind, entity, list, id, err)
	}
	return nil
}

// Entities lists what a watchlist's lists hold, with the names Keepstar
// knows, by list, kind and name.
func Entities(ctx context.Context, q store.Querier, id int64) ([]Entity, error) {
	list, err := store.Collect(ctx, q, `SELECT e.list, e.kind, e.entity_id, COALESCE(c.name, a.name, ''),
			(e.kind = 'corporation' AND e.list = 'allowlist' AND ac.corporation_id IS NOT NULL)
		FROM watchlist_entities e
		LEFT JOIN eve_corporations c ON e.kind = 'corporation' AND c.id = e.entity_id
		LEFT JOIN eve_alliances a ON e.kind = 'alliance' AND a.id = e.entity_id
		LEFT JOIN watchlist_auto_corporations ac ON ac.corporation_id = e.entity_id
		WHERE e.watchlist_id = $1
		ORDER BY e.list, e.kind, lower(COALESCE(c.name, a.name, '')), e.entity_id`, func(rows store.Rows, e *Entity) error {
		return rows.Scan(&e.List, &e.Kind, &e.ID, &e.Name, &e.Auto)
	}, id)
	if err != nil {
		return nil, fmt.Errorf("watchlists: entities of %d: %w", id, err)
	}
	return list, nil
}

// AddExemption exempts an account from a watchlist.
func AddExemption(ctx context.Context, q store.Querier, id, accountID int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO watchlist_exemptions (watchlist_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		id, accountID); err != nil {
		return fmt.Errorf("watchlists: exempt %d from %d: %w", accountID, id, err)
	}
	return nil
}

// RemoveExemption ends an account's exemption.
func RemoveExemption(ctx context.Context, q store.Querier, id, accountID int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM watchlist_exemptions WHERE watchlist_id = $1 AND account_id = $2`, id, accountID); err != nil {
		return fmt.Errorf("watchlists: end exemption of %d from %d: %w", accountID, id, err)
	}
	return nil
}

// Exemptions lists the accounts exempted from a watchlist, by id.
func Exemptions(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	ids, err := store.Column[int64](ctx, q, `SELECT account_id FROM watchlist_exemptions WHERE watchlist_id = $1 ORDER BY account_id`, id)
	if err != nil {
		return nil, fmt.Errorf("watchlists: exemptions of %d: %w", id, err)
	}
	return ids, nil
}

// Group is a group with access to a watchlist.
type Group struct {
	ID      int64
	Name    string
	Manager bool
}

// Groups lists a watchlist's view and manager groups, by name.
func Groups(ctx context.Context, q store.Querier, id int64) ([]Group, error) {
	list, err := store.Collect(ctx, q, `SELECT g.id, g.name, wg.manager FROM watchlist_groups wg JOIN groups g ON g.id = wg.group_id
		WHERE wg.watchlist_id = $1 ORDER BY wg.manager, lower(g.name), g.id`, func(rows store.Rows, g *Group) error {
		return rows.Scan(&g.ID, &g.Name, &g.Manager)
	}, id)
	if err != nil {
		return nil, fmt.Errorf("watchlists: groups of %d: %w", id, err)
	}
	return list, nil
}

// SetGroups makes a watchlist's view (manager false) or manager groups
// exactly groups.
func SetGroups(ctx context.Context, q store.Querier, id int64, manager bool, groups []int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM watchlist_groups WHERE watchlist_id = $1 AND manager = $2`, id, manager); err != nil {
		return fmt.Errorf("watchlists: set groups of %d: %w", id, err)
	}
	for _, g := range groups {
		if _, err := q.Exec(ctx, `INSERT INTO watchlist_groups (watchlist_id, group_id, manager) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, g, manager); err != nil {
			return fmt.Errorf("watchlists: set groups of %d: %w", id, err)
		}
	}
	return nil
}

// mergeAccounts keeps the loser's exemptions on the winner: both are the
// same person.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO watchlist_exemptions (watchlist_id, account_id)
		SELECT watchlist_id, $1 FROM watchlist_exemptions WHERE account_id = $2 ON CONFLICT DO NOTHING`, winner, loser); err != nil {
		return fmt.Errorf("watchlists: merge %d into %d: %w", loser, winner, err)
	}
	if _, err := q.Exec(ctx, `DELETE FROM watchlist_exemptions WHERE account_id = $1`, loser); err != nil {
		return fmt.Errorf("watchlists: merge %d into %d: %w", loser, winner, err)
	}
	return nil
}

// allGroups lists every group, by name, for the admins' choice of view and
// manager groups.
func allGroups(ctx context.Context, q store.Querier) ([]Group, error) {
	list, err := store.Collect(ctx, q, `SELECT id, name, false FROM groups ORDER BY lower(name), id`,
		func(rows store.Rows, g *Group) error { return rows.Scan(&g.ID, &g.Name, &g.Manager) })
	if err != nil {
		return nil, fmt.Errorf("watchlists: groups: %w", err)
	}
	return list, nil
}

// accountsOfCharacters maps characters to their accounts; those on none
// are missing.
func accountsOfCharacters(ctx context.Context, q store.Querier, characters []int32) (map[int32]int64, error) {
	out := map[int32]int64{}
	if len(characters) == 0 {
		return out, nil
	}
	in, args := store.In(characters)
	err := store.Each(ctx, q, `SELECT id, account_id FROM characters WHERE id IN (`+in+`)`, func(rows store.Rows) error {
		var c int32
		var a int64
		if err := rows.Scan(&c, &a); err != nil {
			return err
		}
		out[c] = a
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("watchlists: accounts of characters: %w", err)
	}
	return out, nil
}
