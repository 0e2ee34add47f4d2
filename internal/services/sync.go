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

// A sync is a mark on the service account: wanted raised above synced,
// in the transaction of the change, with the first change's reason. The
// mark is unique by the row's key and coalesces a burst of changes into
// one sync by nature, and marking a thousand accounts is one statement.
// One River job per instance (SyncArgs) works its marks, in the services'
// queue, within the service's limits; it is unique per instance, so two
// processes never work one instance's marks at once.

// SyncArgs is the job that works an instance's pending syncs.
type SyncArgs struct {
	Instance int64 `json:"instance" river:"unique"`
	// FollowUp marks the second slot: the job queued when the first is
	// already running (see queueWork).
	FollowUp bool `json:"follow_up,omitempty" river:"unique"`
}

// Kind names the job.
func (SyncArgs) Kind() string { return "services_sync" }

// syncStates are the states in which a job already queued takes a new
// one's place. River requires running among them: work marked while the
// job runs is found by its next pass, and work marked after its last pass
// gets a follow-up job (queueWork).
var syncStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// syncOpts are a sync job's: its queue, its uniqueness, and enough
// attempts to outlast a service down for hours (snoozes for a service
// that is down or limiting do not count).
func syncOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: queueName, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: syncStates}}
}

// markSQL marks service accounts for a sync; where selects them. The
// first change since the last sync names the reason.
const markSQL = `UPDATE service_accounts SET wanted = wanted + 1, retry_at = NULL,
	reason = CASE WHEN wanted = synced THEN $%d ELSE reason END
	WHERE instance_id IN (SELECT id FROM service_instances WHERE enabled) AND `

// mark marks the service accounts where selects (its placeholders $1 to
// $len(args)) and adds their instances to instances; it gives how many
// were marked. The caller queues the instances' work (queueAll).
func (s *Services) mark(ctx context.Context, tx *store.Tx, instances map[int64]bool, why, where string, args ...any) (int, error) {
	n := 0
	err := store.Each(ctx, tx, fmt.Sprintf(markSQL, len(args)+1)+where+` RETURNING instance_id`, func(rows store.Rows) error {
		var id int64
		n++
		if err := rows.Scan(&id); err != nil {
			return err
		}
		instances[id] = true
		return nil
	}, append(args[:len(args):len(args)], why)...)
	if err != nil {
		return 0, fmt.Errorf("services: mark syncs: %w", err)
	}
	s.metrics.queued.Add(float64(n))
	return n, nil
}

// queueAll queues the work of instances.
func (s *Services) queueAll(ctx context.Context, tx *store.Tx, instances map[int64]bool) error {
	for id := range instances {
		if err := s.queueWork(ctx, tx, id, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// follow is the services' AccountsChanged hook: in the change's
// transaction, it marks every service account of the accounts (on enabled
// instances) for a sync and queues their instances' work.
func (s *Services) follow(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	instances := map[int64]bool{}
	for list, args := range store.InChunks(accounts) {
		if _, err := s.mark(ctx, tx, instances, why, `account_id IN (`+list+`)`, args...); err != nil {
			return err
		}
	}
	return s.queueAll(ctx, tx, instances)
}

// followUpDelay lets the running job a follow-up is queued behind finish
// first.
const followUpDelay = 2 * time.Second

// queueWork queues the job working an instance's syncs, to run at at (now
// when zero). When the job is already running, its last pass may have
// come before this change, and River marks a job completed a moment after
// it returns, so "running" may already mean "done": a follow-up job is
// queued in a second unique slot.
//
// The job in the way may also be one that never ran, scheduled by Work
// for the retry of failed syncs, a minute to an hour ahead: the new work
// would wait for it, a member's change or a verification's repair held
// for up to an hour behind another account's failure. That job is brought
// forward. One that ran and was snoozed is left to its snooze: the
// service is down or limiting, and the work must wait for it anyway.
func (s *Services) queueWork(ctx context.Context, tx *store.Tx, instanceID int64, at time.Time) error {
	opts := syncOpts()
	opts.ScheduledAt = at
	res, err := s.queue.InsertTx(ctx, tx, SyncArgs{Instance: instanceID}, opts)
	if err != nil {
		return fmt.Errorf("services: queue syncs of %d: %w", instanceID, err)
	}
	if !res.UniqueSkippedAsDuplicate || res.Job == nil {
		return nil
	}
	if job := res.Job; job.State != rivertype.JobStateRunning {
		due := s.now()
		if at.After(due) {
			due = at
		}
		if job.Attempt == 0 && job.ScheduledAt.After(due.Add(followUpDelay)) {
			if _, err := s.queue.RetryTx(ctx, tx, job.ID); err != nil {
				return fmt.Errorf("services: queue syncs of %d: %w", instanceID, err)
			}
		}
		return nil
	}
	opts = syncOpts()
	opts.ScheduledAt = s.now().Add(followUpDelay)
	if _, err := s.queue.InsertTx(ctx, tx, SyncArgs{Instance: instanceID, FollowUp: true}, opts); err != nil {
		return fmt.Errorf("services: queue syncs of %d: %w", instanceID, err)
	}
	return nil
}

// Follower gives the hook that marks syncs in a change's transaction
// (feature.Hooks.AccountsChanged), for stores built outside the
// composition root (tests, tools).
func (s *Services) Follower() func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	return s.follow
}

// SyncAll marks every service account of an instance for a sync ("sync
// everyone"), and gives how many.
func (s *Services) SyncAll(ctx context.Context, instanceID int64, why string) (int, error) {
	return s.markIn(ctx, why, `instance_id = $1`, instanceID)
}

// SyncAccount marks one account's service account on an instance.
func (s *Services) SyncAccount(ctx context.Context, instanceID, accountID int64, why string) (int, error) {
	return s.markIn(ctx, why, `instance_id = $1 AND account_id = $2`, instanceID, accountID)
}

func (s *Services) markIn(ctx context.Context, why, where string, args ...any) (int, error) {
	var n int
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		instances := map[int64]bool{}
		var err error
		if n, err = s.mark(ctx, tx, instances, why, where, args...); err != nil {
			return err
		}
		return s.queueAll(ctx, tx, instances)
	})
	return n, err
}

// SyncResult says what a sync did.
type SyncResult struct {
	Applied bool // something was sent to the service
	Removed bool // access taken away (or the account was gone)
}

// Sync applies one account's pending sync on an instance now (the job
// does it for every pending one): nothing is sent when the service
// account already has what it should.
func (s *Services) Sync(ctx context.Context, instanceID, accountID int64) (SyncResult, error) {
	inst, err := s.inst.Get(ctx, instanceID)
	if errors.Is(err, ErrNotFound) {
		return SyncResult{}, nil
	}
	if err != nil || !inst.Enabled {
		return SyncResult{}, err
	}
	return s.syncAccount(ctx, inst, s.types[inst.Type], accountID)
}

// syncAccount reads a service account and syncs it once; a change made
// meanwhile leaves it pending for the next pass.
func (s *Services) syncAccount(ctx context.Context, inst Instance, t Type, accountID int64) (SyncResult, error) {
	return s.syncIn(ctx, inst, t, accountID, nil)
}

// syncIn is syncAccount within a batch of Work (nil: on its own).
func (s *Services) syncIn(ctx context.Context, inst Instance, t Type, accountID int64, p *batch) (SyncResult, error) {
	acct, err := s.account(ctx, s.db, inst.ID, accountID)
	if errors.Is(err, ErrNoAccount) {
		return SyncResult{}, nil
	}
	if err != nil {
		return SyncResult{}, err
	}
	return s.syncOnce(ctx, inst, t, acct, acct.reason, p)
}

// batch is what the syncs of one batch of Work (workBatch pending
// accounts) share: the site's
// vocabulary, read once for the batch rather than once per account (two
// queries each), and the accounts found already right, recorded together
// in one transaction at the batch's end (recordRight) rather than one
// commit each: in a resync most accounts are right, and on PostgreSQL
// each commit waits for the WAL to reach the disk.
type batch struct {
	v     vocabulary
	right []rightAccount
}

type rightAccount struct {
	acct Account
	at   time.Time
}

func (s *Services) newBatch(ctx context.Context) (*batch, error) {
	v, err := readVocabulary(ctx, s.db)
	if err != nil {
		return nil, err
	}
	return &batch{v: v}, nil
}

// recordRight records the accounts the batch found right, each as of the
// wanted value it read: one changed since stays marked (saveRight).
func (s *Services) recordRight(ctx context.Context, p *batch) error {
	if len(p.right) == 0 {
		return nil
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range p.right {
			if err := saveRight(ctx, tx, r.acct, r.at); err != nil {
				return err
			}
		}
		return nil
	})
	p.right = p.right[:0]
	return err
}

func (s *Services) syncOnce(ctx context.Context, inst Instance, t Type, acct Account, reason string, p *batch) (SyncResult, error) {
	now := s.now()
	f, err := readFacts(ctx, s.db, acct.AccountID)
	if err != nil {
		return SyncResult{}, err
	}
	if !f.allowed(inst) {
		return SyncResult{Removed: true}, s.remove(ctx, inst, acct, reason, 0)
	}
	var v vocabulary
	if p != nil {
		v = p.v
	} else if v, err = readVocabulary(ctx, s.db); err != nil {
		return SyncResult{}, err
	}
	want, err := f.want(inst, t, v)
	if err != nil {
		return SyncResult{}, err
	}
	want.Reason = reason
	lookAgain := t.Capabilities.Invite && (reason == reasonChecked || reason == reasonLinked)
	if !lookAgain && acct.Status == StatusOK && acct.Name == want.Name && equalGroups(acct.Groups, want.Groups) {
		if p != nil {
			p.right = append(p.right, rightAccount{acct: acct, at: now})
			return SyncResult{}, nil
		}
		return SyncResult{}, saveRight(ctx, s.db, acct, now)
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
	var retry *time.Time
	if !errors.Is(cause, ErrUnavailable) {
		at := now.Add(retryFailed(acct.failures + 1))
		retry = &at
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := saveError(ctx, tx, acct, cause.Error(), now, retry); err != nil {
			return err
		}
		return audit(ctx, tx, Entry{InstanceID: inst.ID, AccountID: acct.AccountID, Action: action, Detail: detail, Reason: reason,
			Result: cause.Error(), At: now})
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	return &recordedError{fmt.Errorf("services: %s: %w", inst.Slug, cause)}
}

// recordedError is a failed change recorded on its account with when to
// try it again.
type recordedError struct{ error }

func (e *recordedError) Unwrap() error { return e.error }

// syncWorker works an instance's pending syncs.
type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	s *Services
}

// retryUnavailable is how long the work waits for a service that is down
// and did not say when to come back: a second at first, doubling with
// each try up to five minutes, so that a short outage costs seconds and a
// long one a request every few minutes.
func retryUnavailable(attempt int) time.Duration {
	const most = 5 * time.Minute
	if attempt >= 9 {
		return most
	}
	return min(time.Second<<max(attempt-1, 0), most)
}

// retryFailed is how long one account whose sync failed (the service
// refused it) waits before it is tried again: a minute, doubling, at most
// an hour; verification retries it too.
func retryFailed(failures int) time.Duration {
	if failures >= 7 {
		return time.Hour
	}
	return min(time.Minute<<max(failures-1, 0), time.Hour)
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

// workBatch is how many pending syncs one pass reads.
const workBatch = 100

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	err := w.s.Work(ctx, job.Args.Instance)
	if errors.Is(err, errBusy) {
		// Its other job is working the instance: this one comes back
		// after it, for what that one may have missed.
		return river.JobSnooze(leaseWait)
	}
	return w.s.postpone(err, job.Attempt)
}

// The work lease: one process at a time works an instance's syncs, so that
// its two jobs (the first and the follow-up) never send one account's
// change twice. It is renewed while the work goes on and lapses if its
// process dies.
const (
	leaseFor   = 2 * time.Minute
	leaseRenew = 30 * time.Second
	leaseWait  = 5 * time.Second
)

// errBusy: another job holds the instance's work lease.
var errBusy = errors.New("services: another job is working this service")

// lease holds an instance's work lease.
type lease struct {
	s        *Services
	instance int64
	until    time.Time
	renewed  time.Time
}

// takeLease takes an instance's work lease, or gives errBusy.
func (s *Services) takeLease(ctx context.Context, instanceID int64) (*lease, error) {
	now := s.now()
	l := &lease{s: s, instance: instanceID, until: now.Add(leaseFor).UTC().Truncate(time.Millisecond), renewed: now}
	n, err := s.db.Exec(ctx, `UPDATE service_instances SET work_lease = $2 WHERE id = $1 AND (work_lease IS NULL OR work_lease < $3)`,
		instanceID, l.until, now)
	if err != nil {
		return nil, fmt.Errorf("services: work lease of %d: %w", instanceID, err)
	}
	if n == 0 {
		return nil, errBusy
	}
	return l, nil
}

// keep renews the lease when half of it has run; errBusy if it was lost
// (it lapsed, and another job took it).
func (l *lease) keep(ctx context.Context) error {
	now := l.s.now()
	if now.Sub(l.renewed) < leaseRenew {
		return nil
	}
	until := now.Add(leaseFor).UTC().Truncate(time.Millisecond)
	n, err := l.s.db.Exec(ctx, `UPDATE service_instances SET work_lease = $3 WHERE id = $1 AND work_lease = $2`, l.instance, l.until, until)
	if err != nil {
		return fmt.Errorf("services: work lease of %d: %w", l.instance, err)
	}
	if n == 0 {
		return errBusy
	}
	l.until, l.renewed = until, now
	return nil
}

// release gives the lease back, even when ctx is done.
func (l *lease) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := l.s.db.Exec(ctx, `UPDATE service_instances SET work_lease = NULL WHERE id = $1 AND work_lease = $2`, l.instance, l.until); err != nil {
		l.s.logger.WarnContext(ctx, "release a service's work lease", "instance", l.instance, "error", err)
	}
}

// Work applies an instance's pending syncs, pass after pass until none is
// due. A service that is down or limiting stops it (ErrUnavailable, to be
// tried again); an account the service refused is recorded and tried
// again later, and the others go on. Syncs failed and waiting for their
// retry are left to a job scheduled for the first of them.
func (s *Services) Work(ctx context.Context, instanceID int64) error {
	inst, err := s.inst.Get(ctx, instanceID)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted since: nothing to do
	}
	if err != nil || !inst.Enabled {
		return err
	}
	l, err := s.takeLease(ctx, instanceID)
	if err != nil {
		return err
	}
	defer l.release(ctx)
	t := s.types[inst.Type]
	var after int64
	// progress: a pass applied something. A pass that applied nothing
	// ends the run, so that an account failing without a retry time (its
	// facts unreadable) is not tried in a loop: the job's error then
	// brings River's backoff.
	progress, stuck := false, 0
	for {
		now := s.now()
		due, err := store.Column[int64](ctx, s.db, `SELECT account_id FROM service_accounts
			WHERE instance_id = $1 AND wanted > synced AND account_id > $2 AND (retry_at IS NULL OR retry_at <= $3)
			ORDER BY account_id LIMIT $4`, instanceID, after, now, workBatch)
		if err != nil {
			return fmt.Errorf("services: pending syncs of %s: %w", inst.Slug, err)
		}
		if len(due) == 0 {
			if after == 0 || !progress {
				break
			}
			// A pass over: start again for what came meanwhile.
			after, progress, stuck = 0, false, 0
			continue
		}
		p, err := s.newBatch(ctx)
		if err != nil {
			return err
		}
		for _, id := range due {
			if err := l.keep(ctx); err != nil {
				return errors.Join(err, s.recordRight(ctx, p))
			}
			after = id
			if _, err := s.syncIn(ctx, inst, t, id, p); err != nil {
				if errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
					// What the batch found right is recorded still; when ctx
					// is done, the next run finds it right again, sending
					// nothing.
					if ctx.Err() == nil {
						if rerr := s.recordRight(ctx, p); rerr != nil {
							err = errors.Join(err, rerr)
						}
					}
					return err
				}
				s.logger.WarnContext(ctx, "service sync failed", "service", inst.Slug, "account", id, "error", err)
				// One recorded on the account is tried again at its time;
				// any other (its facts unreadable) counts as stuck.
				if rec := (*recordedError)(nil); !errors.As(err, &rec) {
					stuck++
				}
				continue
			}
			progress = true
		}
		if err := s.recordRight(ctx, p); err != nil {
			return err
		}
	}
	if stuck > 0 && !progress {
		return fmt.Errorf("services: %d syncs of %s failed and none was applied", stuck, inst.Slug)
	}
	// What failed waits for its retry: a job is scheduled for the first.
	// (Ordered rather than min(): SQLite gives an aggregate of a
	// timestamp back as text.)
	var next time.Time
	err = s.db.QueryRow(ctx, `SELECT retry_at FROM service_accounts WHERE instance_id = $1 AND wanted > synced
		AND retry_at IS NOT NULL ORDER BY retry_at LIMIT 1`, instanceID).Scan(&next)
	if errors.Is(err, store.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("services: pending syncs of %s: %w", inst.Slug, err)
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error { return s.queueWork(ctx, tx, instanceID, next) })
}
