package services

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// batchConn is a connector that records the names it applies and runs
// during, when set, inside each Apply (a change made while a batch is
// worked).
type batchConn struct {
	mu      sync.Mutex
	applied map[int64][]string
	during  func(acct Account)
}

func (c *batchConn) Apply(_ context.Context, acct Account, want Want) (Account, error) {
	c.mu.Lock()
	c.applied[acct.AccountID] = append(c.applied[acct.AccountID], want.Name)
	during := c.during
	c.mu.Unlock()
	if during != nil {
		during(acct)
	}
	return acct, nil
}

func (c *batchConn) Remove(context.Context, Account) error { return nil }

// An account a batch of Work finds right is recorded at the batch's end;
// a change made to it before then (here while the batch applies another
// account) leaves it marked, and Work syncs it with the change before it
// returns. A resync that finds everyone right sends nothing and leaves
// nothing pending.
func TestWorkRecordsAccountsFoundRightPerBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db, nil); err != nil {
			t.Fatal(err)
		}
		q, err := jobs.New(ctx, db, jobs.NewRegistry(), jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		conn := &batchConn{applied: map[int64][]string{}}
		s, err := New(Options{DB: db, Queue: q, SecretKey: []byte(strings.Repeat("k", 32)),
			Types: []Type{{Name: "batch", DefaultNameFormat: "{character_name}",
				Open: func(context.Context, Instance, Env) (Connector, error) { return conn, nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := s.Create(ctx, Input{Slug: "chat", Type: "batch", Name: "Chat"})
		if err != nil {
			t.Fatal(err)
		}
		if inst, err = s.Update(ctx, inst.ID, Input{Name: "Chat", Enabled: true}); err != nil {
			t.Fatal(err)
		}
		// Two accounts in the Member state, which gives the instance: the
		// first linked with its name applied already, the second not.
		now := time.Now()
		var right, differs int64
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
				SELECT id, $1 FROM states WHERE name = 'Member'`, inst.Permission()); err != nil {
				return err
			}
			for _, a := range []struct {
				id      *int64
				name    string
				applied string
			}{{&right, "Pilot One", "Pilot One"}, {&differs, "Pilot Two", "Someone"}} {
				if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at,
					state_id) SELECT $1, 'standard', TRUE, FALSE, '', '', $2, $2, id FROM states WHERE name = 'Member' RETURNING id`,
					a.name, now).Scan(a.id); err != nil {
					return err
				}
				if err := insertAccount(ctx, tx, Account{InstanceID: inst.ID, AccountID: *a.id, ExternalID: a.name, Name: a.applied},
					now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// While the second is applied, the first (found right, its record
		// not written yet) is renamed, and the change marks it.
		conn.during = func(acct Account) {
			if acct.AccountID != differs {
				return
			}
			if _, err := db.Exec(ctx, `UPDATE accounts SET name = 'Pilot Renamed' WHERE id = $1`, right); err != nil {
				t.Error(err)
			}
			if _, err := s.SyncAccount(ctx, inst.ID, right, "renamed"); err != nil {
				t.Error(err)
			}
		}
		if _, err := s.SyncAll(ctx, inst.ID, "sync everyone"); err != nil {
			t.Fatal(err)
		}
		if err := s.Work(ctx, inst.ID); err != nil {
			t.Fatal(err)
		}
		if got := conn.applied[right]; len(got) != 1 || got[0] != "Pilot Renamed" {
			t.Errorf("the account renamed during the batch got %q, want the new name once", got)
		}
		if got := conn.applied[differs]; len(got) != 1 || got[0] != "Pilot Two" {
			t.Errorf("the account that differed got %q", got)
		}
		acct, err := s.AccountOf(ctx, inst.ID, right)
		if err != nil || acct.Name != "Pilot Renamed" {
			t.Errorf("recorded %+v, %v", acct, err)
		}
		if st, err := s.StatusOf(ctx, inst.ID); err != nil || st.Pending != 0 {
			t.Errorf("after the work: %+v, %v", st, err)
		}

		// Everyone right: nothing sent, nothing left pending.
		conn.during, conn.applied = nil, map[int64][]string{}
		if _, err := s.SyncAll(ctx, inst.ID, "sync everyone"); err != nil {
			t.Fatal(err)
		}
		if err := s.Work(ctx, inst.ID); err != nil {
			t.Fatal(err)
		}
		if len(conn.applied) != 0 {
			t.Errorf("a resync of accounts all right applied %v", conn.applied)
		}
		if st, err := s.StatusOf(ctx, inst.ID); err != nil || st.Pending != 0 {
			t.Errorf("after the resync: %+v, %v", st, err)
		}
	})
}
