// Command appsdata fills a migrated, empty Keepstar database with the
// Application API's benchmark site (bench/apps.sh): accounts with three
// characters each in 2,000 corporations of 200 alliances, 50 groups (20
// mapped to corporations or alliances, 5 default, 25 joined by hand), the
// memberships the access engine computes, a twentieth of the accounts with
// their groups deactivated and another twentieth soon, and an app with the
// role app-groups that sees every other group. It prints the app's
// Authorization header and id and the range of character ids.
//
//	KEEPSTAR_DATABASE_URL=sqlite:/tmp/k.db KEEPSTAR_SECRET_KEY=... go run ./bench/appsdata -accounts 100000
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

const (
	corporations  = 2000
	alliances     = 200
	groupCount    = 50
	firstGroup    = 2000
	firstChar     = 90_000_000
	firstCorp     = 98_000_000
	firstAlliance = 99_000_000
)

func main() {
	accounts := flag.Int("accounts", 100_000, "accounts to make, three characters each")
	flag.Parse()
	if err := run(context.Background(), *accounts); err != nil {
		fmt.Fprintln(os.Stderr, "appsdata:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, accounts int) error {
	dbc, err := config.ParseDatabaseURL(os.Getenv("KEEPSTAR_DATABASE_URL"))
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dbc, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		return fmt.Errorf("is the database migrated? %w", err)
	}
	if n > 0 {
		return fmt.Errorf("the database has %d accounts already: give an empty one", n)
	}

	started := time.Now()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return populate(ctx, tx, accounts) }); err != nil {
		return err
	}
	if db.Dialect() == config.Postgres {
		for _, t := range []string{"accounts", "groups"} {
			if _, err := db.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), (SELECT max(id) FROM `+t+`))`); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "populated %d accounts, %d characters in %s\n", accounts, 3*accounts, time.Since(started).Round(time.Millisecond))

	// The memberships the engine gives: mapped and default groups.
	started = time.Now()
	st := settings.NewStore(db, settings.NewRegistry(access.Settings), nil, 0)
	stats, err := access.NewRecomputer(db, st, nil).All(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "access recomputed in %s: %+v\n", time.Since(started).Round(time.Millisecond), stats)
	// Deactivation as the engine would store it with group deactivation on
	// (the API reads only this column): 5 % yes, 5 % soon.
	if _, err := db.Exec(ctx, `UPDATE accounts SET groups_deactivated = CASE WHEN id % 20 = 0 THEN 'yes' ELSE 'soon' END WHERE id % 20 IN (0, 1)`); err != nil {
		return err
	}
	if db.Dialect() == config.Postgres {
		if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
			return err
		}
	}
	var members int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM group_members`).Scan(&members); err != nil {
		return err
	}

	var seen []int64
	for g := 0; g < groupCount; g += 2 {
		seen = append(seen, int64(firstGroup+g))
	}
	// The app's secret is hashed under the site's key: the one bench/apps.sh
	// exports for the site it serves.
	as := appapi.NewStore(db, []byte(os.Getenv("KEEPSTAR_SECRET_KEY")), nil)
	app, err := as.Create(ctx, appapi.Input{Name: "Benchmark", Roles: []string{appapi.RoleApp, appapi.RoleGroups}, Groups: seen})
	if err != nil {
		return err
	}
	secret, err := as.NewSecret(ctx, app.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d memberships; app %d sees %d of %d groups\n", members, app.ID, len(seen), groupCount)
	fmt.Printf("AUTH='Bearer %s'\n", base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", app.ID, secret)))
	fmt.Printf("APP_ID=%d\nFIRST_CHARACTER=%d\nCHARACTERS=%d\n", app.ID, firstChar, 3*accounts)
	return nil
}

// populate writes the site in multi-row inserts.
func populate(ctx context.Context, tx *store.Tx, accounts int) error {
	r := rand.New(rand.NewPCG(7, 7))
	now := time.Now()
	var rows [][]any
	for a := range alliances {
		rows = append(rows, []any{int64(firstAlliance + a), fmt.Sprintf("Alliance %d", a), fmt.Sprintf("A%d", a), now})
	}
	if err := bulk(ctx, tx, "eve_alliances", "id, name, ticker, updated_at", rows); err != nil {
		return err
	}
	rows = rows[:0]
	for c := range corporations {
		rows = append(rows, []any{int64(firstCorp + c), fmt.Sprintf("Corporation %d", c), fmt.Sprintf("C%d", c), allianceOf(c), now})
	}
	if err := bulk(ctx, tx, "eve_corporations", "id, name, ticker, alliance_id, updated_at", rows); err != nil {
		return err
	}

	// Groups: 0–19 mapped (even ones to 30 corporations, odd ones to an
	// alliance), 20–24 default, 25–49 public groups joined by hand.
	rows = rows[:0]
	for g := range groupCount {
		rows = append(rows, []any{int64(firstGroup + g), fmt.Sprintf("group-%d", g), fmt.Sprintf("Benchmark group %d", g),
			false, g%7 == 3, g%5 == 0, g >= 25, false, g >= 20 && g < 25, now, now})
	}
	if err := bulk(ctx, tx, "groups", "id, name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at", rows); err != nil {
		return err
	}
	rows = rows[:0]
	mapped := map[string]bool{}
	for g := range 20 {
		if g%2 == 0 {
			for k := range 30 {
				corp := (g*97 + k*13) % corporations
				if key := fmt.Sprint(g, corp); !mapped[key] {
					mapped[key] = true
					rows = append(rows, []any{int64(firstGroup + g), "corporation", int64(firstCorp + corp)})
				}
			}
		} else {
			rows = append(rows, []any{int64(firstGroup + g), "alliance", int64(firstAlliance + g*9%alliances)})
		}
	}
	if err := bulk(ctx, tx, "group_mappings", "group_id, kind, entity_id", rows); err != nil {
		return err
	}

	var accs, chars, members [][]any
	for a := range accounts {
		id := int64(a + 1)
		accs = append(accs, []any{id, fmt.Sprintf("Pilot %d", a), "standard", true, false, "", "", now, now})
		for c := range 3 {
			corp := r.IntN(corporations)
			chars = append(chars, []any{int64(firstChar + a*3 + c), id, fmt.Sprintf("Pilot %d-%d", a, c), "hash", c == 0,
				int64(firstCorp + corp), allianceOf(corp), now})
		}
		joined := map[int]bool{}
		for range r.IntN(4) {
			g := 25 + r.IntN(25)
			if !joined[g] {
				joined[g] = true
				members = append(members, []any{id, int64(firstGroup + g), now})
			}
		}
	}
	if err := bulk(ctx, tx, "accounts", "id, name, status, active, superuser, language, theme, created_at, updated_at", accs); err != nil {
		return err
	}
	if err := bulk(ctx, tx, "characters", "id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at", chars); err != nil {
		return err
	}
	return bulk(ctx, tx, "group_members", "account_id, group_id, since", members)
}

// allianceOf puts corporation c in alliance c % 200; every tenth has none
// (NULL).
func allianceOf(c int) any {
	if c%10 == 9 {
		return nil
	}
	return int64(firstAlliance + c%alliances)
}

// bulk inserts rows in statements of at most 900 parameters.
func bulk(ctx context.Context, tx *store.Tx, table, columns string, rows [][]any) error {
	per := 900 / len(rows[0])
	for start := 0; start < len(rows); start += per {
		part := rows[start:min(start+per, len(rows))]
		var values []string
		var args []any
		for _, row := range part {
			values = append(values, "("+store.Placeholders(len(args)+1, len(row))+")")
			args = append(args, row...)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+columns+`) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("populate %s: %w", table, err)
		}
	}
	return nil
}
