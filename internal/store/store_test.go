package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Both engines must carry the same schema versions, or an upgrade would
// differ between them.
func TestMigrationsMatchAcrossEngines(t *testing.T) {
	names := map[config.Dialect][]string{}
	for _, d := range storetest.Dialects {
		fsys, err := store.MigrationSources(d)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			names[d] = append(names[d], e.Name())
		}
	}
	if fmt.Sprint(names[config.SQLite]) != fmt.Sprint(names[config.Postgres]) || len(names[config.SQLite]) == 0 {
		t.Errorf("migrations differ: sqlite %v, postgres %v", names[config.SQLite], names[config.Postgres])
	}
}

func TestMigrateIsIdempotentAndCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := db.MigrateSchema(ctx, nil)
		if err != nil || n != 0 {
			t.Fatalf("second migrate ran %d migrations, err %v", n, err)
		}
		current, target, err := db.SchemaVersions(ctx)
		if err != nil || current != target || target < 1 {
			t.Fatalf("versions current=%d target=%d err=%v", current, target, err)
		}
	})
}

func TestSchemaVersionsOfEmptyDatabase(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.OpenEmpty(t, d)
			current, target, err := db.SchemaVersions(context.Background())
			if err != nil || current != 0 || target < 1 {
				t.Fatalf("current=%d target=%d err=%v", current, target, err)
			}
		})
	}
}

func putSetting(ctx context.Context, q store.Querier, name, value string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, name, value, at)
	return err
}

func getSetting(ctx context.Context, q store.Querier, name string) (string, time.Time, error) {
	var v string
	var at time.Time
	err := q.QueryRow(ctx, "SELECT value, updated_at FROM settings WHERE name = $1", name).Scan(&v, &at)
	return v, at, err
}

func TestTransactions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 10, 30, 0, 123456789, time.FixedZone("X", 3600))

		// Committed.
		err := db.InTx(ctx, func(tx *store.Tx) error { return putSetting(ctx, tx, "a", "1", now) })
		if err != nil {
			t.Fatal(err)
		}
		v, at, err := getSetting(ctx, db, "a")
		if err != nil || v != "1" {
			t.Fatalf("committed value = %q, %v", v, err)
		}
		// Times come back as the same instant, to the microsecond.
		if want := now.UTC().Round(time.Microsecond); !at.Equal(want) {
			t.Errorf("time = %v, want %v", at, want)
		}

		// Rolled back on error: nothing half-written.
		boom := errors.New("boom")
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := putSetting(ctx, tx, "a", "2", now); err != nil {
				return err
			}
			if err := putSetting(ctx, tx, "b", "2", now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if v, _, _ := getSetting(ctx, db, "a"); v != "1" {
			t.Errorf("rolled-back update visible: %q", v)
		}
		if _, _, err := getSetting(ctx, db, "b"); !errors.Is(err, store.ErrNoRows) {
			t.Errorf("rolled-back insert: err = %v, want ErrNoRows", err)
		}

		// Rolled back on panic, and the panic goes on.
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic swallowed")
				}
			}()
			_ = db.InTx(ctx, func(tx *store.Tx) error {
				_ = putSetting(ctx, tx, "c", "3", now)
				panic("inside")
			})
		}()
		if _, _, err := getSetting(ctx, db, "c"); !errors.Is(err, store.ErrNoRows) {
			t.Errorf("after panic: err = %v, want ErrNoRows", err)
		}
		// The connection is usable after the panic.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return putSetting(ctx, tx, "d", "4", now) }); err != nil {
			t.Fatalf("after panic: %v", err)
		}
	})
}

func TestQueryRowsAndExec(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 5 {
			if err := putSetting(ctx, db, fmt.Sprintf("k%d", i), fmt.Sprint(i), base.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		// Time comparison works in SQL on both engines.
		rows, err := db.Query(ctx, "SELECT name FROM settings WHERE updated_at >= $1 ORDER BY updated_at", base.Add(150*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil || fmt.Sprint(names) != "[k3 k4]" {
			t.Errorf("names = %v, err %v", names, err)
		}
		n, err := db.Exec(ctx, "DELETE FROM settings WHERE name IN ($1, $2)", "k0", "missing")
		if err != nil || n != 1 {
			t.Errorf("deleted %d, err %v", n, err)
		}
		if _, err := db.Exec(ctx, "INSERT INTO no_such_table VALUES (1)"); err == nil {
			t.Error("bad SQL accepted")
		}
	})
}

// Many goroutines writing at once all succeed: SQLite's single writer queues
// them instead of failing with "database is locked", and reads go on while a
// write transaction is open.
func TestConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := putSetting(ctx, db, "counter", "0", time.Now()); err != nil {
			t.Fatal(err)
		}
		// Read-modify-write: PostgreSQL needs the row locked; SQLite's
		// transactions hold the write lock from their start.
		selectCounter := "SELECT CAST(value AS INTEGER) FROM settings WHERE name = 'counter'"
		if db.Dialect() == config.Postgres {
			selectCounter += " FOR UPDATE"
		}
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for range writers {
			wg.Go(func() {
				for range each {
					errs <- db.InTx(ctx, func(tx *store.Tx) error {
						var n int
						if err := tx.QueryRow(ctx, selectCounter).Scan(&n); err != nil {
							return err
						}
						return putSetting(ctx, tx, "counter", fmt.Sprint(n+1), time.Now())
					})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if v, _, _ := getSetting(ctx, db, "counter"); v != fmt.Sprint(writers*each) {
			t.Errorf("counter = %s, want %d: lost updates", v, writers*each)
		}
	})
}

func TestReadsDuringWriteTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := putSetting(ctx, db, "x", "before", time.Now()); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := putSetting(ctx, tx, "x", "inside", time.Now()); err != nil {
				return err
			}
			// A reader outside the transaction sees the committed value and
			// is not blocked by the open write.
			v, _, err := getSetting(ctx, db, "x")
			if err != nil {
				return err
			}
			if v != "before" {
				t.Errorf("outside reader saw %q", v)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
