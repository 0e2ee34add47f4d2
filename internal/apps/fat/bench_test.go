package fat_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// eachEngine runs a benchmark on SQLite, and on PostgreSQL when its
// variable is set.
func eachEngine(b *testing.B, fn func(b *testing.B, d config.Dialect)) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skipf("set %s to run on PostgreSQL", storetest.PostgresEnv)
			}
			fn(b, d)
		})
	}
}

func openDB(b *testing.B, d config.Dialect) *store.DB {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.Database(b, d), 10)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.MigrateSchema(ctx, nil); err != nil {
		b.Fatal(err)
	}
	return db
}

// The statistics' size: an alliance of 50 corporations whose 20,000
// characters have 1,000,000 participations (50 fleets each), all in one
// month, the worst case for a month's page.
const (
	statCorps      = 50
	statCharacters = 20_000
	statLinks      = 50
)

// fillStatistics writes 1,000,000 records with SQL (a recursive CTE on
// SQLite, generate_series on PostgreSQL), then the monthly aggregates from
// them as the site keeps them.
func fillStatistics(b *testing.B, db *store.DB, m fat.Month) {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := time.Now().UTC()
		for i := 1; i <= statLinks; i++ {
			if _, err := tx.Exec(ctx, `INSERT INTO fat_links (id, hash, fleet, creator_name, month, created_at, expires_at)
				VALUES ($1, $2, $3, 'FC', $4, $5, $5)`, i, fmt.Sprintf("hash-%d", i), fmt.Sprintf("Fleet %d", i), int(m), now); err != nil {
				return err
			}
		}
		for c := 0; c < statCorps; c++ {
			if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, $2, 'T', $3)`,
				98000000+c, fmt.Sprintf("Corporation %d", c), now); err != nil {
				return err
			}
		}
		series := `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999) SELECT i FROM n`
		if db.Dialect() == config.Postgres {
			series = `SELECT i FROM generate_series(0, 999999) AS i`
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fat_records (link_id, character_id, character_name, corporation_id, month, system_id,
			system_name, ship_type_id, ship_type_name, location_id, location_name, source, recorded_at)
			SELECT i / `+fmt.Sprint(statCharacters)+` + 1, 90000000 + i % `+fmt.Sprint(statCharacters)+`, 'Pilot ' || (i % `+fmt.Sprint(statCharacters)+`),
				98000000 + (i % `+fmt.Sprint(statCharacters)+`) % `+fmt.Sprint(statCorps)+`, $1, 30000142, 'Jita', 587, 'Rifter', NULL, '', 'fleet', $2
			FROM (`+series+`) AS s`, int(m), now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fat_monthly (month, corporation_id, character_id, character_name, fats)
			SELECT month, corporation_id, character_id, min(character_name), count(*) FROM fat_records GROUP BY month, corporation_id, character_id`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO fat_corp_monthly (month, corporation_id, fats, characters)
			SELECT month, corporation_id, sum(fats), count(*) FROM fat_monthly GROUP BY month, corporation_id`)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "setup-s")
}

// BenchmarkStatistics measures what the statistics page reads for a month
// of 1,000,000 participations: the corporations and the top 25, and a
// corporation's page (400 characters).
//
//	go test -run '^$' -bench Statistics -benchtime 200x ./internal/apps/fat/
func BenchmarkStatistics(b *testing.B) {
	eachEngine(b, func(b *testing.B, d config.Dialect) {
		ctx := context.Background()
		db := openDB(b, d)
		m := fat.MonthOf(time.Now())
		fillStatistics(b, db, m)
		b.Run("month", func(b *testing.B) {
			for b.Loop() {
				cs, err := fat.CorporationsOfMonth(ctx, db, m)
				if err != nil || len(cs) != statCorps {
					b.Fatalf("%d corporations, %v", len(cs), err)
				}
				top, err := fat.TopOfMonth(ctx, db, m, 25)
				if err != nil || len(top) != 25 || top[0].Fats != statLinks {
					b.Fatalf("top %d, %v", len(top), err)
				}
			}
		})
		b.Run("corporation", func(b *testing.B) {
			for b.Loop() {
				ms, err := fat.CorporationMembers(ctx, db, 98000000, m)
				if err != nil || len(ms) != statCharacters/statCorps {
					b.Fatalf("%d members, %v", len(ms), err)
				}
			}
		})
	})
}

const (
	bClient   = "keepstar-fat"
	bCallback = "http://127.0.0.1:9/sso/callback"
)

var bKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// importHarness is the engine over a database and a simulated EVE served
// over HTTP, counting the ESI calls.
type importHarness struct {
	db    *store.DB
	sim   *evesim.Sim
	clock *universe.Clock
	f     *fat.FAT
	toks  *tokens.Store
	mu    sync.Mutex
	calls map[string]int
}

func newImportHarness(b *testing.B, d config.Dialect, n int) *importHarness {
	b.Helper()
	h := &importHarness{db: openDB(b, d), calls: map[string]int{}}
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Keepstar's ESI calls carry X-Compatibility-Date, its SSO calls
		// (a token's refresh, the SSO's metadata) do not.
		if r.Header.Get("X-Compatibility-Date") != "" {
			h.mu.Lock()
			h.calls[r.Method+" "+r.URL.Path]++
			h.mu.Unlock()
		}
		handler.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)
	h.clock = universe.NewClock(time.Now)
	var err error
	h.sim, err = evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 5, Characters: n, Issuer: simsso.IssuerEVE, SigningKey: bKey(),
		Clock: h.clock, Clients: []simsso.Client{{ID: bClient, Secret: "secret", Callback: bCallback}}})
	if err != nil {
		b.Fatal(err)
	}
	handler = h.sim
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secrets.New(key, tokens.SecretPurpose)
	if err != nil {
		b.Fatal(err)
	}
	h.toks = tokens.NewStore(h.db, box, h.clock.Now)
	client, err := sso.New(sso.Config{BaseURL: ts.URL, ClientID: bClient, ClientSecret: "secret", RedirectURL: bCallback})
	if err != nil {
		b.Fatal(err)
	}
	e, err := esi.New(esi.Config{BaseURL: ts.URL, UserAgent: "keepstar-test", Cache: esi.NewCache(h.db, 0),
		Gate: esi.NewGate(h.db, esi.GateOptions{}), ClientID: bClient, Now: h.clock.Now,
		Tokens: tokens.NewSource(h.toks, client, tokens.SourceOptions{})})
	if err != nil {
		b.Fatal(err)
	}
	h.f = fat.NewFAT(fat.Deps{DB: h.db, ESI: e, Now: h.clock.Now})
	return h
}

// addAccounts gives each character an account of its own whose main it
// is, and gives the first account's id.
func (h *importHarness) addAccounts(b *testing.B, ids []int32) int64 {
	b.Helper()
	ctx := context.Background()
	var first int64
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		now := h.clock.Now()
		for i, id := range ids {
			c, err := h.sim.Universe.Character(id)
			if err != nil {
				return err
			}
			var acc int64
			if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, c.Name, now).Scan(&acc); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
				VALUES ($1, $2, $3, 'hash', TRUE, $4, $5)`, id, acc, c.Name, c.CorporationID, now); err != nil {
				return err
			}
			if i == 0 {
				first = acc
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return first
}

// bossToken saves a token of the login fat-fleet for the boss.
func (h *importHarness) bossToken(b *testing.B, boss int32) {
	b.Helper()
	u := h.sim.Universe
	c, err := u.Character(boss)
	if err != nil {
		b.Fatal(err)
	}
	rt, err := h.sim.SSO.IssueRefreshToken(bClient, c.ID, fat.FleetScopes)
	if err != nil {
		b.Fatal(err)
	}
	tok := sso.Token{AccessToken: "expired", RefreshToken: rt, Expiry: h.clock.Now().Add(-time.Hour),
		Claims: sso.Claims{CharacterID: c.ID, Name: c.Name, Owner: u.OwnerHash(c), Scopes: fat.FleetScopes}}
	if _, err := h.toks.Save(context.Background(), h.db, tok, fat.SettingFleetLogin.Default); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFleetImport measures the ESI fleet import of a 256-member
// fleet (the boss and 255), 200 of them on Keepstar accounts: each
// operation a new fatlink and the import, whose ESI calls are counted
// (calls/op: the boss's fleet, the members, one POST /universe/names for
// the 56 unknown). The simulated clock moves past ESI's cache of the
// fleet between operations, so that each asks ESI as a new fleet would.
//
//	go test -run '^$' -bench FleetImport -benchtime 20x ./internal/apps/fat/
func BenchmarkFleetImport(b *testing.B) {
	eachEngine(b, func(b *testing.B, d config.Dialect) {
		ctx := context.Background()
		h := newImportHarness(b, d, 400)
		u := h.sim.Universe
		var ids []int32
		for _, id := range u.CharacterIDs() {
			if c, err := u.Character(id); err == nil && !c.Biomassed {
				ids = append(ids, id)
			}
		}
		boss := ids[0]
		members := formFleet(b, u, boss, 255)
		account := h.addAccounts(b, append([]int32{boss}, members[:199]...))
		h.bossToken(b, boss)
		calls, ops := 0, 0
		for i := 0; b.Loop(); i++ {
			ops++
			h.clock.Advance(2 * time.Minute)
			l, err := h.f.CreateLink(ctx, fat.LinkInput{Fleet: fmt.Sprintf("Fleet %d", i), Duration: "60"}, account, "FC")
			if err != nil {
				b.Fatal(err)
			}
			h.mu.Lock()
			h.calls = map[string]int{}
			h.mu.Unlock()
			res, err := h.f.Import(ctx, l.ID, account, boss)
			if err != nil || res.Members != 256 || res.Recorded != 256 || res.Unknown != 56 {
				b.Fatalf("import: %+v, %v", res, err)
			}
			h.mu.Lock()
			for _, n := range h.calls {
				calls += n
			}
			if i == 0 && len(h.calls) != 3 {
				b.Errorf("calls %v", h.calls)
			}
			h.mu.Unlock()
		}
		b.ReportMetric(float64(calls)/float64(ops), "calls/op")
	})
}

// BenchmarkStatisticsPage measures the statistics pages as a viewer gets
// them, through real HTTP on a site (server time: request to last byte,
// on loopback), for a month of 1,000,000 participations: the month's page
// (50 corporations and the top 25) and a corporation's (400 characters).
//
//	go test -run '^$' -bench StatisticsPage -benchtime 50x ./internal/apps/fat/
func BenchmarkStatisticsPage(b *testing.B) {
	eachEngine(b, func(b *testing.B, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(b, sitetest.Options{Dialect: d})
		su := site.NewMember(b)
		if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su.Character))); err != nil {
			b.Fatal(err)
		}
		fillStatistics(b, site.DB, fat.MonthOf(time.Now()))
		for _, c := range []struct {
			name, path, attr string
			rows             int
		}{
			{"month", "/fat/stats", `data-corporation="`, statCorps},
			{"corporation", "/fat/stats/corporations/98000000", `data-character="`, statCharacters / statCorps},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					p := su.Browser.Get(b, c.path)
					if p.Status != 200 {
						b.Fatalf("%s: %d", c.path, p.Status)
					}
					if n := strings.Count(p.Body, c.attr); n < c.rows {
						b.Fatalf("%s: %d rows, want %d", c.path, n, c.rows)
					}
				}
			})
		}
	})
}
