package access_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The size of the benchmark site: KEEPSTAR_BENCH_ACCOUNTS accounts (default
// 100,000), three characters each, 2,000 corporations in 200 alliances, 50
// states and 50 groups with every kind of rule.
func benchAccounts() int {
	if n, err := strconv.Atoi(os.Getenv("KEEPSTAR_BENCH_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

const (
	benchCorporations = 2000
	benchAlliances    = 200
	benchStates       = 50
	benchGroups       = 50
)

func corpOf(i int) int32     { return int32(98_000_000 + i) }
func allianceOf(i int) int32 { return int32(99_000_000 + i) }

// allianceOfCorp puts corporation i in alliance i % 200; every tenth
// corporation has none.
func allianceOfCorp(i int) int32 {
	if i%10 == 9 {
		return 0
	}
	return allianceOf(i % benchAlliances)
}

// populate fills a database with the benchmark site, in bulk.
func populate(tb testing.TB, db *store.DB, accounts int) {
	tb.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	bulk := func(table string, columns string, rows [][]any) {
		per := 900 / len(rows[0])
		for start := 0; start < len(rows); start += per {
			part := rows[start:min(start+per, len(rows))]
			var values []string
			var args []any
			for _, row := range part {
				values = append(values, "("+store.Placeholders(len(args)+1, len(row))+")")
				args = append(args, row...)
			}
			if _, err := db.Exec(ctx, `INSERT INTO `+table+` (`+columns+`) VALUES `+strings.Join(values, ", "), args...); err != nil {
				tb.Fatalf("populate %s: %v", table, err)
			}
		}
	}
	// States: priorities 1000..1490, above the migration's; each open to 20 corporations and 2
	// alliances; the guest of the migration stays.
	var rows [][]any
	for i := range benchStates {
		rows = append(rows, []any{int64(1000 + i), fmt.Sprintf("State %d", i), 1000 + 10*i, false, false, now, now})
	}
	bulk("states", "id, name, priority, public, guest, created_at, updated_at", rows)
	rows = rows[:0]
	for i := range benchStates {
		for k := range 20 {
			rows = append(rows, []any{int64(1000 + i), "corporation", corpOf((i*37 + k*101) % benchCorporations)})
		}
		for k := range 2 {
			rows = append(rows, []any{int64(1000 + i), "alliance", allianceOf((i*7 + k*53) % benchAlliances)})
		}
	}
	bulk("state_members", "state_id, kind, entity_id", dedupe(rows, 3))
	bulk("state_permissions", "state_id, permission", [][]any{{int64(1049), "groups.request"}, {int64(1048), "groups.request"}})

	// Groups: 20 mapped to corporations or alliances, 5 default, 25 joined
	// by hand; required and forbidden rules and allowed states among them.
	rows = rows[:0]
	for g := range benchGroups {
		rows = append(rows, []any{int64(2000 + g), fmt.Sprintf("Group %d", g), "", false, g%7 == 3, g%5 == 0, g%11 == 4, false, g >= 20 && g < 25, now, now})
	}
	bulk("groups", "id, name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at", rows)
	rows = rows[:0]
	for g := range 20 {
		if g%2 == 0 {
			for k := range 30 {
				rows = append(rows, []any{int64(2000 + g), "corporation", corpOf((g*97 + k*13) % benchCorporations)})
			}
		} else {
			rows = append(rows, []any{int64(2000 + g), "alliance", allianceOf(g * 9 % benchAlliances)})
		}
	}
	bulk("group_mappings", "group_id, kind, entity_id", dedupe(rows, 3))
	rows = rows[:0]
	for g := 25; g < benchGroups; g++ {
		rows = append(rows, []any{int64(2000 + g), "required", int64(2000 + (g-25)%25)})
		if g%4 == 0 {
			rows = append(rows, []any{int64(2000 + g), "forbidden", int64(2000 + g - 1)})
		}
	}
	bulk("group_rules", "group_id, kind, other_id", rows)
	rows = rows[:0]
	for g := 30; g < 40; g++ {
		rows = append(rows, []any{int64(2000 + g), int64(1000 + g)}, []any{int64(2000 + g), int64(1049)})
	}
	bulk("group_states", "group_id, state_id", dedupe(rows, 2))

	// Accounts, three characters each, the first the main; a few manual
	// memberships each.
	var accs, chars, members [][]any
	for a := range accounts {
		id := int64(a + 1)
		accs = append(accs, []any{id, fmt.Sprintf("Pilot %d", a), "standard", true, false, "", "", now, now})
		for c := range 3 {
			corp := r.IntN(benchCorporations)
			chars = append(chars, []any{int32(90_000_000 + a*3 + c), id, fmt.Sprintf("Pilot %d-%d", a, c), "hash", c == 0,
				corpOf(corp), nullable(allianceOfCorp(corp)), now})
		}
		for range r.IntN(4) {
			members = append(members, []any{id, int64(2000 + 25 + r.IntN(25)), now})
		}
	}
	bulk("accounts", "id, name, status, active, superuser, language, theme, created_at, updated_at", accs)
	bulk("characters", "id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at", chars)
	bulk("group_members", "account_id, group_id, since", dedupe(members, 2))
	if db.Dialect() == config.Postgres {
		// Identity columns must go on past the ids given.
		for _, t := range []string{"accounts", "states", "groups"} {
			if _, err := db.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT max(id) FROM `+t+`))`); err != nil {
				tb.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
			tb.Fatal(err)
		}
	}
}

func nullable(id int32) any {
	if id == 0 {
		return nil
	}
	return id
}

// dedupe drops rows whose first keys columns repeat an earlier row's.
func dedupe(rows [][]any, keys int) [][]any {
	seen := map[string]bool{}
	var out [][]any
	for _, r := range rows {
		k := fmt.Sprint(r[:keys]...)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func benchRecomputer(db *store.DB) *access.Recomputer {
	st := settings.NewStore(db, settings.NewRegistry(access.Settings), nil, 0)
	return access.NewRecomputer(db, st, nil)
}

// BenchmarkRecompute measures the access engine over the benchmark site:
// the first full recomputation of a site nobody computed (every account's
// state and groups written), a full recomputation that finds nothing to
// change, and the incremental recomputation after one corporation changes
// alliance. Targets: full under 10 s, incremental under 100 ms.
func BenchmarkRecompute(b *testing.B) {
	n := benchAccounts()
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			started := time.Now()
			populate(b, db, n)
			b.Logf("%s: %d accounts, %d characters populated in %s", d, n, 3*n, time.Since(started).Round(time.Millisecond))
			r := benchRecomputer(db)
			ctx := context.Background()

			b.Run("first", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					if _, err := db.Exec(ctx, `UPDATE accounts SET state_id = NULL`); err != nil {
						b.Fatal(err)
					}
					if _, err := db.Exec(ctx, `DELETE FROM group_members WHERE group_id < 2025`); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					stats, err := r.All(ctx)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(stats.StateChanges+stats.GroupsAdded+stats.GroupsRemoved), "changes/op")
				}
			})
			b.Run("unchanged", func(b *testing.B) {
				for b.Loop() {
					stats, err := r.All(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if stats.StateChanges+stats.GroupsAdded+stats.GroupsRemoved != 0 {
						b.Fatalf("a second recomputation changed %+v", stats)
					}
				}
			})
			b.Run("corporation-changes-alliance", func(b *testing.B) {
				corp, i := corpOf(17), 0
				for b.Loop() {
					b.StopTimer()
					// What the affiliations job writes when the corporation
					// changes alliance.
					i++
					if _, err := db.Exec(ctx, `UPDATE characters SET alliance_id = $2 WHERE corporation_id = $1`, corp, allianceOf(i%benchAlliances)); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					ids, err := access.Affected(ctx, db, []int32{corp}, nil)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := r.Accounts(ctx, ids); err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(float64(len(ids)), "accounts/op")
				}
			})
		})
	}
}
