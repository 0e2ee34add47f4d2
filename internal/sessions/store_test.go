package sessions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// t0 is the tests' "now"; the store's clock starts there and only the test
// moves it.
var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// clockAt gives a store clock reading *now, so a test moves time by
// assigning to it. The store is used from the test's goroutine only.
func clockAt(now *time.Time) func() time.Time {
	return func() time.Time { return *now }
}

func mustFind(t *testing.T, st *sessions.Store, token string) []byte {
	t.Helper()
	b, found, err := st.FindCtx(context.Background(), token)
	if err != nil || !found {
		t.Fatalf("find %q: found %v, err %v", token, found, err)
	}
	return b
}

func mustNotFind(t *testing.T, st *sessions.Store, token string) {
	t.Helper()
	b, found, err := st.FindCtx(context.Background(), token)
	if err != nil || found || b != nil {
		t.Fatalf("find %q: found %v (%q), err %v; want not found", token, found, b, err)
	}
}

func countSessions(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommitFindOverwriteDelete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := t0
		st := sessions.NewStore(db, clockAt(&now))

		mustNotFind(t, st, "never-committed")
		mustNotFind(t, st, "")

		if err := st.CommitCtx(ctx, "tok-a", []byte("first"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.CommitCtx(ctx, "tok-b", []byte("other"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := mustFind(t, st, "tok-a"); string(got) != "first" {
			t.Fatalf("tok-a holds %q", got)
		}

		// Committing the same token again replaces data and expiry.
		if err := st.CommitCtx(ctx, "tok-a", []byte("second"), t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := mustFind(t, st, "tok-a"); string(got) != "second" {
			t.Fatalf("tok-a holds %q after overwrite", got)
		}
		if n := countSessions(t, db); n != 2 {
			t.Fatalf("%d rows after overwrite, want 2", n)
		}
		now = t0.Add(90 * time.Minute) // past the first expiry, before the second
		mustFind(t, st, "tok-a")
		mustNotFind(t, st, "tok-b")

		if err := st.DeleteCtx(ctx, "tok-a"); err != nil {
			t.Fatal(err)
		}
		mustNotFind(t, st, "tok-a")
		// Deleting what is not there is no error (scs's contract).
		if err := st.DeleteCtx(ctx, "tok-a"); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if err := st.DeleteCtx(ctx, ""); err != nil {
			t.Fatalf("delete of the empty token: %v", err)
		}
	})
}

// The methods without a context are scs.Store's; they do the same.
func TestMethodsWithoutContext(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		now := t0
		st := sessions.NewStore(db, clockAt(&now))
		if err := st.Commit("tok", []byte("data"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		b, found, err := st.Find("tok")
		if err != nil || !found || string(b) != "data" {
			t.Fatalf("find: %q, %v, %v", b, found, err)
		}
		if err := st.Delete("tok"); err != nil {
			t.Fatal(err)
		}
		if _, found, err := st.Find("tok"); err != nil || found {
			t.Fatalf("after delete: found %v, err %v", found, err)
		}
	})
}

func TestExpiredSessionIsNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		now := t0
		st := sessions.NewStore(db, clockAt(&now))
		expiry := t0.Add(time.Hour)
		if err := st.CommitCtx(context.Background(), "tok", []byte("data"), expiry); err != nil {
			t.Fatal(err)
		}
		now = expiry.Add(-time.Microsecond) // the finest time both engines keep
		mustFind(t, st, "tok")
		now = expiry // a session ends at its expiry, as DeleteExpired sees it
		mustNotFind(t, st, "tok")
		now = expiry.Add(24 * time.Hour)
		mustNotFind(t, st, "tok")
		// Not found, yet still there until the cleanup.
		if n := countSessions(t, db); n != 1 {
			t.Fatalf("%d rows, want the expired one kept", n)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := t0
		st := sessions.NewStore(db, clockAt(&now))
		for token, expiry := range map[string]time.Time{
			"long-gone":  t0.Add(-24 * time.Hour),
			"just-ended": t0,
			"live":       t0.Add(time.Microsecond),
			"live-long":  t0.Add(30 * 24 * time.Hour),
		} {
			if err := st.CommitCtx(ctx, token, []byte(token), expiry); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.DeleteExpired(ctx)
		if err != nil || n != 2 {
			t.Fatalf("deleted %d, err %v; want 2", n, err)
		}
		if got := countSessions(t, db); got != 2 {
			t.Fatalf("%d rows left, want 2", got)
		}
		mustFind(t, st, "live")
		mustFind(t, st, "live-long")
		if n, err := st.DeleteExpired(ctx); err != nil || n != 0 {
			t.Fatalf("second pass deleted %d, err %v; want 0", n, err)
		}
	})
}

// rawRow is a sessions row as the database holds it.
type rawRow struct {
	tokenHash string
	data      []byte
	expiry    time.Time
}

func rawRows(t *testing.T, db *store.DB) []rawRow {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT token_hash, data, expiry FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rawRow
	for rows.Next() {
		var r rawRow
		if err := rows.Scan(&r.tokenHash, &r.data, &r.expiry); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// assertTokenNotStored fails when the bearer token appears anywhere in the
// table, and checks that its row is keyed by the token's SHA-256.
func assertTokenNotStored(t *testing.T, db *store.DB, token string) {
	t.Helper()
	rows := rawRows(t, db)
	keyed := false
	for _, r := range rows {
		if strings.Contains(r.tokenHash, token) || bytes.Contains(r.data, []byte(token)) ||
			strings.Contains(r.expiry.String(), token) {
			t.Errorf("the token %q is stored in plain: %+v", token, r)
		}
		keyed = keyed || r.tokenHash == sha256Hex(token)
	}
	if !keyed {
		t.Errorf("no row keyed by the SHA-256 of %q among %d rows", token, len(rows))
	}
}

func TestTokenIsNotStored(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		now := t0
		st := sessions.NewStore(db, clockAt(&now))
		const token = "bearer-token-that-must-stay-in-the-cookie"
		if err := st.CommitCtx(context.Background(), token, []byte("values"), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		assertTokenNotStored(t, db, token)
	})
}
