package pings

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// benchMembers is the figure: a ping to a 5,000-member group.
const benchMembers = 5000

// countingPinger is a connector that reaches every account at once, so
// that the benchmark measures Keepstar's part of a ping: the record, the
// job, the recipients read from the groups and service accounts.
type countingPinger struct{ calls *atomic.Int64 }

func (countingPinger) Apply(_ context.Context, a services.Account, _ services.Want) (services.Account, error) {
	return a, nil
}
func (countingPinger) Remove(context.Context, services.Account) error { return nil }
func (c countingPinger) Ping(_ context.Context, to []services.Account, _ string) (int, error) {
	c.calls.Add(1)
	return len(to), nil
}

// BenchmarkPingFiveThousand sends a ping to a group of 5,000 members who
// all have an account on the instance: Send (checks, record, job queued in
// one transaction) then the job's delivery (recipients, the connector's
// Ping, the record of the counts).
func BenchmarkPingFiveThousand(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skip("KEEPSTAR_TEST_POSTGRES_URL not set")
			}
			ctx := context.Background()
			p, inst, group, _ := setUp(b, d, benchMembers)
			sender := Sender{AccountID: 1, Name: "Pilot 0", All: true}
			var sending, delivering time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				ping, err := p.Send(ctx, sender, Request{Groups: []int64{group}, Message: "Form up", Instance: inst.ID})
				if err != nil {
					b.Fatal(err)
				}
				sent := time.Now()
				if err := p.deliver(ctx, ping.Deliveries[0].ID); err != nil {
					b.Fatal(err)
				}
				sending, delivering = sending+sent.Sub(start), delivering+time.Since(sent)
				_, d, err := delivery(ctx, p.db, ping.Deliveries[0].ID)
				if err != nil || d.Recipients != benchMembers || d.Delivered != benchMembers || d.Status != StatusSent {
					b.Fatalf("delivery %+v (%v)", d, err)
				}
			}
			// The page's wait (Send) and the job's (deliver), apart.
			b.ReportMetric(float64(sending.Milliseconds())/float64(b.N), "send-ms/op")
			b.ReportMetric(float64(delivering.Milliseconds())/float64(b.N), "deliver-ms/op")
		})
	}
}

// setUp makes a database with an enabled instance of a counting Pinger and
// a group of n members, each with an active account there.
func setUp(tb testing.TB, d config.Dialect, n int) (*Pings, services.Instance, int64, *atomic.Int64) {
	tb.Helper()
	ctx := context.Background()
	db := storetest.Open(tb, d)
	if _, err := jobs.Migrate(ctx, db, nil); err != nil {
		tb.Fatal(err)
	}
	q, err := jobs.New(ctx, db, jobs.NewRegistry(), jobs.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	calls := &atomic.Int64{}
	svc, err := services.New(services.Options{DB: db, Queue: q, SecretKey: []byte(strings.Repeat("k", 32)),
		Types: []services.Type{{Name: "bench", Open: func(context.Context, services.Instance, services.Env) (services.Connector, error) {
			return countingPinger{calls: calls}, nil
		}}}})
	if err != nil {
		tb.Fatal(err)
	}
	inst, err := svc.Create(ctx, services.Input{Slug: "xmpp", Type: "bench", Name: "XMPP"})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE service_instances SET enabled = TRUE WHERE id = $1`, inst.ID); err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	var group int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
			created_at, updated_at) VALUES ('Fleet', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $1, $1) RETURNING id`, now).Scan(&group); err != nil {
			return err
		}
		for i := range n {
			var id int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
		VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, fmt.Sprintf("Pilot %d", i), now).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, id, group, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups,
		state, status, last_error, wanted, synced, created_at) VALUES ($1, $2, $3, '', '', '[]', '', 'ok', '', 0, 0, $4)`,
				inst.ID, id, fmt.Sprint(id), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	p := &Pings{db: db, services: svc, queue: &core.Queue{Q: q}, logger: slog.New(slog.DiscardHandler), now: time.Now}
	return p, inst, group, calls
}
