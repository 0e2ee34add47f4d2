package mariadbtest

import (
	"context"
	"database/sql"
	"testing"
)

// Each test's database is its own: a table made in one is absent in another.
func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	ctx := context.Background()
	open := func(dsn string) *sql.DB {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(Database(t)), open(Database(t))
	if _, err := a.ExecContext(ctx, "CREATE TABLE phpbb_users (user_id INT PRIMARY KEY, username VARCHAR(255))"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ExecContext(ctx, "INSERT INTO phpbb_users VALUES (?, ?)", 1, "Alice Alt"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := a.QueryRowContext(ctx, "SELECT username FROM phpbb_users WHERE user_id = ?", 1).Scan(&name); err != nil || name != "Alice Alt" {
		t.Fatalf("read back %q, %v", name, err)
	}
	if _, err := b.ExecContext(ctx, "SELECT 1 FROM phpbb_users"); err == nil {
		t.Error("the second database sees the first one's table")
	}
}
