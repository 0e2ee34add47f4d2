package watchlists_test

import (
	"context"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The benchmark's universe: 100,000 accounts of 3 characters each, spread
// over 1,000 player corporations, the even ones in 50 alliances of 10
// corporations. The list watches 5 corporations and 2 alliances (25
// corporations, some 7,000 accounts), allowlists 50 corporations and
// kicklists 5 corporations and an alliance.
const (
	benchAccounts   = 100000
	benchCharacters = 3 * benchAccounts
)

// seedUniverse fills the database in a few statements: a recursive WITH
// both engines run the same way.
func seedUniverse(b *testing.B, db *store.DB) int64 {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $2)
			INSERT INTO accounts (id, name, status, active, superuser, language, theme, created_at, updated_at)
			SELECT n, 'Account ' || n, 'standard', true, false, '', '', $1, $1 FROM s`, now, benchAccounts); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < $2 - 1),
			c(n, corp) AS (SELECT n, (CAST(n AS BIGINT) * 7919) % 1000 FROM s)
			INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at)
			SELECT 90000000 + n, n / 3 + 1, 'Pilot ' || n, '', n % 3 = 0, 98000000 + corp,
				CASE WHEN corp % 2 = 0 THEN 99000000 + corp % 100 END, $1 FROM c`, now, benchCharacters); err != nil {
			return err
		}
		w, err := watchlists.Create(ctx, tx, "Bench")
		if err != nil {
			return err
		}
		id = w.ID
		add := func(list, kind string, entity int64) error {
			return watchlists.AddEntity(ctx, tx, id, list, kind, entity)
		}
		for i := int64(1); i < 10; i += 2 {
			if err := add(watchlists.ListWatched, watchlists.KindCorporation, 98000000+i); err != nil {
				return err
			}
		}
		for _, a := range []int64{99000000, 99000002} {
			if err := add(watchlists.ListWatched, watchlists.KindAlliance, a); err != nil {
				return err
			}
		}
		for i := int64(101); i < 200; i += 2 {
			if err := add(watchlists.ListAllowlist, watchlists.KindCorporation, 98000000+i); err != nil {
				return err
			}
		}
		for i := int64(201); i < 210; i += 2 {
			if err := add(watchlists.ListKicklist, watchlists.KindCorporation, 98000000+i); err != nil {
				return err
			}
		}
		return add(watchlists.ListKicklist, watchlists.KindAlliance, 99000020)
	})
	if err != nil {
		b.Fatal(err)
	}
	// Both engines take the statistics a live site's upkeep gathers.
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return id
}

// BenchmarkWarningList is the warning list over 100,000 accounts and
// 300,000 characters, and the kicklist view, on each engine.
func BenchmarkWarningList(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			id := seedUniverse(b, db)
			ctx := context.Background()
			var n, k int
			for b.Loop() {
				ids, err := watchlists.Warnings(ctx, db, id)
				if err != nil {
					b.Fatal(err)
				}
				n = len(ids)
			}
			ids, err := watchlists.Kicklist(ctx, db, id)
			if err != nil {
				b.Fatal(err)
			}
			k = len(ids)
			b.ReportMetric(float64(n), "warned")
			b.ReportMetric(float64(k), "kicklisted")
		})
	}
}
