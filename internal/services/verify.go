package services

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/store"
)

// VerifyArgs is the job that verifies one instance; with Instance 0 it
// queues a verification of every enabled instance (the schedule's).
type VerifyArgs struct {
	Instance int64 `json:"instance,omitempty" river:"unique"`
}

// Kind names the job.
func (VerifyArgs) Kind() string { return "services_verify" }

func verifyOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: queueName, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: syncStates}}
}

// Report says what a verification found.
type Report struct {
	Accounts int // service accounts verified
	Drifted  int // differing from what was applied: queued for repair
	Gone     int // gone from the service: unlinked
	Queued   int // syncs queued (drift, pending changes, failures, Wants changed)
}

// verifyPage is how many service accounts one verification reads at once.
const verifyPage = 1000

// Verify reads an instance's accounts back from its service where the
// connector can (Observer), records what it finds, unlinks accounts gone
// from it, and queues a sync for every account whose service account
// differs from what it should have: drift made by hand on the service,
// changes whose sync was lost or failed, Wants that changed without a
// change being told (a name format's placeholder's data). The syncs do the
// repairs, within the service's limits.
func (s *Services) Verify(ctx context.Context, instanceID int64) (Report, error) {
	var rep Report
	inst, err := s.inst.Get(ctx, instanceID)
	if err != nil {
		return rep, err
	}
	if !inst.Enabled {
		return rep, nil
	}
	t := s.types[inst.Type]
	conn, err := s.connector(ctx, inst)
	if err != nil {
		return rep, s.verified(ctx, inst, rep, err)
	}
	v, err := readVocabulary(ctx, s.db)
	if err != nil {
		return rep, err
	}
	observer, _ := conn.(Observer)
	var after int64
	for {
		page, err := s.accountsPage(ctx, inst.ID, after, verifyPage)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].AccountID
		rep.Accounts += len(page)
		var seen []Observation
		if observer != nil {
			if seen, err = observer.Observe(ctx, page); err != nil {
				return rep, s.verified(ctx, inst, rep, err)
			}
			if len(seen) != len(page) {
				return rep, s.verified(ctx, inst, rep, fmt.Errorf("the connector observed %d accounts of %d", len(seen), len(page)))
			}
		}
		var queue []Account
		for i, acct := range page {
			if seen != nil && seen[i].Gone {
				rep.Gone++
				if err := s.unlink(ctx, inst, acct, "verification"); err != nil {
					return rep, err
				}
				continue
			}
			f, err := readFacts(ctx, s.db, acct.AccountID)
			if err != nil {
				return rep, err
			}
			want, err := f.want(inst, t, v)
			if err != nil {
				return rep, err
			}
			if seen != nil {
				o := seen[i]
				o.Groups = slices.DeleteFunc(slices.Clone(o.Groups), want.Keep)
				slices.Sort(o.Groups)
				drifted := o.Name != acct.Name || !equalGroups(o.Groups, acct.Groups)
				if drifted {
					rep.Drifted++
				}
				if drifted || o.State != acct.State {
					if err := saveObserved(ctx, s.db, acct, o, "verification"); err != nil {
						return rep, err
					}
					acct.Name, acct.Groups = o.Name, o.Groups
				}
			}
			if acct.Status != StatusOK || !f.allowed(inst) || acct.Name != want.Name || !equalGroups(acct.Groups, want.Groups) {
				queue = append(queue, acct)
			}
		}
		if err := s.queueFor(ctx, queue, "verification"); err != nil {
			return rep, err
		}
		if len(page) < verifyPage {
			break
		}
	}
	// Changes told but not yet applied (a job given up): their work is
	// queued again, failed ones at once. Every account marked now, by
	// this verification or before it, is one sync queued, counted once.
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE service_accounts SET retry_at = NULL WHERE instance_id = $1 AND wanted > synced`, inst.ID)
		if err != nil {
			return fmt.Errorf("services: verify %s: %w", inst.Slug, err)
		}
		rep.Queued = int(n)
		if n == 0 {
			return nil
		}
		return s.queueWork(ctx, tx, inst.ID, time.Time{})
	})
	if err != nil {
		return rep, err
	}
	return rep, s.verified(ctx, inst, rep, nil)
}

// queueFor marks syncs of some service accounts of one instance.
func (s *Services) queueFor(ctx context.Context, accts []Account, why string) error {
	if len(accts) == 0 {
		return nil
	}
	ids := make([]int64, len(accts))
	for i, a := range accts {
		ids[i] = a.AccountID
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		instances := map[int64]bool{}
		for list, args := range store.InChunks(ids, accts[0].InstanceID) {
			if _, err := s.mark(ctx, tx, instances, why, `instance_id = $1 AND account_id IN (`+list+`)`, args...); err != nil {
				return err
			}
		}
		return s.queueAll(ctx, tx, instances)
	})
}

// verified records a verification's outcome on the instance and in the
// log, and gives back its error.
func (s *Services) verified(ctx context.Context, inst Instance, rep Report, cause error) error {
	now := s.now()
	problem := ""
	if cause != nil {
		problem = cause.Error()
	}
	detail := fmt.Sprintf("%d accounts, %d drifted, %d gone, %d syncs queued", rep.Accounts, rep.Drifted, rep.Gone, rep.Queued)
	err := errors.Join(s.inst.recordVerification(ctx, inst.ID, now, problem),
		audit(ctx, s.db, Entry{InstanceID: inst.ID, Action: ActionVerify, Detail: detail, Reason: "verification", Result: problem, At: now}))
	if cause != nil {
		return errors.Join(fmt.Errorf("services: verify %s: %w", inst.Slug, cause), err)
	}
	s.logger.InfoContext(ctx, "service verified", "service", inst.Slug, "accounts", rep.Accounts, "drifted", rep.Drifted,
		"gone", rep.Gone, "queued", rep.Queued)
	return err
}

// QueueVerify queues a verification of an instance ("verify now").
func (s *Services) QueueVerify(ctx context.Context, instanceID int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := s.queue.InsertTx(ctx, tx, VerifyArgs{Instance: instanceID}, verifyOpts())
		return err
	})
}

// verifyWorker works the verification jobs.
type verifyWorker struct {
	river.WorkerDefaults[VerifyArgs]
	s *Services
}

func (w *verifyWorker) Work(ctx context.Context, job *river.Job[VerifyArgs]) error {
	if job.Args.Instance != 0 {
		_, err := w.s.Verify(ctx, job.Args.Instance)
		return w.s.postpone(err, job.Attempt)
	}
	list, err := w.s.inst.List(ctx)
	if err != nil {
		return err
	}
	for _, inst := range list {
		if inst.Enabled {
			if err := w.s.QueueVerify(ctx, inst.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
