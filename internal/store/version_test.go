package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func TestServerVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v, err := db.ServerVersion(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// "3.54.1" (SQLite), "15.20 (Debian 15.20-0+deb12u1)" (PostgreSQL).
		if !regexp.MustCompile(`^[0-9]+\.[0-9]+`).MatchString(v) {
			t.Errorf("%s: server version %q, want a version number", db.Dialect(), v)
		}
		t.Logf("%s %s", db.Dialect(), v)
	})
}
