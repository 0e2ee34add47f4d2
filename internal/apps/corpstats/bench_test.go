package corpstats_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
// page of a 5,000-member corporation, each list at the default page size,
// the member list 2,000 a page, and a search, through real HTTP on a site
// (a superuser viewing; the time is the request's, on localhost). Every
// answer builds the whole report; only the rows shown differ.
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
			for _, c := range []struct {
				name, query, attr string
				rows              int
			}{
				{"mains", "view=mains", `data-main="`, 500},
				{"members", "view=members", `data-character="`, 500},
				{"unregistered", "view=unregistered", `data-character="`, 500},
				{"members-2000", "view=members&per=2000", `data-character="`, 2000},
				{"search", "view=members&q=pilot+9500", `data-character="`, 500},
			} {
				b.Run(c.name, func(b *testing.B) {
					var size int
					for b.Loop() {
						p := su.Browser.Get(b, path+"?"+c.query)
						size = len(p.Body)
						if p.Status != 200 {
							b.Fatalf("%s: %d", c.name, p.Status)
						}
						if n := strings.Count(p.Body, c.attr); n != c.rows {
							b.Fatalf("%s: %d rows, want %d", c.name, n, c.rows)
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
func fillBenchCorp(b testing.TB, db *store.DB) {
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

// The lists come in pages: the page size chosen (one offered, else the
// default), the last page holding the rest, a page past the end showing
// the last, the links leading on.
func TestPages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		su := site.NewMember(t)
		if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su.Character))); err != nil {
			t.Fatal(err)
		}
		fillBenchCorp(t, site.DB)
		path := "/corpstats/" + strconv.Itoa(benchCorp)
		for _, c := range []struct {
			query, attr string
			rows        int
			next        bool
		}{
			{"view=members", `data-character="`, 500, true},
			{"view=members&per=2000&page=3", `data-character="`, 1000, false},
			{"view=members&per=2000&page=99", `data-character="`, 1000, false},
			{"view=members&per=7", `data-character="`, 500, true},
			{"view=mains&page=2", `data-main="`, benchAccounts - 500, false},
			{"view=unregistered&per=2000", `data-character="`, 2000, true},
		} {
			p := su.Browser.Get(t, path+"?"+c.query)
			if n := strings.Count(p.Body, c.attr); p.Status != 200 || n != c.rows {
				t.Errorf("%s: %d, %d rows, want %d", c.query, p.Status, n, c.rows)
			}
			if got := strings.Contains(p.Body, `rel="next"`); got != c.next {
				t.Errorf("%s: a next link %v, want %v", c.query, got, c.next)
			}
		}
		p := su.Browser.Get(t, path+"?view=members&per=2000")
		if !strings.Contains(p.Body, `href="`+path+`?page=2&amp;per=2000&amp;view=members" rel="next"`) {
			t.Error("the next link loses the page size")
		}
	})
}
