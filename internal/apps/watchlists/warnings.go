package watchlists

import (
	"context"
	"fmt"
	"strconv"

	"github.com/keepstar/keepstar/internal/store"
)

// on is the condition "the character alias's corporation or alliance is on
// list" of the watchlist $1, as two lookups of the entities' primary key
// (an OR inside one lookup would keep the planners from using it).
func on(alias, list string) string {
	return `(EXISTS (SELECT 1 FROM watchlist_entities e WHERE e.watchlist_id = $1 AND e.list = '` + list + `'
			AND e.kind = 'corporation' AND e.entity_id = ` + alias + `.corporation_id)
		OR (` + alias + `.alliance_id IS NOT NULL AND EXISTS (SELECT 1 FROM watchlist_entities e WHERE e.watchlist_id = $1
			AND e.list = '` + list + `' AND e.kind = 'alliance' AND e.entity_id = ` + alias + `.alliance_id)))`
}

// accountsQuery is the one statement behind the warning list (kicked
// false) and the kicklist view (kicked true), Neucore's rule: the accounts
// with a character in a watched corporation or alliance (found through the
// characters' corporation and alliance indexes), that have another
// character in a player corporation that neither it nor its alliance is
// watched or allowlisted (through the index on account and corporation),
// not exempted; then those without (warning list) or with (kicklist) a
// character in a kicklist entity. Its cost follows the number of watched
// accounts, not of all accounts.
func accountsQuery(kicked bool) string {
	kick := "NOT EXISTS"
	if kicked {
		kick = "EXISTS"
	}
	return `WITH watched AS (
		SELECT c.account_id FROM watchlist_entities e JOIN characters c ON c.corporation_id = e.entity_id
			WHERE e.watchlist_id = $1 AND e.list = 'watched' AND e.kind = 'corporation'
		UNION
		SELECT c.account_id FROM watchlist_entities e JOIN characters c ON c.alliance_id = e.entity_id
			WHERE e.watchlist_id = $1 AND e.list = 'watched' AND e.kind = 'alliance')
	SELECT w.account_id FROM watched w
	WHERE EXISTS (SELECT 1 FROM characters o WHERE o.account_id = w.account_id
			AND o.corporation_id > ` + strconv.Itoa(npcLast) + `
			AND NOT ` + on("o", ListWatched) + ` AND NOT ` + on("o", ListAllowlist) + `)
		AND NOT EXISTS (SELECT 1 FROM watchlist_exemptions x WHERE x.watchlist_id = $1 AND x.account_id = w.account_id)
		AND ` + kick + ` (SELECT 1 FROM characters k WHERE k.account_id = w.account_id AND ` + on("k", ListKicklist) + `)
	ORDER BY w.account_id`
}

var (
	warningQuery  = accountsQuery(false)
	kicklistQuery = accountsQuery(true)
)

// Warnings lists the accounts of a watchlist's warning list, by id.
func Warnings(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	ids, err := store.Column[int64](ctx, q, warningQuery, id)
	if err != nil {
		return nil, fmt.Errorf("watchlists: warning list of %d: %w", id, err)
	}
	return ids, nil
}

// Kicklist lists the accounts of a watchlist's kicklist view, by id.
func Kicklist(ctx context.Context, q store.Querier, id int64) ([]int64, error) {
	ids, err := store.Column[int64](ctx, q, kicklistQuery, id)
	if err != nil {
		return nil, fmt.Errorf("watchlists: kicklist of %d: %w", id, err)
	}
	return ids, nil
}

// Character is a character as the lists show it.
type Character struct {
	ID              int64
	Name            string
	Main            bool
	CorporationID   int64
	CorporationName string
	AllianceID      int64
	AllianceName    string
}

// Account is an account as the lists show it: its main's name and every
// character.
type Account struct {
	ID         int64
	Name       string
	Characters []Character
}

// AccountsOf reads accounts with their characters and affiliations, in
// the order of ids.
func AccountsOf(ctx context.Context, q store.Querier, ids []int64) ([]Account, error) {
	out := make([]Account, len(ids))
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		out[i].ID = id
		at[id] = i
	}
	for in, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, `SELECT a.id, a.name, c.id, c.name, c.main, COALESCE(c.corporation_id, 0), COALESCE(co.name, ''),
				COALESCE(c.alliance_id, 0), COALESCE(al.name, '')
			FROM accounts a JOIN characters c ON c.account_id = a.id
			LEFT JOIN eve_corporations co ON co.id = c.corporation_id
			LEFT JOIN eve_alliances al ON al.id = c.alliance_id
			WHERE a.id IN (`+in+`) ORDER BY c.main DESC, lower(c.name), c.id`, func(rows store.Rows) error {
			var accountID int64
			var name string
			var c Character
			if err := rows.Scan(&accountID, &name, &c.ID, &c.Name, &c.Main, &c.CorporationID, &c.CorporationName,
				&c.AllianceID, &c.AllianceName); err != nil {
				return err
			}
			a := &out[at[accountID]]
			a.Name = name
			a.Characters = append(a.Characters, c)
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("watchlists: accounts: %w", err)
		}
	}
	return out, nil
}
