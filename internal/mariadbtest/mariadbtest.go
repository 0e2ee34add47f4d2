// Package mariadbtest gives tests a fresh MariaDB/MySQL database of their
// own, for the connectors that write into forum software's tables (phpBB3,
// SMF, XenForo). The tests run when KEEPSTAR_TEST_MARIADB_DSN names a server
// and are skipped, saying so, when it does not.
package mariadbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Env names the variable that switches the MariaDB tests on, a
// go-sql-driver DSN such as root@tcp(127.0.0.1:3306)/test.
const Env = "KEEPSTAR_TEST_MARIADB_DSN"

// Database creates an empty database for the test, dropped at cleanup, and
// returns a DSN that selects it.
func Database(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("MariaDB tests are off: set %s (as in root@tcp(127.0.0.1:3306)/test) to run them", Env)
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	admin, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	defer admin.Close()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "test_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	cfg.ParseTime = true
	return cfg.FormatDSN()
}
