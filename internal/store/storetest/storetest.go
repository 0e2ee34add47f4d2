// Package storetest gives tests a fresh database on every engine Keepstar
// supports: an SQLite file in the test's temporary folder always, and a new
// PostgreSQL schema when KEEPSTAR_TEST_POSTGRES_URL names a server. Each test
// gets its own, so tests run in parallel and runs never collide.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// PostgresEnv names the variable that switches the PostgreSQL tests on, as in
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "KEEPSTAR_TEST_POSTGRES_URL"

// Dialects are the engines every store test runs on.
var Dialects = []config.Dialect{config.SQLite, config.Postgres}

// Each runs fn as a subtest per engine, each with a fresh, migrated database.
// The PostgreSQL subtest is skipped, saying why, when PostgresEnv is unset.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// EachDialect runs fn as a parallel subtest per engine, for tests that
// start more than a database on it (a whole site, a service's fake).
func EachDialect(t *testing.T, fn func(t *testing.T, d config.Dialect)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// Open gives a fresh database with Keepstar's schema applied, closed when the
// test ends.
func Open(t testing.TB, d config.Dialect) *store.DB {
	t.Helper()
	db := OpenEmpty(t, d)
	if _, err := db.MigrateSchema(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenEmpty gives a fresh database without any schema.
func OpenEmpty(t testing.TB, d config.Dialect) *store.DB {
	t.Helper()
	dbc := Database(t, d)
	db, err := store.Open(context.Background(), dbc, 5)
	if err != nil {
		t.Fatalf("open %s: %v", dbc, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Database describes a fresh, empty database for a test that opens it itself
// (or hands it to a child process). PostgreSQL's is a new schema, dropped at
// cleanup; the URL's search_path selects it.
func Database(t testing.TB, d config.Dialect) config.Database {
	t.Helper()
	if d == config.SQLite {
		return config.Database{Dialect: config.SQLite, Path: filepath.Join(t.TempDir(), "keepstar.db")}
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests are off: set %s (as in postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", PostgresEnv)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: connect: %v", PostgresEnv, err)
	}
	defer admin.Close(ctx)
	schema := "test_" + randomHex(t, 8)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return config.Database{Dialect: config.Postgres, URL: u.String()}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
