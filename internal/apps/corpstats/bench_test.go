package corpstats_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The benchmark's corporation: 5,000 members, 2,100 of them registered on
// 700 accounts (a main and two alts each, all in the corporation), the
// rest on none.
const (
	benchMembers  = 5000
	benchAccounts = 700
	benchPerAcct  = 3
	benchCorp     = 98_900_001
	benchFirstID  = 95_000_000
)

// BenchmarkCorporationPage measures the server's answer to the Corp Stats
// page of a 5,000-member corporation, each list, through real HTTP on a
// site (a superuser viewing; the time is the request's, on localhost).
//
//	go test -run '^$' -bench CorporationPage -benchtime 20x ./internal/apps/corpstats/
func BenchmarkCorporationPage(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skipf("set %s to run on PostgreSQL", storetest.PostgresEnv)
			}
			ctx := context.Background()
			site := sitetest.Start(b, sitetest.Options{Dialect: d})
			su := site.NewMember(b)
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su.Character))); err != nil {
				b.Fatal(err)
			}
			fillBenchCorp(b, site.DB)
			path := "/corpstats/" + strconv.Itoa(benchCorp)
			for _, view := range corpstats.Views {
				b.Run(view, func(b *testing.B) {
					want := map[string]int{"mains": benchAccounts, "members": benchMembers, "unregistered": benchMembers - benchAccounts*benchPerAcct}[view]
					attr := map[string]string{"mains": `data-main="`, "members": `data-character="`, "unregistered": `data-character="`}[view]
					var size int
					for b.Loop() {
						p := su.Browser.Get(b, path+"?view="+view)
						size = len(p.Body)
						if p.Status != 200 {
							b.Fatalf("%s: %d", view, p.Status)
						}
						if n := strings.Count(p.Body, attr); n != want {
							b.Fatalf("%s: %d rows, want %d", view, n, want)
						}
					}
					b.ReportMetric(float64(size)/1024, "KiB/page")
				})
			}
		})
	}
}

// fillBenchCorp stores the benchmark's Corp Stats straight in the
// database, as a read would have.
func fillBenchCorp(b *testing.B, db *store.DB) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, 'Benchmark Corporation', 'BENCH', $2)`,
			benchCorp, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO corpstats (corporation_id, name, character_id, login, source, fetched_at, expires_at, error, created_at)
			VALUES ($1, 'Benchmark Corporation', $2, 'members', 'esi', $3, $4, '', $3)`, benchCorp, benchFirstID, now, now.Add(time.Hour)); err != nil {
			return err
		}
		id := int32(benchFirstID)
		for a := range benchAccounts {
			var acc int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, fmt.Sprintf("bench-%d", a), now).Scan(&acc); err != nil {
				return err
			}
			for c := range benchPerAcct {
				if _, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
					VALUES ($1, $2, $3, 'hash', $4, $5, $6)`, id+int32(c), acc, fmt.Sprintf("Pilot %d", id+int32(c)), c == 0, benchCorp, now); err != nil {
					return err
				}
			}
			id += benchPerAcct
		}
		for start := 0; start < benchMembers; start += 500 {
			q := `INSERT INTO corpstats_members (corporation_id, character_id, name) VALUES `
			var args []any
			for i := start; i < min(start+500, benchMembers); i++ {
				if i > start {
					q += ", "
				}
				q += "(" + store.Marks(tx.Dialect(), len(args)+1, 3) + ")"
				args = append(args, benchCorp, benchFirstID+i, fmt.Sprintf("Pilot %d", benchFirstID+i))
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
