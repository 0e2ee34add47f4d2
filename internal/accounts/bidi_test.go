package accounts_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// EVE names are players' own: one carrying RIGHT-TO-LEFT OVERRIDE (U+202E)
// or another direction control must not reorder the admin pages around it.
// Each is shown isolated, in <bdi> with its controls balanced.
func TestDirectionControlsInNamesAreIsolatedOnAdminPages(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			a := site.AccountCharacters(t, 1)
			rootChar := site.AccountCharacters(t, 1, a...)
			member := site.NewBrowser(t)
			member.LogIn(t, a[0])
			target := pageAccount(t, site, a[0])
			root := site.NewBrowser(t)
			root.LogIn(t, rootChar[0])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(rootChar[0]))); err != nil {
				t.Fatal(err)
			}
			// Names as a player could choose them: an override left open,
			// a stray isolate closer, an embedding.
			const name, corp, ticker = "Evil\u202Eolleh", "Corp\u2069\u202Bx", "T\u202E1"
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE characters SET name = $1 WHERE id = $2`, []any{name, a[0]}},
				{`UPDATE accounts SET name = $1 WHERE id = $2`, []any{name, target}},
				{`UPDATE eve_corporations SET name = $1, ticker = $2 WHERE id = (SELECT corporation_id FROM characters WHERE id = $3)`, []any{corp, ticker, a[0]}},
				{`INSERT INTO character_owners (character_id, owner_hash, account_id, character_name, first_seen, last_seen)
					SELECT id, 'other-owner', account_id, name, created_at, created_at FROM characters WHERE id = $1`, []any{a[0]}},
			} {
				if _, err := site.DB.Exec(ctx, q.sql, q.args...); err != nil {
					t.Fatal(err)
				}
			}
			for _, path := range []string{
				"/admin/accounts?q=" + url.QueryEscape("olleh"),
				"/admin/accounts",
				"/admin/accounts/" + strconv.FormatInt(target, 10),
			} {
				p := root.Get(t, path)
				if p.Status != 200 || !strings.Contains(p.Body, "<bdi>Evil\u202Eolleh\u202C</bdi>") {
					t.Errorf("GET %s: %d, the name is not isolated:\n%s", path, p.Status, p.Body)
				}
				for _, bad := range unisolated(p.Body) {
					t.Errorf("GET %s: a direction control shown raw: %q", path, bad)
				}
			}
			p := member.Get(t, "/")
			if !strings.Contains(p.Body, "<bdi>Corp\u202Bx\u202C</bdi>") || !strings.Contains(p.Body, "<bdi>T\u202E1\u202C</bdi>") {
				t.Errorf("the corporation's name and ticker are not isolated on the dashboard:\n%s", p.Body)
			}
			for _, bad := range unisolated(p.Body) {
				t.Errorf("dashboard: a direction control shown raw: %q", bad)
			}
		})
	}
}

// unisolated gives the surroundings of each direction control in body that
// is neither in a <bdi> element nor between FIRST STRONG ISOLATE and POP
// DIRECTIONAL ISOLATE, or whose isolate is not balanced.
func unisolated(body string) []string {
	var bad []string
	for i, r := range body {
		if !i18n.HasBidiControl(string(r)) || r == '\u2068' || r == '\u2069' {
			continue
		}
		before := body[:i]
		open, closed := strings.LastIndex(before, "<bdi>"), strings.LastIndex(before, "</bdi>")
		fsi, pdi := strings.LastIndex(before, "\u2068"), strings.LastIndex(before, "\u2069")
		switch {
		case open > closed:
			end := strings.Index(body[open:], "</bdi>")
			if inner := body[open+len("<bdi>") : open+end]; end < 0 || i18n.BalanceBidi(inner) != inner {
				bad = append(bad, body[open:min(len(body), i+40)])
			}
		case fsi > pdi:
		default:
			bad = append(bad, body[max(0, i-40):min(len(body), i+40)])
		}
	}
	return bad
}
