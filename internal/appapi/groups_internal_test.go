package appapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestGroupsStatements: the groups of a character cost one statement, the
// app's version read with them, whatever the account's groups; the
// groups of many characters a fixed number per thousand, none per
// character.
func TestGroupsStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := db.Exec(ctx, query, args...); err != nil {
				t.Fatal(err)
			}
		}
		var seen []int64
		for g := range 6 {
			exec(`INSERT INTO groups (id, name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at)
				VALUES ($1, $2, '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $3, $3)`, 100+g, fmt.Sprintf("group-%c", 'F'-g), now)
			if g%2 == 0 {
				seen = append(seen, int64(100+g))
			}
		}
		// 1,200 accounts of one character, each in every group.
		for a := 1; a <= 1200; a++ {
			exec(`INSERT INTO accounts (id, name, status, active, superuser, language, theme, created_at, updated_at)
				VALUES ($1, 'Pilot', 'standard', TRUE, FALSE, '', '', $2, $2)`, a, now)
			exec(`INSERT INTO characters (id, account_id, name, owner_hash, main, created_at) VALUES ($1, $2, 'Pilot', 'hash', TRUE, $3)`,
				90_000_000+a, a, now)
			for g := range 6 {
				exec(`INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, a, 100+g, now)
			}
		}
		st := NewStore(db, []byte("apps-test-secret-key-0123456789abcdef"), nil)
		app, err := st.Create(ctx, Input{Name: "Bot", Roles: []string{RoleGroups}, Groups: seen})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := st.NewSecret(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		header := "Bearer " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%d:%s", app.ID, secret))
		api := NewAPI(APIDeps{DB: db, Apps: st, Logger: slog.New(slog.DiscardHandler)})
		if _, err := api.auth.Authenticate(ctx, header); err != nil { // the secret checked once
			t.Fatal(err)
		}

		// The route as mounted: its app remembered, one statement reads
		// the app's version and the groups together.
		route := api.versioned(RoleGroups, api.accountGroupsRead("Character not found."), func(w http.ResponseWriter, r *http.Request, app *App) {
			api.accountGroups(w, r, app, "Character not found.")
		})
		counted, n := store.CountQueries(ctx)
		req := httptest.NewRequestWithContext(counted, "GET", "/api/app/v2/groups/90000001", nil)
		req.SetPathValue("cid", "90000001")
		req.Header.Set("Authorization", header)
		rec := httptest.NewRecorder()
		route.ServeHTTP(rec, req)
		var names []string
		for _, g := range strings.Split(rec.Body.String(), `"name":"`)[1:] {
			names = append(names, g[:strings.IndexByte(g, '"')])
		}
		if got := strings.Join(names, ","); rec.Code != http.StatusOK || got != "group-B,group-D,group-F" {
			t.Errorf("%d, groups %s, want 200 and the app's three by name", rec.Code, got)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("authentication and the groups of a character: %d statements, want 1", got)
		}
		authed, err := api.auth.Authenticate(ctx, header)
		if err != nil {
			t.Fatal(err)
		}

		// The third thousand of 2,500 has nobody: no memberships to read.
		for _, c := range []struct {
			characters int
			want       int64
		}{{1, 3}, {1000, 3}, {1200, 5}, {2500, 6}} {
			ids := make([]int64, c.characters)
			for i := range ids {
				ids[i] = int64(90_000_001 + i)
			}
			counted, n := store.CountQueries(ctx)
			out, err := api.charactersGroups(counted, authed, ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != min(c.characters, 1200) || len(out[len(out)-1].Groups) != 3 {
				t.Errorf("%d characters: %d answers", c.characters, len(out))
			}
			if got := n.Load(); got != c.want {
				t.Errorf("groups of %d characters: %d statements, want %d", c.characters, got, c.want)
			}
		}
	})
}

// TestPHPIntegers: ids are read as Neucore's PHP reads them.
func TestPHPIntegers(t *testing.T) {
	for in, want := range map[string]int64{
		"123": 123, " 123": 123, "\t\n123": 123, "+5": 5, "-5": -5, "12abc": 12, "abc": 0, "": 0,
		"1.9": 1, "1e3": 1000, "1.5e1x": 15, ".5": 0, "0x1A": 0, "99999999999999999999": 9223372036854775807,
		"-99999999999999999999": -9223372036854775808, "1e30": 9223372036854775807, "007": 7,
	} {
		if got := phpInt(in); got != want {
			t.Errorf("phpInt(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestIDsFromBody: the body of a bulk operation as Neucore reads it, ids
// above zero only.
func TestIDsFromBody(t *testing.T) {
	for _, c := range []struct {
		contentType, body string
		want              []int64 // nil: refused (400)
	}{
		{"application/json", `[3, 1, 3, "2", 2.9, 0, -1, null, false, true, [], [7], {"a": 1}, "x", 1e2, 1e40]`, []int64{3, 1, 2, 100}},
		{"application/json; charset=utf-8", `[]`, []int64{}},
		{"application/json", ` [ 5 ] `, []int64{5}},
		{"application/json", `[5] x`, nil},
		{"application/json", `{"a": 5}`, nil},
		{"application/json", `5`, nil},
		{"application/json", `null`, nil},
		{"application/json", ``, nil},
		{"application/x-www-form-urlencoded", `a=5&b=-1&c=5&d=7x`, []int64{5, 7}},
		{"text/plain", `[5]`, nil},
		{"", `[5]`, nil},
	} {
		r := httptest.NewRequest("POST", "/api/app/v1/groups", strings.NewReader(c.body))
		if c.contentType != "" {
			r.Header.Set("Content-Type", c.contentType)
		}
		got, ok := idsFromBody(r)
		if ok != (c.want != nil) || !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v %t, want %v", c.contentType, c.body, got, ok, c.want)
		}
	}
}
