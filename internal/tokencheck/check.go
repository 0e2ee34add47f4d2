package tokencheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// SettingCheckHours is the period in which every token is checked once.
var SettingCheckHours = settings.Definition{Name: "tokens.check_hours", Section: "tokencheck.settings.section.tokens",
	Kind: settings.KindInt, Default: "6", Min: 1, Max: 168,
	Label: "tokencheck.settings.tokens.check_hours", Help: "tokencheck.settings.tokens.check_hours_help"}

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingCheckHours, SettingLostAccessDays}

// Tokens is what the check needs of the stored tokens (*tokens.Store).
type Tokens interface {
	Due(ctx context.Context, before time.Time, limit int) ([]tokens.Key, error)
	CountValid(ctx context.Context) (int, error)
	SetHasRoles(ctx context.Context, q store.Querier, characterID int32, login string, has bool) error
}

// Source forces the refresh of a token (*tokens.Source).
type Source interface {
	Check(ctx context.Context, characterID int32, login string, since time.Time) (string, error)
}

// Logins lists the EVE logins and the in-game roles each requires
// (*logins.Store).
type Logins interface {
	List(ctx context.Context) ([]logins.Login, error)
}

// Roles reads a character's in-game roles with an access token in hand
// (*esi.Client).
type Roles interface {
	CharacterRoles(ctx context.Context, characterID int32, accessToken string) ([]string, error)
}

// Accounts are the account rules the check applies (*accounts.Accounts).
type Accounts interface {
	AccountsOf(ctx context.Context, q store.Querier, characterIDs []int32) ([]int64, error)
	Remove(ctx context.Context, tx *store.Tx, characterID int32, reason accounts.Reason) error
	ApplyAffiliations(ctx context.Context, affs []esi.Affiliation) ([]int32, error)
}

// Affiliations looks up characters' corporations through ESI
// (*affiliations.Directory).
type Affiliations interface {
	Lookup(ctx context.Context, characterIDs []int32) ([]esi.Affiliation, error)
}

// Recomputer recomputes accounts' access (*access.Recomputer).
type Recomputer interface {
	Accounts(ctx context.Context, ids []int64) (access.Stats, error)
}

var (
	_ Tokens     = (*tokens.Store)(nil)
	_ Source     = (*tokens.Source)(nil)
	_ Logins     = (*logins.Store)(nil)
	_ Roles      = (*esi.Client)(nil)
	_ Accounts   = (*accounts.Accounts)(nil)
	_ Recomputer = (*access.Recomputer)(nil)
)

// Deps are what a Checker uses.
type Deps struct {
	// DB runs the transaction of a removal.
	DB     *store.DB
	Tokens Tokens
	// Source is nil when no EVE application is configured: there is then
	// no SSO to ask, and a run checks nothing.
	Source       Source
	Logins       Logins
	Roles        Roles
	Accounts     Accounts
	Affiliations Affiliations
	Recomputer   Recomputer
	// Notifier tells members of their characters' invalid tokens before
	// the lost-access removal; nil sends nothing (the removals still wait
	// for the deadlines).
	Notifier Notifier
	Settings *settings.Store
	Logger   *slog.Logger // nil discards
	// Now is the clock that says which tokens are due and which deadlines
	// of lost access have passed; nil means time.Now.
	Now func() time.Time
	// Concurrency bounds the refreshes under way at once; 0 means
	// DefaultConcurrency.
	Concurrency int
}

// DefaultConcurrency is how many tokens a run refreshes at once: enough to
// keep the SSO's latency from setting the pace, few enough to stay polite
// to it and to leave SQLite's single writer time for the rest.
const DefaultConcurrency = 12

// maxUnavailableInARow is how many checks in a row may fail (the SSO down,
// timing out, answering 5xx) before a run gives up: with 12 at once, that
// is two rounds of failures with nothing in between.
const maxUnavailableInARow = 24

// followUpTimeout bounds the work after the refreshes (removals, the
// affiliations of invalid tokens, the recomputation), which runs even when
// the run's own time is up, so that what the refreshes found is acted on.
const followUpTimeout = 2 * time.Minute

// Checker checks tokens.
type Checker struct {
	d Deps
}

// New makes a Checker.
func New(d Deps) *Checker {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Concurrency <= 0 {
		d.Concurrency = DefaultConcurrency
	}
	return &Checker{d: d}
}

// Scope says which tokens a run checks.
type Scope struct {
	// All checks every valid token not checked since Since (a run asked
	// for by hand). Otherwise the run takes the share of one tick: the
	// tokens last checked more than a period ago, the oldest first, at
	// most Share of them.
	All bool
	// Since is when the run was asked for: a token checked at or after it
	// (by this run before a retry, a login, an ESI call) is not refreshed
	// again.
	Since time.Time
	// Tick is the schedule's interval, which sizes a scheduled run's share.
	Tick time.Duration
	// StopAt, when set, is when the run stops taking tokens (More in the
	// report): the job sets it (StopAt) so that the refreshes under way
	// and what follows them end within the job's time.
	StopAt time.Time
}

// Share is how many tokens one tick checks: twice an even spread of the
// tokens over the period, so a backlog is caught up within half a period
// and never all at once.
func Share(tokens int, tick, period time.Duration) int {
	if tokens <= 0 || tick <= 0 || period <= 0 {
		return 0
	}
	return int(math.Ceil(2 * float64(tokens) * tick.Seconds() / period.Seconds()))
}

// Report tells what a run did.
type Report struct {
	// Due is how many tokens the run set out to check.
	Due int
	// Valid, Invalid and OwnerChanged count the tokens the SSO answered
	// for: still good, refused (marked invalid), refreshed for a new owner.
	Valid, Invalid, OwnerChanged int
	// Unavailable counts the tokens left unchecked because the SSO (or the
	// database) failed; they are untouched.
	Unavailable int
	// Skipped counts the tokens checked since the run began by someone
	// else, or deleted meanwhile.
	Skipped int
	// RolesRead counts the tokens whose in-game roles were read and
	// recorded, RolesMissing those of them that lacked a role, RolesUnread
	// those left as they were because ESI failed or was limited.
	RolesRead, RolesMissing, RolesUnread int
	// RemovedOwnerChanged, RemovedBiomassed and RemovedLostAccess count
	// the characters removed from their accounts.
	RemovedOwnerChanged, RemovedBiomassed, RemovedLostAccess int
	// LostAccessNoticed and LostAccessReminded count the accounts told that
	// a character's token is invalid, first and last (see lostAccess).
	LostAccessNoticed, LostAccessReminded int
	// Recomputed counts the accounts recomputed.
	Recomputed int
	// More: the run's time ran out with tokens still due.
	More bool
	Took time.Duration
}

// Checked counts the tokens the SSO answered for.
func (r Report) Checked() int { return r.Valid + r.Invalid + r.OwnerChanged }

// LogAttrs are the report as a log line's attributes.
// Changed tells whether the run found anything but valid tokens: a token
// invalid or changing hands, a character removed, an account told.
func (r Report) Changed() bool {
	return r.Invalid+r.OwnerChanged+r.RolesMissing+r.RemovedOwnerChanged+r.RemovedBiomassed+
		r.LostAccessNoticed+r.LostAccessReminded+r.RemovedLostAccess > 0
}

func (r Report) LogAttrs() []any {
	return []any{"due", r.Due, "checked", r.Checked(), "valid", r.Valid, "invalid", r.Invalid,
		"owner_changed", r.OwnerChanged, "unavailable", r.Unavailable, "skipped", r.Skipped,
		"roles_read", r.RolesRead, "roles_missing", r.RolesMissing, "roles_unread", r.RolesUnread,
		"removed_owner_changed", r.RemovedOwnerChanged, "removed_biomassed", r.RemovedBiomassed,
		"lost_access_noticed", r.LostAccessNoticed, "lost_access_reminded", r.LostAccessReminded,
		"removed_lost_access", r.RemovedLostAccess,
		"accounts_recomputed", r.Recomputed, "more", r.More, "took", r.Took.Round(time.Millisecond)}
}

// ErrSSODown is wrapped when a run stops because the SSO answered nothing
// but failures: nothing was marked invalid for them.
var ErrSSODown = errors.New("tokencheck: the EVE SSO is unavailable")

// Check runs one check of the tokens sc names: refreshes, then what follows
// from their answers. The report is filled in even when an error is
// returned.
func (c *Checker) Check(ctx context.Context, sc Scope) (r Report, err error) {
	started := time.Now()
	defer func() { r.Took = time.Since(started) }()
	if c.d.Source == nil {
		return r, nil
	}
	keys, err := c.due(ctx, sc)
	if err != nil {
		return r, err
	}
	r.Due = len(keys)
	if len(keys) == 0 {
		// Nothing to refresh, but tokens found invalid before (by an
		// earlier run, or by any refresh) still run their course.
		return r, c.lostAccess(ctx, &r, true)
	}
	required, err := c.requiredRoles(ctx)
	if err != nil {
		return r, err
	}
	t := &tally{c: c, since: sc.Since, required: required}
	t.run(ctx, keys, sc.StopAt)
	t.fill(&r)

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), followUpTimeout)
	defer cancel()
	errs := []error{c.followUp(fctx, ctx, t, &r)}
	// After the follow-up, so that the sold and biomassed are gone first;
	// with the SSO down, members cannot log in to stop the clock, so
	// nobody is removed then.
	ssoDown := t.down || r.Unavailable > 0 && r.Checked() == 0
	errs = append(errs, c.lostAccess(fctx, &r, !ssoDown))
	switch {
	case ctx.Err() != nil:
		errs = append(errs, fmt.Errorf("tokencheck: %w", ctx.Err()))
	case ssoDown:
		errs = append(errs, fmt.Errorf("%w: %d checks failed, %d in a row (nothing was marked invalid for it), the last: %w",
			ErrSSODown, r.Unavailable, t.inARow, t.lastErr))
	}
	return r, errors.Join(errs...)
}

// due lists the tokens of the run.
func (c *Checker) due(ctx context.Context, sc Scope) ([]tokens.Key, error) {
	if sc.All {
		return c.d.Tokens.Due(ctx, sc.Since, 0)
	}
	values, err := c.d.Settings.Values(ctx)
	if err != nil {
		return nil, err
	}
	period := time.Duration(values.Int(SettingCheckHours)) * time.Hour
	n, err := c.d.Tokens.CountValid(ctx)
	if err != nil {
		return nil, err
	}
	share := Share(n, sc.Tick, period)
	if share == 0 {
		return nil, nil
	}
	before := c.d.Now().Add(-period)
	if sc.Since.Before(before) {
		before = sc.Since
	}
	return c.d.Tokens.Due(ctx, before, share)
}

// requiredRoles gives the in-game roles each EVE login requires, for the
// logins that require any.
func (c *Checker) requiredRoles(ctx context.Context) (map[string][]string, error) {
	all, err := c.d.Logins.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, l := range all {
		if len(l.Roles) > 0 {
			out[l.Name] = l.Roles
		}
	}
	return out, nil
}

// StopAt is when a run started now, with ctx's deadline (the job's
// timeout), stops taking tokens so that the refreshes under way and the
// follow-up end in time: a quarter of the time, at most two minutes, is
// kept for them. Zero when ctx has no deadline.
func StopAt(ctx context.Context, now time.Time) time.Time {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}
	}
	return deadline.Add(-min(deadline.Sub(now)/4, followUpTimeout))
}

// tally runs the refreshes of one run and counts their outcomes.
type tally struct {
	c        *Checker
	since    time.Time
	required map[string][]string

	mu                                   sync.Mutex
	done                                 int64
	valid, unavailable, skipped          int
	rolesRead, rolesMissing, rolesUnread int
	invalid, ownerChanged                []int32 // characters, one entry per token
	inARow                               int
	lastErr                              error
	down                                 bool // stopped: too many failures in a row
	more                                 bool // stopped: out of time
	esiLimited                           bool // no more role reads this run
	roleErrorLogged                      bool
}

// run checks the keys, Concurrency at a time, until they are done, the
// SSO looks down, stopAt passes or ctx ends.
func (t *tally) run(ctx context.Context, keys []tokens.Key, stopAt time.Time) {
	feed, stop := context.WithCancel(ctx)
	defer stop()
	work := make(chan tokens.Key)
	go func() {
		defer close(work)
		for _, k := range keys {
			if !stopAt.IsZero() && !time.Now().Before(stopAt) {
				t.mu.Lock()
				t.more = true
				t.mu.Unlock()
				return
			}
			select {
			case work <- k:
			case <-feed.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range t.c.d.Concurrency {
		wg.Go(func() {
			for k := range work {
				if t.one(ctx, k) {
					stop()
				}
				t.mu.Lock()
				t.done++
				done := t.done
				t.mu.Unlock()
				jobs.Progress(ctx, done, int64(len(keys)))
			}
		})
	}
	wg.Wait()
}

// one checks a token and records the outcome; stop says the run must end
// (the SSO looks down, or ctx ended).
func (t *tally) one(ctx context.Context, k tokens.Key) (stop bool) {
	access, err := t.c.d.Source.Check(ctx, k.CharacterID, k.Login, t.since)
	stop = t.record(ctx, k, access, err)
	if roles := t.required[k.Login]; err == nil && access != "" && len(roles) > 0 {
		t.readRoles(ctx, k, access, roles)
	}
	return stop
}

// record counts the outcome of a check.
func (t *tally) record(ctx context.Context, k tokens.Key, access string, err error) (stop bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err == nil && access == "", errors.Is(err, tokens.ErrNotFound):
		t.skipped++
		return false
	case err == nil:
		t.valid++
	case errors.Is(err, tokens.ErrOwnerChanged):
		t.ownerChanged = append(t.ownerChanged, k.CharacterID)
	case errors.Is(err, tokens.ErrTokenInvalid):
		t.invalid = append(t.invalid, k.CharacterID)
	default:
		t.unavailable++
		t.lastErr = err
		if ctx.Err() != nil {
			return true
		}
		t.inARow++
		t.down = t.inARow >= maxUnavailableInARow
		return t.down
	}
	t.inARow = 0 // the SSO answered
	return false
}

// readRoles reads the character's in-game roles with the fresh access
// token and records whether it holds all the login requires. ESI failing
// leaves has_roles as it was. ESI's limits stop the role reads for the
// rest of the run, which would only queue up behind the limit, and those
// tokens' roles are read at their next check; a limit is no reason to hold
// back the refreshes, which do not go through ESI.
func (t *tally) readRoles(ctx context.Context, k tokens.Key, access string, required []string) {
	t.mu.Lock()
	limited := t.esiLimited
	if limited {
		t.rolesUnread++
	}
	t.mu.Unlock()
	if limited {
		return
	}
	held, err := t.c.d.Roles.CharacterRoles(ctx, k.CharacterID, access)
	var has bool
	if err == nil {
		has = !slices.ContainsFunc(required, func(r string) bool { return !slices.Contains(held, r) })
		err = t.c.d.Tokens.SetHasRoles(ctx, t.c.d.DB, k.CharacterID, k.Login, has)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err == nil {
		t.rolesRead++
		if !has {
			t.rolesMissing++
		}
		return
	}
	t.rolesUnread++
	var lim *esi.LimitedError
	if errors.As(err, &lim) {
		t.esiLimited = true
	}
	if !t.roleErrorLogged {
		t.roleErrorLogged = true
		t.c.d.Logger.WarnContext(ctx, "token check: cannot read in-game roles, has_roles left as it was",
			"character_id", k.CharacterID, "login", k.Login, "error", err)
	}
}

// fill copies the counts into the report.
func (t *tally) fill(r *Report) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Valid, r.Invalid, r.OwnerChanged = t.valid, len(t.invalid), len(t.ownerChanged)
	r.Unavailable, r.Skipped = t.unavailable, t.skipped
	r.RolesRead, r.RolesMissing, r.RolesUnread = t.rolesRead, t.rolesMissing, t.rolesUnread
	r.More = t.more
}

// followUp acts on what the refreshes found: it removes the characters that
// changed hands, looks up the affiliations of those whose token went
// invalid (removing the biomassed), and recomputes every account concerned.
// It runs on fctx, which outlives the run's ctx a little; the ESI lookup
// only while ctx lasts (the hourly affiliations job catches up otherwise).
func (c *Checker) followUp(fctx, ctx context.Context, t *tally, r *Report) error {
	invalid := slices.Compact(slices.Sorted(slices.Values(t.invalid)))
	changed := slices.Compact(slices.Sorted(slices.Values(t.ownerChanged)))
	if len(invalid)+len(changed) == 0 {
		return nil
	}
	// The accounts are read before the removals, which take characters off
	// them.
	concerned, err := c.d.Accounts.AccountsOf(fctx, c.d.DB, slices.Concat(invalid, changed))
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range changed {
		err := c.d.DB.InTx(fctx, func(tx *store.Tx) error {
			return c.d.Accounts.Remove(fctx, tx, id, accounts.DeletedOwnerChanged)
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("tokencheck: remove character %d, whose owner changed: %w", id, err))
			continue
		}
		r.RemovedOwnerChanged++
	}
	if len(invalid) > 0 && ctx.Err() == nil {
		affs, err := c.d.Affiliations.Lookup(ctx, invalid)
		if err != nil {
			c.d.Logger.WarnContext(ctx, "token check: cannot look up the affiliations of the characters whose token went invalid; the affiliations job will",
				"characters", len(invalid), "error", err)
		} else {
			removed, err := c.d.Accounts.ApplyAffiliations(fctx, affs)
			if err != nil {
				errs = append(errs, err)
			}
			r.RemovedBiomassed = len(removed)
		}
	}
	if _, err := c.d.Recomputer.Accounts(fctx, concerned); err != nil {
		errs = append(errs, err)
	} else {
		r.Recomputed = len(concerned)
	}
	return errors.Join(errs...)
}
