package access

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// Recomputer applies the engine to the accounts in the database: it loads
// the facts of many accounts in a few queries, computes each, and writes
// back only what changed, in batches, with one event per change.
type Recomputer struct {
	db       *store.DB
	settings *settings.Store
	now      func() time.Time
	follower Follower
}

// NewRecomputer makes a Recomputer; now nil means time.Now.
func NewRecomputer(db *store.DB, st *settings.Store, now func() time.Time) *Recomputer {
	if now == nil {
		now = time.Now
	}
	return &Recomputer{db: db, settings: st, now: now}
}

// FollowWith makes f follow every change the recomputer writes, in its
// transaction. It is set once, before the process serves or works.
func (r *Recomputer) FollowWith(f Follower) { r.follower = f }

// Stats tell what a recomputation did.
type Stats struct {
	Accounts       int
	StateChanges   int
	GroupsAdded    int
	GroupsRemoved  int
	RolesRemoved   int
	Deactivations  int
	AutogroupsMade int
	AutogroupsGone int
	Took           time.Duration
	// Problems are the configuration's (Config.Problems).
	Problems []string
}

func (s *Stats) add(o Stats) {
	s.StateChanges += o.StateChanges
	s.GroupsAdded += o.GroupsAdded
	s.GroupsRemoved += o.GroupsRemoved
	s.RolesRemoved += o.RolesRemoved
	s.Deactivations += o.Deactivations
}

// chunk bounds the ids of one IN list and the accounts written per
// transaction.
const chunk = 500

// writeBatch is how many accounts' changes one transaction writes, so that
// a full recomputation never holds SQLite's single writer for long.
const writeBatch = 5000

// All recomputes every account.
func (r *Recomputer) All(ctx context.Context) (Stats, error) { return r.run(ctx, nil) }

// allIfChanged recomputes every account unless the rules did not change
// since the last full recomputation started (and force is false).
func (r *Recomputer) allIfChanged(ctx context.Context, force bool) (Stats, bool, error) {
	var config, applied int64
	err := r.db.QueryRow(ctx, `SELECT (SELECT value FROM access_versions WHERE name = 'config'),
		(SELECT value FROM access_versions WHERE name = 'applied')`).Scan(&config, &applied)
	if err != nil {
		return Stats{}, false, fmt.Errorf("access: versions: %w", err)
	}
	if !force && applied >= config {
		return Stats{}, true, nil
	}
	stats, err := r.All(ctx)
	if err != nil {
		return stats, false, err
	}
	if _, err := r.db.Exec(ctx, `UPDATE access_versions SET value = $1 WHERE name = 'applied' AND value < $1`, config); err != nil {
		return stats, false, fmt.Errorf("access: versions: %w", err)
	}
	return stats, false, nil
}

// Accounts recomputes the given accounts.
func (r *Recomputer) Accounts(ctx context.Context, ids []int64) (Stats, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return Stats{}, nil
	}
	return r.run(ctx, ids)
}

// Affected lists the accounts with a character in any of the corporations
// or alliances, the accounts an affiliation change concerns.
func Affected(ctx context.Context, q *store.DB, corporations, alliances []int32) ([]int64, error) {
	var out []int64
	for _, list := range []struct {
		column string
		ids    []int32
	}{{"corporation_id", corporations}, {"alliance_id", alliances}} {
		for part := range slices.Chunk(list.ids, chunk) {
			accounts, err := store.Column[int64](ctx, q, `SELECT DISTINCT account_id FROM characters WHERE `+list.column+` IN (`+store.Marks(q.Dialect(), 1, len(part))+`)`,
				store.Args(part)...)
			if err != nil {
				return nil, fmt.Errorf("access: %w", err)
			}
			out = append(out, accounts...)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out))), nil
}

// stored is what the database says of an account now.
type stored struct {
	name        string
	state       int64
	deactivated Deactivated
}

// run recomputes ids (nil: all accounts).
func (r *Recomputer) run(ctx context.Context, ids []int64) (Stats, error) {
	started := time.Now()
	// Not the cached values: the change of a setting that queued this run
	// may have been saved by another process a moment ago.
	values, err := r.settings.Current(ctx)
	if err != nil {
		return Stats{}, err
	}
	cfg, nm, err := loadConfig(ctx, r.db, values, r.now())
	if err != nil {
		return Stats{}, err
	}
	facts, was, err := loadFacts(ctx, r.db, ids, cfg.Deactivation.Enabled)
	if err != nil {
		return Stats{}, err
	}
	results := make(map[int64]Result, len(facts))
	missing := map[AutogroupKey]bool{}
	var waiting []int64
	for id, f := range facts {
		res := Compute(*f, cfg)
		results[id] = res
		if len(res.MissingAutogroups) > 0 {
			waiting = append(waiting, id)
			for _, k := range res.MissingAutogroups {
				missing[k] = true
			}
		}
	}
	stats := Stats{Accounts: len(facts), Problems: cfg.Problems}
	if len(missing) > 0 {
		// Make the autogroups accounts belong in, then compute those
		// accounts again with them.
		if stats.AutogroupsMade, err = r.makeAutogroups(ctx, slices.Collect(maps.Keys(missing))); err != nil {
			return stats, err
		}
		if cfg, nm, err = loadConfig(ctx, r.db, values, r.now()); err != nil {
			return stats, err
		}
		for _, id := range waiting {
			results[id] = Compute(*facts[id], cfg)
		}
	}
	order := slices.Sorted(maps.Keys(facts))
	for part := range slices.Chunk(order, writeBatch) {
		var s Stats
		err := r.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			s, err = r.apply(ctx, tx, part, facts, was, results, nm)
			return err
		})
		if err != nil {
			return stats, err
		}
		stats.add(s)
	}
	// Autogroups nobody is in any more go (Alliance Auth creates them for
	// their first member and removes them with their last).
	n, err := r.db.Exec(ctx, `DELETE FROM groups WHERE autogroup_config IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = groups.id)`)
	if err != nil {
		return stats, fmt.Errorf("access: remove empty autogroups: %w", err)
	}
	stats.AutogroupsGone = int(n)
	stats.Took = time.Since(started)
	return stats, nil
}

// loadFacts reads the facts of ids (nil: every account).
func loadFacts(ctx context.Context, q *store.DB, ids []int64, tokens bool) (map[int64]*Facts, map[int64]stored, error) {
	d := q.Dialect()
	facts := map[int64]*Facts{}
	was := map[int64]stored{}
	// scoped runs a query over all accounts, or over ids chunk by chunk;
	// where is the condition on the account id column, with $1.. for the
	// chunk.
	scoped := func(query, column string, fn func(store.Rows) error) error {
		if ids == nil {
			if err := store.Each(ctx, q, query, fn); err != nil {
				return fmt.Errorf("access: %w", err)
			}
			return nil
		}
		for part := range slices.Chunk(ids, chunk) {
			cond := column + ` IN (` + store.Marks(d, 1, len(part)) + `)`
			qq := query
			if strings.Contains(qq, " WHERE ") {
				qq += " AND " + cond
			} else {
				qq += " WHERE " + cond
			}
			if err := store.Each(ctx, q, qq, fn, store.Args(part)...); err != nil {
				return fmt.Errorf("access: %w", err)
			}
		}
		return nil
	}
	err := scoped(`SELECT id, name, status, active, COALESCE(state_id, 0), groups_deactivated FROM accounts`, "id", func(rows store.Rows) error {
		f := &Facts{}
		var s stored
		var status string
		if err := rows.Scan(&f.AccountID, &s.name, &status, &f.Active, &s.state, &s.deactivated); err != nil {
			return err
		}
		f.Managed = status == "managed"
		facts[f.AccountID], was[f.AccountID] = f, s
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = scoped(`SELECT account_id, id, main, COALESCE(corporation_id, 0), COALESCE(alliance_id, 0), COALESCE(faction_id, 0) FROM characters`, "account_id",
		func(rows store.Rows) error {
			var acc int64
			var c Character
			var main bool
			if err := rows.Scan(&acc, &c.ID, &main, &c.CorporationID, &c.AllianceID, &c.FactionID); err != nil {
				return err
			}
			if f := facts[acc]; f != nil {
				f.Characters = append(f.Characters, c)
				if main {
					m := c
					f.Main = &m
				}
			}
			return nil
		})
	if err != nil {
		return nil, nil, err
	}
	err = scoped(`SELECT account_id, group_id FROM group_members`, "account_id", func(rows store.Rows) error {
		var acc, g int64
		if err := rows.Scan(&acc, &g); err != nil {
			return err
		}
		if f := facts[acc]; f != nil {
			f.Groups = append(f.Groups, g)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = scoped(`SELECT account_id, permission FROM account_permissions`, "account_id", func(rows store.Rows) error {
		var acc int64
		var p string
		if err := rows.Scan(&acc, &p); err != nil {
			return err
		}
		if f := facts[acc]; f != nil {
			f.Permissions = append(f.Permissions, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = scoped(`SELECT account_id, role FROM account_roles`, "account_id", func(rows store.Rows) error {
		var acc int64
		var role string
		if err := rows.Scan(&acc, &role); err != nil {
			return err
		}
		if f := facts[acc]; f != nil {
			f.Roles = append(f.Roles, role)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if tokens {
		err = scoped(`SELECT c.account_id, c.id, t.validity, t.scopes, t.invalid_since
			FROM characters c JOIN eve_tokens t ON t.character_id = c.id AND t.login = 'core.default'`, "c.account_id",
			func(rows store.Rows) error {
				var acc int64
				var t Token
				var validity, scopes string
				var since *time.Time
				if err := rows.Scan(&acc, &t.CharacterID, &validity, &scopes, &since); err != nil {
					return err
				}
				t.Present, t.Valid, t.HasScopes = true, validity == "valid", scopes != ""
				if since != nil {
					t.InvalidSince = *since
				}
				if f := facts[acc]; f != nil {
					f.Tokens = append(f.Tokens, t)
				}
				return nil
			})
		if err != nil {
			return nil, nil, err
		}
	}
	return facts, was, nil
}

// logEntry is one row of group_log, for a removal the engine made. What
// the engine gives is not logged: nobody asked for it, and a first
// recomputation would write a line per member of every mapped group; what
// it takes away is, so that "why was I removed?" has an answer.
type logEntry struct {
	group   int64
	account int64
	request string // removed
}

// apply writes what changed for some accounts, in the caller's transaction.
func (r *Recomputer) apply(ctx context.Context, tx *store.Tx, ids []int64, facts map[int64]*Facts, was map[int64]stored,
	results map[int64]Result, nm names) (Stats, error) {
	var s Stats
	now := r.now()
	byState := map[int64][]int64{}
	byDeactivation := map[Deactivated][]int64{}
	added := map[int64][]int64{}   // group: accounts
	removed := map[int64][]int64{} // group: accounts
	lostRoles := map[string][]int64{}
	var events []Event
	var log []logEntry
	for _, id := range ids {
		f, res, old := facts[id], results[id], was[id]
		if res.StateID != 0 && res.StateID != old.state {
			byState[res.StateID] = append(byState[res.StateID], id)
			events = append(events, Event{AccountID: id, Kind: EventStateChanged, StateID: res.StateID, At: now})
		}
		if res.Deactivated != old.deactivated {
			byDeactivation[res.Deactivated] = append(byDeactivation[res.Deactivated], id)
			events = append(events, Event{AccountID: id, Kind: EventDeactivationChanged, Detail: string(res.Deactivated), At: now})
		}
		before, after := set(f.Groups), set(res.Groups)
		for _, g := range res.Groups {
			if !before[g] {
				added[g] = append(added[g], id)
				events = append(events, Event{AccountID: id, Kind: EventGroupAdded, GroupID: g, At: now})
			}
		}
		for _, g := range slices.Sorted(maps.Keys(before)) {
			if !after[g] {
				removed[g] = append(removed[g], id)
				events = append(events, Event{AccountID: id, Kind: EventGroupRemoved, GroupID: g, At: now})
				log = append(log, logEntry{group: g, account: id, request: "removed"})
			}
		}
		kept := set(res.Roles)
		for _, role := range f.Roles {
			if !kept[role] {
				lostRoles[role] = append(lostRoles[role], id)
			}
		}
	}
	for state, accs := range byState {
		s.StateChanges += len(accs)
		if err := inChunks(ctx, tx, `UPDATE accounts SET state_id = $1 WHERE id IN (%s)`, []any{state}, accs); err != nil {
			return s, err
		}
	}
	for d, accs := range byDeactivation {
		s.Deactivations += len(accs)
		if err := inChunks(ctx, tx, `UPDATE accounts SET groups_deactivated = $1 WHERE id IN (%s)`, []any{string(d)}, accs); err != nil {
			return s, err
		}
	}
	for g, accs := range removed {
		s.GroupsRemoved += len(accs)
		if err := inChunks(ctx, tx, `DELETE FROM group_members WHERE group_id = $1 AND account_id IN (%s)`, []any{g}, accs); err != nil {
			return s, err
		}
	}
	var rows [][]any
	for g, accs := range added {
		s.GroupsAdded += len(accs)
		for _, a := range accs {
			rows = append(rows, []any{a, g, now})
		}
	}
	if err := insertRows(ctx, tx, bulk{table: "group_members", columns: "account_id, group_id, since",
		types: []string{"bigint", "bigint", "timestamptz"}, tail: "ON CONFLICT (account_id, group_id) DO NOTHING"}, rows); err != nil {
		return s, err
	}
	for role, accs := range lostRoles {
		s.RolesRemoved += len(accs)
		if err := inChunks(ctx, tx, `DELETE FROM account_roles WHERE role = $1 AND account_id IN (%s)`, []any{role}, accs); err != nil {
			return s, err
		}
	}
	if err := WriteEvents(ctx, tx, events...); err != nil {
		return s, err
	}
	if err := r.follower.follow(ctx, tx, eventAccounts(events), "access recomputed"); err != nil {
		return s, err
	}
	rows = rows[:0]
	for _, l := range log {
		rows = append(rows, []any{l.group, nm.groups[l.group], l.account, was[l.account].name, l.request, "auto", "", now})
	}
	if err := insertRows(ctx, tx, bulk{table: "group_log", columns: "group_id, group_name, account_id, main_name, request, action, actor_name, at",
		types: []string{"bigint", "text", "bigint", "text", "text", "text", "text", "timestamptz"}}, rows); err != nil {
		return s, err
	}
	return s, nil
}

// inChunks runs query (with %s for the ids' placeholders, after args) for
// ids in chunks.
func inChunks(ctx context.Context, q *store.Tx, query string, args []any, ids []int64) error {
	for part := range slices.Chunk(ids, chunk) {
		if _, err := q.Exec(ctx, fmt.Sprintf(query, store.Marks(q.Dialect(), len(args)+1, len(part))), store.Args(part, args...)...); err != nil {
			return fmt.Errorf("access: %w", err)
		}
	}
	return nil
}

// bulk describes a bulk insert: the table, its columns, their PostgreSQL
// types, and what follows the rows (ON CONFLICT ...).
type bulk struct {
	table, columns string
	types          []string
	tail           string
}

// sqliteParams bounds the placeholders of one SQLite statement (its limit
// is 32,766).
const sqliteParams = 8000

// insertRows inserts many rows, each dialect its own way: PostgreSQL takes
// every column as one array (unnest), in one statement; SQLite takes
// multi-row VALUES of "?" placeholders, thousands per statement.
func insertRows(ctx context.Context, tx *store.Tx, b bulk, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.Dialect() == config.Postgres {
		args := make([]any, len(b.types))
		casts := make([]string, len(b.types))
		for c, t := range b.types {
			casts[c] = fmt.Sprintf("$%d::%s[]", c+1, t)
			col := make([]any, len(rows))
			for i, row := range rows {
				col[i] = row[c]
			}
			args[c] = col
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+b.table+` (`+b.columns+`) SELECT * FROM unnest(`+strings.Join(casts, ", ")+`) `+b.tail, args...); err != nil {
			return fmt.Errorf("access: insert into %s: %w", b.table, err)
		}
		return nil
	}
	row := "(" + store.Marks(config.SQLite, 1, len(b.types)) + ")"
	for part := range slices.Chunk(rows, sqliteParams/len(b.types)) {
		args := make([]any, 0, len(part)*len(b.types))
		for _, r := range part {
			args = append(args, r...)
		}
		values := strings.TrimSuffix(strings.Repeat(row+", ", len(part)), ", ")
		if _, err := tx.Exec(ctx, `INSERT INTO `+b.table+` (`+b.columns+`) VALUES `+values+` `+b.tail, args...); err != nil {
			return fmt.Errorf("access: insert into %s: %w", b.table, err)
		}
	}
	return nil
}

func nullInt(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// Account gives what the engine makes of one account now, with the rules
// it applied: for pages that explain, and for checks before a change.
func (r *Recomputer) Account(ctx context.Context, id int64) (*Config, Facts, Result, error) {
	values, err := r.settings.Values(ctx)
	if err != nil {
		return nil, Facts{}, Result{}, err
	}
	cfg, _, err := loadConfig(ctx, r.db, values, r.now())
	if err != nil {
		return nil, Facts{}, Result{}, err
	}
	facts, _, err := loadFacts(ctx, r.db, []int64{id}, cfg.Deactivation.Enabled)
	if err != nil {
		return nil, Facts{}, Result{}, err
	}
	f, ok := facts[id]
	if !ok {
		return nil, Facts{}, Result{}, fmt.Errorf("access: no account %d", id)
	}
	return cfg, *f, Compute(*f, cfg), nil
}
