package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// numbers gives a database with a table numbers holding 1..n.
func numbers(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE numbers (n BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1)
		INSERT INTO numbers (n) SELECT n FROM s`, n); err != nil {
		t.Fatal(err)
	}
}

func TestEach(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		numbers(t, db, 5)
		var got []int64
		err := store.Each(ctx, db, `SELECT n FROM numbers WHERE n <= $1 ORDER BY n`, func(rows store.Rows) error {
			var n int64
			err := rows.Scan(&n)
			got = append(got, n)
			return err
		}, 3)
		if err != nil || fmt.Sprint(got) != "[1 2 3]" {
			t.Errorf("rows = %v, err %v", got, err)
		}

		if err := store.Each(ctx, db, `SELECT n FROM no_such_table`, func(store.Rows) error { return nil }); err == nil {
			t.Error("bad SQL accepted")
		}

		// fn's error stops the loop, comes back as it is, and the rows are
		// closed: the transaction's connection runs the next statement
		// (pgx refuses one while rows are open).
		stop := errors.New("stop")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			calls := 0
			err := store.Each(ctx, tx, `SELECT n FROM numbers`, func(store.Rows) error {
				calls++
				return stop
			})
			if !errors.Is(err, stop) || calls != 1 {
				t.Errorf("err = %v after %d calls, want stop after 1", err, calls)
			}
			_, err = tx.Exec(ctx, `DELETE FROM numbers WHERE n = 5`)
			return err
		})
		if err != nil {
			t.Fatalf("statement after a stopped Each: %v", err)
		}
	})
}

func TestCollect(t *testing.T) {
	type pair struct{ n, double int64 }
	scanPair := func(rows store.Rows, p *pair) error { return rows.Scan(&p.n, &p.double) }
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		numbers(t, db, 5)
		got, err := store.Collect(ctx, db, `SELECT n, n * 2 FROM numbers WHERE n <= $1 ORDER BY n`, scanPair, 3)
		if err != nil || fmt.Sprint(got) != "[{1 2} {2 4} {3 6}]" {
			t.Errorf("pairs = %v, err %v", got, err)
		}

		got, err = store.Collect(ctx, db, `SELECT n, n FROM numbers WHERE n > 5`, scanPair)
		if err != nil || got != nil {
			t.Errorf("no rows: %v, err %v; want nil", got, err)
		}

		bad := errors.New("bad row")
		got, err = store.Collect(ctx, db, `SELECT n, n FROM numbers ORDER BY n`, func(rows store.Rows, p *pair) error {
			if err := scanPair(rows, p); err != nil {
				return err
			}
			if p.n == 2 {
				return bad
			}
			return nil
		})
		if !errors.Is(err, bad) || got != nil {
			t.Errorf("scan error: %v, err %v; want nil and bad row", got, err)
		}
	})
}

func TestColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		numbers(t, db, 5)
		ids, err := store.Column[int64](ctx, db, `SELECT n FROM numbers WHERE n >= $1 ORDER BY n DESC`, 4)
		if err != nil || fmt.Sprint(ids) != "[5 4]" {
			t.Errorf("ints = %v, err %v", ids, err)
		}
		names, err := store.Column[string](ctx, db, `SELECT CAST(n AS TEXT) FROM numbers WHERE n < 3 ORDER BY n`)
		if err != nil || fmt.Sprintf("%q", names) != `["1" "2"]` {
			t.Errorf("strings = %q, err %v", names, err)
		}
		if _, err := store.Column[int64](ctx, db, `SELECT n, n FROM numbers`); err == nil {
			t.Error("two columns scanned into one value")
		}
	})
}
