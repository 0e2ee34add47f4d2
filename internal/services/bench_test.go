package services

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// joiners is how many accounts join a group at once in the benchmark: the
// issue's figure (Alliance Auth, measured here: 0.84 s in bulk, 4.1 s one
// by one, before any Discord call).
const joiners = 1000

// BenchmarkThousandAccountsJoinAGroup measures what a change of 1,000
// memberships writes in its transaction: the memberships, their access
// events and, through the services' hook, a pending sync on each linked
// account of two enabled instances (2,000) and the job of each instance.
func BenchmarkThousandAccountsJoinAGroup(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skip("KEEPSTAR_TEST_POSTGRES_URL not set")
			}
			ctx := context.Background()
			db := storetest.Open(b, d)
			if _, err := jobs.Migrate(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
			reg := jobs.NewRegistry()
			q, err := jobs.New(ctx, db, reg, jobs.Options{})
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(Options{DB: db, Queue: q, SecretKey: []byte(strings.Repeat("k", 32)),
				Types: []Type{{Name: "bench", Open: func(context.Context, Instance, Env) (Connector, error) { return nil, nil }}}})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			accounts := populateLinked(b, db, s, joiners, now)
			var group int64
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
					created_at, updated_at) VALUES ('Fleet', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $1, $1) RETURNING id`, now).Scan(&group)
			}); err != nil {
				b.Fatal(err)
			}
			events := make([]access.Event, len(accounts))
			for i, a := range accounts {
				events[i] = access.Event{AccountID: a, Kind: access.EventGroupAdded, GroupID: group, At: now}
			}
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				for _, st := range []string{`DELETE FROM group_members`, `DELETE FROM river_job`, `DELETE FROM access_events`,
					`UPDATE service_accounts SET synced = wanted`} {
					if _, err := db.Exec(ctx, st); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for list, args := range store.InChunks(accounts, group, now) {
						if _, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since)
							SELECT id, $1, $2 FROM accounts WHERE id IN (`+list+`)`, args...); err != nil {
							return err
						}
					}
					if err := access.WriteEvents(ctx, tx, events...); err != nil {
						return err
					}
					return s.follow(ctx, tx, accounts, "group-added")
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'services_sync'`).Scan(&n); err != nil {
				b.Fatal(err)
			}
			if n != 2 {
				b.Fatalf("%d sync jobs queued, want one per instance", n)
			}
			var pending int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM service_accounts WHERE wanted > synced`).Scan(&pending); err != nil {
				b.Fatal(err)
			}
			if pending != 2*joiners {
				b.Fatalf("%d syncs pending, want %d", pending, 2*joiners)
			}
		})
	}
}

// populateLinked makes n accounts, each linked on two enabled instances.
func populateLinked(tb testing.TB, db *store.DB, s *Services, n int, now time.Time) []int64 {
	tb.Helper()
	ctx := context.Background()
	var instances []int64
	for _, slug := range []string{"one", "two"} {
		inst, err := s.Create(ctx, Input{Slug: slug, Type: "bench", Name: slug})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE service_instances SET enabled = TRUE WHERE id = $1`, inst.ID); err != nil {
			tb.Fatal(err)
		}
		instances = append(instances, inst.ID)
	}
	ids := make([]int64, 0, n)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, fmt.Sprintf("Pilot %d", i), now).Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			for _, inst := range instances {
				if err := insertAccount(ctx, tx, Account{InstanceID: inst, AccountID: id, ExternalID: fmt.Sprintf("%d-%d", inst, id)}, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}
