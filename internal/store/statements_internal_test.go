package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

func openTestSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := openSQLite(context.Background(), filepath.Join(t.TempDir(), "statements.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(context.Background(), `CREATE TABLE numbers (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		if _, err := db.Exec(context.Background(), `INSERT INTO numbers (n) VALUES ($1)`, n); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestReadStatementsStayBounded: more distinct texts than the cache holds
// push the oldest out, and rows still being read from a statement pushed
// out stay readable to the end.
func TestReadStatementsStayBounded(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT n FROM numbers ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal("no first row")
	}
	for i := range statementCacheSize + 10 {
		var n int
		if err := db.QueryRow(ctx, fmt.Sprintf(`SELECT n + %d FROM numbers WHERE n = $1`, i), 1).Scan(&n); err != nil || n != 1+i {
			t.Fatalf("query %d: n=%d err=%v", i, n, err)
		}
	}
	if got := db.readStatements.order.Len(); got != statementCacheSize {
		t.Errorf("cache holds %d statements, want %d", got, statementCacheSize)
	}
	if _, kept := db.readStatements.byKey[`SELECT n FROM numbers ORDER BY n`]; kept {
		t.Error("the oldest statement is still kept")
	}
	var seen []int
	for ok := true; ok; ok = rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, n)
	}
	if err := rows.Err(); err != nil || fmt.Sprint(seen) != "[1 2 3]" {
		t.Fatalf("rows of the pushed-out statement: %v, err %v", seen, err)
	}
}

// TestReadStatementsReused: the same text is prepared once and kept, by
// callers at once too.
func TestReadStatementsReused(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				var n int
				if err := db.QueryRow(ctx, `SELECT count(*) FROM numbers WHERE n >= $1`, 2).Scan(&n); err != nil || n != 2 {
					t.Errorf("n=%d err=%v", n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := db.readStatements.order.Len(); got != 1 {
		t.Errorf("cache holds %d statements, want 1", got)
	}
}

// TestReadStatementErrors: a text that does not prepare fails the Query
// and the row's Scan, and is not kept.
func TestReadStatementErrors(t *testing.T) {
	db := openTestSQLite(t)
	ctx := context.Background()
	if _, err := db.Query(ctx, `SELECT nope FROM numbers`); err == nil {
		t.Error("Query of a missing column succeeded")
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT n FROM nowhere`).Scan(&n); err == nil {
		t.Error("QueryRow of a missing table succeeded")
	}
	if err := db.QueryRow(ctx, `SELECT n FROM numbers WHERE n = 9`).Scan(&n); err != ErrNoRows {
		t.Errorf("no row: %v, want ErrNoRows", err)
	}
	if got := db.readStatements.order.Len(); got != 1 {
		t.Errorf("cache holds %d statements, want 1 (the one that prepared)", got)
	}
}
