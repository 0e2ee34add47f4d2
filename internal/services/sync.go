package services

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/store"
)

// queueName is the services' own job queue: their jobs wait on the
// services' rate limits, and must never hold every worker of the default
// queue while they do.
const queueName = "services"

// SyncArgs is the job that brings one service account in line with what
// its account should have. It is unique per (instance, account): a burst
// of changes queues one.
type SyncArgs struct {
	Instance int64 `json:"instance" river:"unique"`
	Account  int64 `json:"account" river:"unique"`
	// FollowUp marks the second slot of a pair: the job queued when the
	// first is already running (see insertSyncs).
	FollowUp bool `json:"follow_up,omitempty" river:"unique"`
	// Reason is the first change that queued it, for the audit log.
	Reason string `json:"reason,omitempty"`
}

// Kind names the job.
func (SyncArgs) Kind() string { return "services_sync" }

// syncStates are the states in which a sync job already queued takes a
// new one's place. River requires running among them: a change made while
// a sync runs is caught by the wanted counter (Sync runs again) or, when
// it comes after the sync's last look, by a follow-up job (insertSyncs).
var syncStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// syncOpts are a sync job's: its queue, its uniqueness, and enough
// attempts to outlast a service down for hours (snoozes for a service
// that said when to come back do not count).
func syncOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: queueName, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: syncStates}}
}

// follow is the services' AccountsChanged hook: in the change's
// transaction, it raises the wanted counter of every service account of
// the accounts (on enabled instances) and queues a sync for each.
func (s *Services) follow(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	var params []river.InsertManyParams
	for list, args := range store.InChunks(accounts) {
		err := store.Each(ctx, tx, `UPDATE service_accounts SET wanted = wanted + 1
			WHERE account_id IN (`+list+`) AND instance_id IN (SELECT id FROM service_instances WHERE enabled)
			RETURNING instance_id, account_id`, func(rows store.Rows) error {
			var a SyncArgs
			if err := rows.Scan(&a.Instance, &a.Account); err != nil {
				return err
			}
			a.Reason = why
			params = append(params, river.InsertManyParams{Args: a, InsertOpts: syncOpts()})
			return nil
		}, args...)
		if err != nil {
			return fmt.Errorf("services: queue syncs: %w", err)
		}
	}
	return s.insertSyncs(ctx, tx, params)
}

// followUpDelay lets the running sync a follow-up is queued behind finish
// first: two syncs of one account at once would converge (a sync records
// what it applied only if nothing changed meanwhile), but cost a request.
const followUpDelay = 2 * time.Second

// insertSyncs queues sync jobs in tx. A job skipped because one for the
// same account is running gets a follow-up: the running one may have
// taken its last look at the account before this change, and River
// marks a job completed a moment after it returns, so "running" may
// already mean "done". The follow-up slot is unique too: a burst of
// changes during one sync queues one follow-up.
func (s *Services) insertSyncs(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) error {
	for part := range chunks(params, 1000) {
		res, err := s.queue.InsertManyTx(ctx, tx, part)
		if err != nil {
			return fmt.Errorf("services: queue syncs: %w", err)
		}
		var again []river.InsertManyParams
		for i, r := range res {
			if r == nil || !r.UniqueSkippedAsDuplicate || r.Job == nil || r.Job.State != rivertype.JobStateRunning {
				continue
			}
			a := part[i].Args.(SyncArgs)
			if a.FollowUp {
				continue
			}
			a.FollowUp = true
			opts := syncOpts()
			opts.ScheduledAt = s.now().Add(followUpDelay)
			again = append(again, river.InsertManyParams{Args: a, InsertOpts: opts})
		}
		if len(again) > 0 {
			if _, err := s.queue.InsertManyTx(ctx, tx, again); err != nil {
				return fmt.Errorf("services: queue follow-up syncs: %w", err)
			}
		}
	}
	s.metrics.queued.Add(float64(len(params)))
	return nil
}

// Follower gives the hook that queues syncs in a change's transaction
// (feature.Hooks.AccountsChanged), for stores built outside the
// composition root (tests, tools).
func (s *Services) Follower() func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	return s.follow
}

// SyncAll queues a sync of every service account of an instance ("sync
// everyone"), and gives how many.
func (s *Services) SyncAll(ctx context.Context, instanceID int64, why string) (int, error) {
	return s.queueSyncs(ctx, `instance_id = $1`, why, instanceID)
}

// SyncAccount queues a sync of one account on an instance.
func (s *Services) SyncAccount(ctx context.Context, instanceID, accountID int64, why string) (int, error) {
	return s.queueSyncs(ctx, `instance_id = $1 AND account_id = $2`, why, instanceID, accountID)
}

func (s *Services) queueSyncs(ctx context.Context, where, why string, args ...any) (int, error) {
	n := 0
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var params []river.InsertManyParams
		err := store.Each(ctx, tx, `UPDATE service_accounts SET wanted = wanted + 1 WHERE `+where+` RETURNING instance_id, account_id`,
			func(rows store.Rows) error {
				a := SyncArgs{Reason: why}
				if err := rows.Scan(&a.Instance, &a.Account); err != nil {
					return err
				}
				params = append(params, river.InsertManyParams{Args: a, InsertOpts: syncOpts()})
				return nil
			}, args...)
		if err != nil {
			return fmt.Errorf("services: queue syncs: %w", err)
		}
		n = len(params)
		return s.insertSyncs(ctx, tx, params)
	})
	return n, err
}

func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// SyncResult says what a sync did.
type SyncResult struct {
	Applied bool // something was sent to the service
	Removed bool // access taken away (or the account was gone)
}

// maxRounds bounds how often one sync starts over for changes made while
// it ran; what is left is its job's next run.
const maxRounds = 3

// Sync brings an account's service account on an instance in line with
// what it should have: nothing is sent when it already is. A change made
// while it runs makes it run again.
func (s *Services) Sync(ctx context.Context, instanceID, accountID int64, reason string) (SyncResult, error) {
	var res SyncResult
	inst, err := s.inst.Get(ctx, instanceID)
	if errors.Is(err, ErrNotFound) {
		return res, nil // deleted since: nothing to do
	}
	if err != nil || !inst.Enabled {
		return res, err
	}
	t := s.types[inst.Type]
	for round := 0; round < maxRounds; round++ {
		acct, err := s.account(ctx, s.db, instanceID, accountID)
		if errors.Is(err, ErrNoAccount) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		r, err := s.syncOnce(ctx, inst, t, acct, reason)
		res.Applied, res.Removed = res.Applied || r.Applied, res.Removed || r.Removed
		if err != nil || r.Removed {
			return res, err
		}
		var wanted int64
		err = s.db.QueryRow(ctx, `SELECT wanted FROM service_accounts WHERE instance_id = $1 AND account_id = $2`, instanceID, accountID).Scan(&wanted)
		if errors.Is(err, store.ErrNoRows) || (err == nil && wanted == acct.wanted) {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("services: sync: %w", err)
		}
	}
	return res, nil
}

func (s *Services) syncOnce(ctx context.Context, inst Instance, t Type, acct Account, reason string) (SyncResult, error) {
	now := s.now()
	f, err := readFacts(ctx, s.db, acct.AccountID)
	if err != nil {
		return SyncResult{}, err
	}
	if !f.allowed(inst) {
		return SyncResult{Removed: true}, s.remove(ctx, inst, acct, reason, 0)
	}
	v, err := readVocabulary(ctx, s.db)
	if err != nil {
		return SyncResult{}, err
	}
	want, err := f.want(inst, t, v)
	if err != nil {
		return SyncResult{}, err
	}
	want.Reason = reason
	if acct.Status == StatusOK && acct.Name == want.Name && equalGroups(acct.Groups, want.Groups) {
		return SyncResult{}, saveApplied(ctx, s.db, acct, acct.wanted, now)
	}
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return SyncResult{}, s.failed(ctx, inst, acct, ActionUpdate, describe(acct, want), reason, err)
	}
	start := time.Now()
	next, err := conn.Apply(ctx, acct, want)
	s.metrics.observeCall(inst.Slug, time.Since(start))
	if errors.Is(err, ErrGone) {
		return SyncResult{Removed: true}, s.unlink(ctx, inst, acct, reason)
	}
	if err != nil {
		return SyncResult{}, s.failed(ctx, inst, acct, ActionUpdate, describe(acct, want), reason, err)
	}
	next.InstanceID, next.AccountID = acct.InstanceID, acct.AccountID
	next.Name, next.Groups = want.Name, want.Groups
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := saveApplied(ctx, tx, next, acct.wanted, now); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: acct.AccountID, Action: ActionUpdate, Detail: describe(acct, want),
			Reason: reason, At: now})
	})
	if err == nil {
		s.metrics.synced.WithLabelValues(inst.Slug).Inc()
		s.logger.InfoContext(ctx, "service account updated", "service", inst.Slug, "account", acct.AccountID, "reason", reason)
	}
	return SyncResult{Applied: true}, err
}

// remove takes an account's access away on the service and forgets the
// link; actor is the member or admin who asked (0: Keepstar).
func (s *Services) remove(ctx context.Context, inst Instance, acct Account, reason string, actor int64) error {
	conn, err := s.connector(ctx, inst)
	if err == nil {
		start := time.Now()
		err = conn.Remove(ctx, acct)
		s.metrics.observeCall(inst.Slug, time.Since(start))
	}
	if err != nil && !errors.Is(err, ErrGone) {
		return s.failed(ctx, inst, acct, ActionRemove, "", reason, err)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := deleteAccount(ctx, tx, acct); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: acct.AccountID, Action: ActionRemove, Detail: acct.ExternalName,
			Reason: reason, ActorID: actor, At: now})
	})
	if err == nil {
		s.metrics.removed.WithLabelValues(inst.Slug).Inc()
		s.logger.InfoContext(ctx, "service account removed", "service", inst.Slug, "account", acct.AccountID, "reason", reason)
	}
	return err
}

// unlink forgets a link whose account is gone from the service.
func (s *Services) unlink(ctx context.Context, inst Instance, acct Account, reason string) error {
	now := s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := deleteAccount(ctx, tx, acct); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: acct.AccountID, Action: ActionUnlink, Detail: acct.ExternalName,
			Reason: reason, At: now})
	})
	if err == nil {
		s.logger.InfoContext(ctx, "service account gone from the service: unlinked", "service", inst.Slug, "account", acct.AccountID)
	}
	return err
}

// failed records a failed change on the account and in the log, and
// gives the error back for the job to try again.
func (s *Services) failed(ctx context.Context, inst Instance, acct Account, action, detail, reason string, cause error) error {
	s.metrics.failures.WithLabelValues(inst.Slug).Inc()
	now := s.now()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := saveError(ctx, tx, acct, cause.Error(), now); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: acct.AccountID, Action: action, Detail: detail, Reason: reason,
			Result: cause.Error(), At: now})
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	return fmt.Errorf("services: %s: %w", inst.Slug, cause)
}

// syncWorker works the sync jobs.
type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	s *Services
}

// retryUnavailable is how long a job waits for a service that is down
// and did not say when to come back: a second at first, doubling with
// each try up to five minutes, so that a short outage costs seconds and a
// long one a request every few minutes per waiting job.
func retryUnavailable(attempt int) time.Duration {
	const most = 5 * time.Minute
	if attempt >= 9 {
		return most
	}
	return min(time.Second<<max(attempt-1, 0), most)
}

// postpone turns a service's unavailability into a snooze, which River
// does not count against the job's attempts; other errors are the job's.
func (s *Services) postpone(err error, attempt int) error {
	var after *RetryAfter
	switch {
	case errors.As(err, &after):
		s.metrics.snoozed.Inc()
		return river.JobSnooze(max(after.After, 100*time.Millisecond))
	case errors.Is(err, ErrUnavailable):
		s.metrics.snoozed.Inc()
		return river.JobSnooze(retryUnavailable(attempt))
	}
	return err
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	_, err := w.s.Sync(ctx, job.Args.Instance, job.Args.Account, job.Args.Reason)
	return w.s.postpone(err, job.Attempt)
}
