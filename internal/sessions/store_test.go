package sessions_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// t0 is the tests' "now"; only the test moves its clocks.
var t0 = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

const idle = 30 * time.Minute

func find(t *testing.T, st *sessions.Store, token string, now time.Time) (sessions.Row, bool) {
	t.Helper()
	r, err := st.Find(context.Background(), token, now, now.Add(-idle))
	if errors.Is(err, sessions.ErrNotFound) {
		return r, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return r, true
}

func countSessions(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func row(data string, character int32, created time.Time, lifetime time.Duration) sessions.Row {
	return sessions.Row{Data: []byte(data), CharacterID: character, Created: created, LastSeen: created,
		Expiry: created.Add(lifetime), Address: "203.0.113.0/24", Agent: "Firefox/Linux"}
}

func TestInsertFindUpdateTouchDelete(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := sessions.NewStore(db)
		if _, ok := find(t, st, "never-made", t0); ok {
			t.Fatal("found a session never made")
		}
		if _, ok := find(t, st, "", t0); ok {
			t.Fatal("found the empty token")
		}
		if err := st.Insert(ctx, "tok-a", row("first", 0, t0, time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, ok := find(t, st, "tok-a", t0)
		if !ok || string(got.Data) != "first" || got.CharacterID != 0 || !got.Created.Equal(t0) || !got.Expiry.Equal(t0.Add(time.Hour)) ||
			got.Address != "203.0.113.0/24" || got.Agent != "Firefox/Linux" || got.TokenHash != sha256Hex("tok-a") {
			t.Fatalf("found %+v, %v", got, ok)
		}

		now := t0.Add(10 * time.Minute)
		if err := st.Update(ctx, "tok-a", sessions.Row{Data: []byte("second"), CharacterID: 90000001, LastSeen: now,
			Address: "2001:db8:1::/48", Agent: "Chrome/Android"}); err != nil {
			t.Fatal(err)
		}
		got, _ = find(t, st, "tok-a", now)
		if string(got.Data) != "second" || got.CharacterID != 90000001 || !got.LastSeen.Equal(now) || !got.Created.Equal(t0) ||
			got.Address != "2001:db8:1::/48" || got.Agent != "Chrome/Android" {
			t.Fatalf("after update %+v", got)
		}
		if err := st.Update(ctx, "gone", sessions.Row{}); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("update of a missing session: %v", err)
		}
		if n := countSessions(t, db); n != 1 {
			t.Fatalf("an update made a row: %d rows", n)
		}

		later := t0.Add(20 * time.Minute)
		if err := st.Touch(ctx, "tok-a", later, "198.51.100.0/24", "Safari/iOS"); err != nil {
			t.Fatal(err)
		}
		got, _ = find(t, st, "tok-a", later)
		if string(got.Data) != "second" || !got.LastSeen.Equal(later) || got.Address != "198.51.100.0/24" || got.Agent != "Safari/iOS" {
			t.Fatalf("after touch %+v", got)
		}

		if err := st.Delete(ctx, "tok-a"); err != nil {
			t.Fatal(err)
		}
		if _, ok := find(t, st, "tok-a", later); ok {
			t.Fatal("found after delete")
		}
		if err := st.Delete(ctx, "tok-a"); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if err := st.Delete(ctx, ""); err != nil {
			t.Fatalf("delete of the empty token: %v", err)
		}
	})
}

// A session ends at its expiry, and when its last activity is older than
// the idle timeout, whichever comes first.
func TestSessionEndsAtExpiryOrIdle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := sessions.NewStore(db)
		if err := st.Insert(ctx, "idle", row("x", 0, t0, 24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, ok := find(t, st, "idle", t0.Add(idle-time.Microsecond)); !ok {
			t.Fatal("ended before its idle timeout")
		}
		if _, ok := find(t, st, "idle", t0.Add(idle)); ok {
			t.Fatal("found at its idle timeout")
		}

		if err := st.Insert(ctx, "short", row("x", 0, t0, 20*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, ok := find(t, st, "short", t0.Add(20*time.Minute-time.Microsecond)); !ok {
			t.Fatal("ended before its expiry")
		}
		if _, ok := find(t, st, "short", t0.Add(20*time.Minute)); ok {
			t.Fatal("found at its expiry")
		}
		// Not found, yet still there until the cleanup.
		if n := countSessions(t, db); n != 2 {
			t.Fatalf("%d rows, want the ended ones kept", n)
		}
	})
}

func TestDeleteEnded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := sessions.NewStore(db)
		for token, r := range map[string]sessions.Row{
			"expired":   row("x", 0, t0.Add(-2*time.Hour), time.Hour),
			"idle":      row("x", 0, t0.Add(-idle), 24*time.Hour),
			"live":      row("x", 0, t0.Add(-idle+time.Microsecond), 24*time.Hour),
			"live-long": row("x", 0, t0, 30*24*time.Hour),
		} {
			if err := st.Insert(ctx, token, r); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.DeleteEnded(ctx, t0, t0.Add(-idle))
		if err != nil || n != 2 {
			t.Fatalf("deleted %d, err %v; want 2", n, err)
		}
		for _, token := range []string{"live", "live-long"} {
			if _, ok := find(t, st, token, t0); !ok {
				t.Errorf("%s was deleted", token)
			}
		}
		if n, err := st.DeleteEnded(ctx, t0, t0.Add(-idle)); err != nil || n != 0 {
			t.Fatalf("second pass deleted %d, err %v; want 0", n, err)
		}
	})
}

func TestForCharacters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		st := sessions.NewStore(db)
		for token, r := range map[string]sessions.Row{
			"a-1":     row("x", 1, t0, time.Hour),
			"a-2":     row("x", 1, t0.Add(time.Minute), time.Hour),
			"b":       row("x", 2, t0.Add(2*time.Minute), time.Hour),
			"other":   row("x", 3, t0, time.Hour),
			"visitor": row("x", 0, t0, time.Hour),
			"ended":   row("x", 1, t0.Add(-2*time.Hour), time.Hour),
		} {
			if err := st.Insert(ctx, token, r); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := st.ForCharacters(ctx, []int32{1, 2, 99}, t0.Add(3*time.Minute), t0.Add(3*time.Minute-idle))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.TokenHash)
		}
		want := []string{sha256Hex("a-1"), sha256Hex("a-2"), sha256Hex("b")}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("got %v, want %v (oldest first)", got, want)
		}
		if rows, err := st.ForCharacters(ctx, nil, t0, t0.Add(-idle)); err != nil || len(rows) != 0 {
			t.Fatalf("no characters: %v, %v", rows, err)
		}
		if err := st.DeleteHashes(ctx, want[:2]); err != nil {
			t.Fatal(err)
		}
		if n := countSessions(t, db); n != 4 {
			t.Fatalf("%d rows after deleting two of six", n)
		}
	})
}

// rawRow is a sessions row as the database holds it.
type rawRow struct {
	tokenHash string
	data      []byte
}

func rawRows(t *testing.T, db *store.DB) []rawRow {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT token_hash, data FROM sessions")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rawRow
	for rows.Next() {
		var r rawRow
		if err := rows.Scan(&r.tokenHash, &r.data); err != nil {
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
		if strings.Contains(r.tokenHash, token) || bytes.Contains(r.data, []byte(token)) {
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
		const token = "bearer-token-that-must-stay-in-the-cookie"
		if err := sessions.NewStore(db).Insert(context.Background(), token, row("values", 0, t0, time.Hour)); err != nil {
			t.Fatal(err)
		}
		assertTokenNotStored(t, db, token)
	})
}
