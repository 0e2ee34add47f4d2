package watchlists

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
)

// MembershipScope is the scope a member's token needs for ESI to list its
// corporation's members.
const MembershipScope = "esi-corporations.read_corporation_membership.v1"

// Members reads a corporation's members with a member's token of a login
// (esi.Client).
type Members interface {
	CorporationMembers(ctx context.Context, corpID, characterID int32, login string) ([]int32, error)
}

// AutoAllowlistArgs is the periodic auto-allowlist job.
type AutoAllowlistArgs struct{}

// Kind names the job in the queue.
func (AutoAllowlistArgs) Kind() string { return "watchlists_auto_allowlist" }

// autoTimeout bounds a pass: one ESI call per corporation considered.
const autoTimeout = 15 * time.Minute

type autoAllowlist struct {
	db      *store.DB
	members Members
	logger  *slog.Logger
	now     func() time.Time
}

func newAutoAllowlist(c *core.Core) *autoAllowlist {
	a := &autoAllowlist{db: c.DB, logger: c.Logger, now: time.Now}
	if c.ESI != nil {
		a.members = c.ESI
	}
	return a
}

func (a *autoAllowlist) register(reg *jobs.Registry) {
	jobs.Add(reg, &autoWorker{a: a})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return AutoAllowlistArgs{} }, Every: 24 * time.Hour, Priority: 4,
		Summary: "Allowlist on every watchlist the player corporations whose members are all on one account, and take them off when no longer.",
		Label:   "watchlists.job.auto", Help: "watchlists.job.auto_help"})
}

type autoWorker struct {
	river.WorkerDefaults[AutoAllowlistArgs]
	a *autoAllowlist
}

func (w *autoWorker) Timeout(*river.Job[AutoAllowlistArgs]) time.Duration { return autoTimeout }

func (w *autoWorker) Work(ctx context.Context, _ *river.Job[AutoAllowlistArgs]) error {
	_, err := w.a.Run(ctx)
	return err
}

// AutoResult is what a pass did.
type AutoResult struct {
	Checked, Added, Removed, Skipped int
}

// Run is one pass of the auto-allowlist, Neucore's: the corporations
// considered are the player corporations of the characters of the accounts
// on some warning list, and those flagged already. Each one's members are
// read with a member's token holding MembershipScope; a corporation whose
// members are all characters of one account gets the auto flag and joins
// every list's allowlist, one flagged that no longer qualifies loses both
// (the flag is the corporation's, for all lists; the automatic decision
// takes precedence over a manager's). A corporation without such a token,
// or whose members ESI refuses, is left as it is.
func (a *autoAllowlist) Run(ctx context.Context) (AutoResult, error) {
	var res AutoResult
	if a.members == nil {
		return res, errors.New("watchlists: auto-allowlist: no ESI client")
	}
	corps, err := a.candidates(ctx)
	if err != nil {
		return res, err
	}
	for _, corp := range corps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		character, login, err := memberToken(ctx, a.db, corp)
		if errors.Is(err, store.ErrNoRows) {
			res.Skipped++
			continue
		}
		if err != nil {
			return res, err
		}
		members, err := a.members.CorporationMembers(ctx, int32(corp), int32(character), login)
		if err != nil {
			a.logger.WarnContext(ctx, "watchlists: corporation members not read", "corporation", corp, "character", character, "error", err)
			res.Skipped++
			continue
		}
		res.Checked++
		one, err := oneAccount(ctx, a.db, members)
		if err != nil {
			return res, err
		}
		changed, err := a.setAuto(ctx, corp, one)
		if err != nil {
			return res, err
		}
		switch {
		case changed && one:
			res.Added++
		case changed:
			res.Removed++
		}
	}
	a.logger.InfoContext(ctx, "watchlists: auto-allowlist", "checked", res.Checked, "added", res.Added, "removed", res.Removed,
		"skipped", res.Skipped)
	return res, nil
}

// candidates lists the corporations a pass considers, by id.
func (a *autoAllowlist) candidates(ctx context.Context) ([]int64, error) {
	lists, err := All(ctx, a.db)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var out []int64
	add := func(id int64) {
		if !IsNPC(id) && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, l := range lists {
		ids, err := Warnings(ctx, a.db, l.ID)
		if err != nil {
			return nil, err
		}
		kick, err := Kicklist(ctx, a.db, l.ID)
		if err != nil {
			return nil, err
		}
		ids = append(ids, kick...)
		for in, args := range store.InChunks(ids) {
			corps, err := store.Column[int64](ctx, a.db, `SELECT DISTINCT corporation_id FROM characters
				WHERE account_id IN (`+in+`) AND corporation_id IS NOT NULL ORDER BY corporation_id`, args...)
			if err != nil {
				return nil, fmt.Errorf("watchlists: auto-allowlist candidates: %w", err)
			}
			for _, c := range corps {
				add(c)
			}
		}
	}
	flagged, err := store.Column[int64](ctx, a.db, `SELECT corporation_id FROM watchlist_auto_corporations ORDER BY corporation_id`)
	if err != nil {
		return nil, fmt.Errorf("watchlists: auto-allowlist flags: %w", err)
	}
	for _, c := range flagged {
		add(c)
	}
	return out, nil
}

// memberToken finds a valid token with MembershipScope of a character
// Keepstar has in the corporation; store.ErrNoRows when none.
func memberToken(ctx context.Context, q store.Querier, corp int64) (character int64, login string, err error) {
	err = q.QueryRow(ctx, `SELECT t.character_id, t.login FROM eve_tokens t JOIN characters c ON c.id = t.character_id
		WHERE c.corporation_id = $1 AND t.validity = 'valid' AND (' ' || t.scopes || ' ') LIKE $2
		ORDER BY t.character_id, t.login LIMIT 1`, corp, "% "+MembershipScope+" %").Scan(&character, &login)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		err = fmt.Errorf("watchlists: token of corporation %d: %w", corp, err)
	}
	return character, login, err
}

// oneAccount reports whether every member is a character of one and the
// same account.
func oneAccount(ctx context.Context, q store.Querier, members []int32) (bool, error) {
	if len(members) == 0 {
		return false, nil
	}
	accounts := map[int64]bool{}
	found := 0
	for in, args := range store.InChunks(members) {
		err := store.Each(ctx, q, `SELECT account_id FROM characters WHERE id IN (`+in+`)`, func(rows store.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			accounts[id] = true
			found++
			return nil
		}, args...)
		if err != nil {
			return false, fmt.Errorf("watchlists: accounts of members: %w", err)
		}
	}
	return found == len(members) && len(accounts) == 1, nil
}

// setAuto sets or clears a corporation's auto flag and its place on every
// allowlist; changed reports whether the flag changed.
func (a *autoAllowlist) setAuto(ctx context.Context, corp int64, on bool) (changed bool, err error) {
	err = a.db.InTx(ctx, func(tx *store.Tx) error {
		var n int64
		var err error
		if on {
			n, err = tx.Exec(ctx, `INSERT INTO watchlist_auto_corporations (corporation_id, since) VALUES ($1, $2)
				ON CONFLICT DO NOTHING`, corp, a.now().UTC())
			if err == nil {
				// WHERE true: SQLite would read ON as a join's.
				_, err = tx.Exec(ctx, `INSERT INTO watchlist_entities (watchlist_id, list, kind, entity_id)
					SELECT id, 'allowlist', 'corporation', $1 FROM watchlists WHERE true ON CONFLICT DO NOTHING`, corp)
			}
		} else {
			n, err = tx.Exec(ctx, `DELETE FROM watchlist_auto_corporations WHERE corporation_id = $1`, corp)
			if err == nil && n > 0 {
				_, err = tx.Exec(ctx, `DELETE FROM watchlist_entities WHERE list = 'allowlist' AND kind = 'corporation' AND entity_id = $1`, corp)
			}
		}
		changed = n > 0
		return err
	})
	if err != nil {
		return false, fmt.Errorf("watchlists: auto flag of %d: %w", corp, err)
	}
	if changed {
		a.logger.InfoContext(ctx, "watchlists: auto-allowlist changed", "corporation", corp, "allowlisted", on)
	}
	return changed, nil
}
