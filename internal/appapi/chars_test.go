package appapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// charsSite is a site whose accounts, removals and tokens were all made the
// way members and admins make them (logins, added characters, a merge, a
// sale, deletions), for the operations of roles app-chars and app-tracking:
//
//	acc1: P0 (main), P1 (its token invalid), P2 (its corporation unknown
//	      to Keepstar); S0 and X0 were added, Q0 came in a merge with acc2
//	      (moved); S0 was sold (moved-owner-changed to acc3), X0 deleted by
//	      the member (deleted-manually), Q0 deleted by an admin
//	      (deleted-by-admin, which the API does not show)
//	acc2: no characters left (Q0 merged away)
//	acc3: S0 (main), bought
//	acc4: R0, the superuser
//	acc5: N0, logged in without scopes
//
// P0, P1 and S0 are in one corporation, of an alliance.
type charsSite struct {
	site                         *sitetest.Site
	chars, tracking, plain       string // Authorization of apps with app-chars, app-tracking, neither
	p0, p1, p2, s0, q0, x0, r0   int32
	n0                           int32
	acc1, acc2, acc3, acc4, acc5 int64
	corp, unknownCorp            int32
	// removed is when each removal was made, by character and reason.
	removed map[string]time.Time
}

// charsTokenState is what a character's core.default token is in the scenario.
type charsTokenState string

const (
	tokenValid    charsTokenState = "valid"
	tokenInvalid  charsTokenState = "invalid"
	tokenNoScopes charsTokenState = "no-scopes"
)

func startCharsSite(t *testing.T, d config.Dialect) *charsSite {
	t.Helper()
	ctx := context.Background()
	site := sitetest.Start(t, sitetest.Options{Dialect: d})
	st := settings.NewStore(site.DB, settings.NewRegistry(accounts.Settings), nil, 0)
	if err := st.Set(ctx, map[string]string{"accounts.allow_character_deletion": "true", "accounts.allow_login_no_scopes": "true"}); err != nil {
		t.Fatal(err)
	}
	site.Restart()
	u := site.Sim.Universe
	s := &charsSite{site: site, removed: map[string]time.Time{}}
	p := site.AccountCharacters(t, 3)
	s.p0, s.p1, s.p2 = p[0], p[1], p[2]
	used := slices.Clone(p)
	for _, id := range []*int32{&s.s0, &s.q0, &s.x0, &s.r0, &s.n0} {
		*id = site.AccountCharacters(t, 1, used...)[0]
		used = append(used, *id)
	}
	// A corporation of an alliance, none of the characters' yet, for P0,
	// P1 and S0.
	for _, al := range u.Alliances() {
		corps, err := u.AllianceCorporations(al)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range corps {
			if !slices.ContainsFunc(used, func(id int32) bool { ch, _ := u.Character(id); return ch.CorporationID == c }) {
				s.corp = c
			}
		}
		if s.corp != 0 {
			break
		}
	}
	for _, id := range []int32{s.p0, s.p1, s.s0} {
		if err := u.MoveCharacter(id, s.corp); err != nil {
			t.Fatal(err)
		}
	}
	p2, _ := u.Character(s.p2)
	s.unknownCorp = p2.CorporationID

	b1 := site.NewBrowser(t)
	b1.LogIn(t, s.p0)
	for _, id := range []int32{s.p1, s.p2, s.s0, s.x0} {
		b1.AddCharacter(t, id)
	}
	b2 := site.NewBrowser(t)
	b2.LogIn(t, s.q0)
	b2.AddCharacter(t, s.p1) // same owner as acc1's: the accounts merge into acc1
	if _, err := u.TransferCharacter(s.s0, 0); err != nil {
		t.Fatal(err)
	}
	site.NewBrowser(t).LogIn(t, s.s0) // the buyer: S0 moves to a new account
	if p := b1.Post(t, fmt.Sprintf("/characters/%d/delete", s.x0), url.Values{"confirm": {"yes"}}); p.Status != http.StatusOK {
		t.Fatalf("member's deletion: %d", p.Status)
	}
	admin := site.NewBrowser(t)
	admin.LogIn(t, s.r0)
	r0, _ := u.Character(s.r0)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, r0.Name); err != nil {
		t.Fatal(err)
	}
	s.acc1 = s.accountOf(t, s.p0)
	if p := admin.Post(t, fmt.Sprintf("/admin/accounts/%d/characters/%d/delete", s.acc1, s.q0), url.Values{"confirm": {"yes"}}); p.Status != http.StatusOK {
		t.Fatalf("admin's deletion: %d", p.Status)
	}
	if p := site.NewBrowser(t).Flow(t, "/sso/login/core.no-scopes", s.n0); p.Status != http.StatusOK {
		t.Fatalf("no-scopes login: %d", p.Status)
	}
	// P1's token dies; the token check finds out.
	if err := u.InvalidateTokens(s.p1); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, tokencheck.Args{All: true})
	// Keepstar has a character in a corporation it has not read yet when
	// ESI failed; none of the rules leaves that, so the row goes by hand.
	if _, err := site.DB.Exec(ctx, `DELETE FROM eve_corporations WHERE id = $1`, s.unknownCorp); err != nil {
		t.Fatal(err)
	}

	s.acc3, s.acc4, s.acc5 = s.accountOf(t, s.s0), s.accountOf(t, s.r0), s.accountOf(t, s.n0)
	if err := site.DB.QueryRow(ctx, `SELECT account_id FROM character_removals WHERE character_id = $1 AND reason = 'moved'`, s.q0).Scan(&s.acc2); err != nil {
		t.Fatal(err)
	}
	rows, err := site.DB.Query(ctx, `SELECT character_id, reason, removed_at FROM character_removals`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int32
		var reason string
		var at time.Time
		if err := rows.Scan(&id, &reason, &at); err != nil {
			t.Fatal(err)
		}
		s.removed[fmt.Sprint(id, reason)] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	st2 := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	for _, a := range []struct {
		auth  *string
		roles []string
	}{
		{&s.chars, []string{appapi.RoleApp, appapi.RoleChars}},
		{&s.tracking, []string{appapi.RoleTracking}},
		{&s.plain, []string{appapi.RoleApp, appapi.RoleGroups, appapi.RoleESIToken}},
	} {
		app, err := st2.Create(ctx, appapi.Input{Name: strings.Join(a.roles, " "), Roles: a.roles})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := st2.NewSecret(ctx, app.ID)
		if err != nil {
			t.Fatal(err)
		}
		*a.auth = bearer(app.ID, secret)
	}
	return s
}

func (s *charsSite) accountOf(t *testing.T, id int32) int64 {
	t.Helper()
	var acc int64
	if err := s.site.DB.QueryRow(context.Background(), `SELECT account_id FROM characters WHERE id = $1`, id).Scan(&acc); err != nil {
		t.Fatalf("account of %d: %v", id, err)
	}
	return acc
}

func charsDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *charsSite) name(t *testing.T, id int32) string {
	t.Helper()
	c, err := s.site.Sim.Universe.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Name
}

// character is the JSON Neucore gives of a character: its name and
// corporation from the simulated EVE, the dates from what Keepstar stored,
// the token fields as its token's state in the scenario says.
func (s *charsSite) character(t *testing.T, id int32, state charsTokenState, withCorporation bool) map[string]any {
	t.Helper()
	ctx := context.Background()
	var main bool
	var created time.Time
	if err := s.site.DB.QueryRow(ctx, `SELECT main, created_at FROM characters WHERE id = $1`, id).Scan(&main, &created); err != nil {
		t.Fatalf("character %d: %v", id, err)
	}
	var validity, scopes string
	var checked, tokenCreated time.Time
	var invalidSince *time.Time
	if err := s.site.DB.QueryRow(ctx, `SELECT validity, scopes, checked_at, created_at, invalid_since FROM eve_tokens
		WHERE character_id = $1 AND login = 'core.default'`, id).Scan(&validity, &scopes, &checked, &tokenCreated, &invalidSince); err != nil {
		t.Fatalf("token of %d: %v", id, err)
	}
	c := map[string]any{"id": id, "name": s.name(t, id), "main": main, "created": charsDate(created), "lastUpdate": nil,
		"tokenLastChecked": charsDate(checked)}
	switch state {
	case tokenValid:
		if validity != "valid" || scopes == "" {
			t.Fatalf("token of %d: %s with scopes %q, want valid with scopes", id, validity, scopes)
		}
		c["validToken"], c["validTokenTime"] = true, charsDate(tokenCreated)
	case tokenInvalid:
		if validity != "invalid" || invalidSince == nil {
			t.Fatalf("token of %d: %s, want invalid", id, validity)
		}
		c["validToken"], c["validTokenTime"] = false, charsDate(*invalidSince)
	case tokenNoScopes:
		if validity != "valid" || scopes != "" {
			t.Fatalf("token of %d: %s with scopes %q, want valid without scopes", id, validity, scopes)
		}
		c["validToken"], c["validTokenTime"] = nil, nil
	}
	if withCorporation {
		c["corporation"] = s.corporation(t, id)
	}
	return c
}

// corporation is the character's corporation with its alliance, as the
// simulated EVE has them; Keepstar knows no name or ticker of
// unknownCorp.
func (s *charsSite) corporation(t *testing.T, id int32) map[string]any {
	t.Helper()
	u := s.site.Sim.Universe
	ch, _ := u.Character(id)
	corp, err := u.Corporation(ch.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{"id": corp.ID, "name": corp.Name, "ticker": corp.Ticker, "alliance": nil}
	if corp.ID == s.unknownCorp {
		out["name"], out["ticker"] = nil, nil
	}
	if corp.AllianceID != 0 {
		al, err := u.Alliance(corp.AllianceID)
		if err != nil {
			t.Fatal(err)
		}
		out["alliance"] = map[string]any{"id": al.ID, "name": al.Name, "ticker": al.Ticker}
	}
	return out
}

// charsByName sorts characters' JSON by name, without case.
func charsByName(cs ...map[string]any) []map[string]any {
	slices.SortFunc(cs, func(a, b map[string]any) int {
		return strings.Compare(strings.ToLower(a["name"].(string)), strings.ToLower(b["name"].(string)))
	})
	return cs
}

// call makes a request and gives the status, the reason phrase and
// the body.
func (s *charsSite) call(t *testing.T, method, path, auth, contentType, body string) (int, string, string) {
	t.Helper()
	res, got := request(t, method, s.site.URL+path, auth, body, "Content-Type", contentType)
	return res.StatusCode, strings.TrimPrefix(res.Status, strconv.Itoa(res.StatusCode)+" "), got
}

// expect checks a success: status 200, JSON, the whole document as want,
// and valid against the operation's schema in Neucore's spec.
func (s *charsSite) expect(t *testing.T, method, path, body string, want any) {
	t.Helper()
	contentType := ""
	if method == http.MethodPost {
		contentType = "application/json"
	}
	status, _, got := s.call(t, method, path, s.chars, contentType, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s %s: %d %q", method, path, body, status, got)
	}
	var v any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("%s %s: %v in %q", method, path, err, got)
	}
	norm, _ := json.Marshal(v)
	w, _ := json.Marshal(want)
	var wv any
	_ = json.Unmarshal(w, &wv)
	w, _ = json.Marshal(wv)
	if string(norm) != string(w) {
		t.Errorf("%s %s %s:\n got %s\nwant %s", method, path, body, norm, w)
	}
	checkCharsSchema(t, method, path, v)
}

// expectEmpty checks an answer without a body: its status and reason
// phrase.
func (s *charsSite) expectEmpty(t *testing.T, method, path, auth, contentType, body string, status int, phrase string) {
	t.Helper()
	gotStatus, gotPhrase, got := s.call(t, method, path, auth, contentType, body)
	if gotStatus != status || gotPhrase != phrase || got != "" {
		t.Errorf("%s %s %q (%s): %d %q %q, want %d %q and no body", method, path, body, contentType, gotStatus, gotPhrase, got, status, phrase)
	}
}

func TestCharacterOperations(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startCharsSite(t, d)
			testCharacterOperations(t, s)
		})
	}
}

func testCharacterOperations(t *testing.T, s *charsSite) {
	p0 := s.character(t, s.p0, tokenValid, true)
	p1 := s.character(t, s.p1, tokenInvalid, true)
	p2 := s.character(t, s.p2, tokenValid, true)
	s0 := s.character(t, s.s0, tokenValid, true)
	n0 := s.character(t, s.n0, tokenNoScopes, true)
	if p0["main"] != true || p1["main"] != false || s0["main"] != true || n0["main"] != true {
		t.Fatalf("mains: %v %v %v %v", p0["main"], p1["main"], s0["main"], n0["main"])
	}
	if c := p2["corporation"].(map[string]any); c["name"] != nil {
		t.Fatalf("P2's corporation is known: %v", c)
	}
	if c := p0["corporation"].(map[string]any); c["alliance"] == nil || c["name"] == nil {
		t.Fatalf("P0's corporation: %v", c)
	}
	withoutCorporation := func(c map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range c {
			if k != "corporation" {
				out[k] = v
			}
		}
		return out
	}
	acc1 := map[string]any{"id": s.acc1, "name": s.name(t, s.p0)}
	acc2 := map[string]any{"id": s.acc2, "name": s.name(t, s.q0)}
	acc3 := map[string]any{"id": s.acc3, "name": s.name(t, s.s0)}
	acc1Chars := charsByName(p0, p1, p2)

	t.Run("main", func(t *testing.T) {
		for _, v := range []string{"v1", "v2"} {
			s.expect(t, "GET", fmt.Sprintf("/api/app/%s/main/%d", v, s.p1), "", p0)
			s.expect(t, "GET", fmt.Sprintf("/api/app/%s/main/%d", v, s.s0), "", s0)
			// PHP's (int) reads the leading number.
			s.expect(t, "GET", fmt.Sprintf("/api/app/%s/main/%dabc", v, s.p2), "", p0)
		}
		for _, path := range []string{"/123456", "/abc", fmt.Sprintf("/%d", s.q0), fmt.Sprintf("/%d", s.x0)} {
			s.expectEmpty(t, "GET", "/api/app/v1/main"+path, s.chars, "", "", 404, "Not Found")
			s.expectEmpty(t, "GET", "/api/app/v2/main"+path, s.chars, "", "", 404, "Character not found.")
		}
	})

	t.Run("player", func(t *testing.T) {
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/player/%d", s.p2), "", acc1)
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/player/%d", s.s0), "", acc3)
		s.expectEmpty(t, "GET", "/api/app/v1/player/123456", s.chars, "", "", 404, "Character not found.")
		s.expectEmpty(t, "GET", "/api/app/v1/player/x", s.chars, "", "", 404, "Character not found.")
	})

	t.Run("players", func(t *testing.T) {
		// Strings, repeats and unknown ids; one entry per character found,
		// by account then character.
		body := fmt.Sprintf(`[%d, "%d", %d, 123456, %d, %d.0, true, null, %d]`, s.p1, s.p0, s.s0, s.p1, s.n0, s.q0)
		want := []map[string]any{}
		for _, c := range []struct {
			acc  int64
			name string
			id   int32
		}{{s.acc1, s.name(t, s.p0), s.p0}, {s.acc1, s.name(t, s.p0), s.p1}, {s.acc3, s.name(t, s.s0), s.s0}, {s.acc5, s.name(t, s.n0), s.n0}} {
			want = append(want, map[string]any{"id": c.acc, "name": c.name, "characterId": c.id})
		}
		slices.SortFunc(want, func(a, b map[string]any) int {
			if c := a["id"].(int64) - b["id"].(int64); c != 0 {
				return int(c)
			}
			return int(a["characterId"].(int32) - b["characterId"].(int32))
		})
		s.expect(t, "POST", "/api/app/v1/players", body, want)
		s.expect(t, "POST", "/api/app/v1/players", `[]`, []any{})
		// A form is an array too for PHP.
		status, _, got := s.call(t, "POST", "/api/app/v1/players", s.chars, "application/x-www-form-urlencoded",
			fmt.Sprintf("a=%d&b=%d&a=%d", s.s0, s.n0, s.p0))
		if w := fmt.Sprintf(`[{"id":%d,"name":%q,"characterId":%d},{"id":%d,"name":%q,"characterId":%d}]`,
			s.acc1, s.name(t, s.p0), s.p0, s.acc5, s.name(t, s.n0), s.n0); status != 200 || got != w {
			t.Errorf("players from a form: %d %s, want %s", status, got, w)
		}
		s.badBodies(t, "/api/app/v1/players")
	})

	t.Run("characters", func(t *testing.T) {
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/characters/%d", s.p2), "", acc1Chars)
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/characters/%d", s.n0), "", []any{n0})
		s.expectEmpty(t, "GET", fmt.Sprintf("/api/app/v1/characters/%d", s.x0), s.chars, "", "", 404, "Character not found.")
	})

	t.Run("characters bulk", func(t *testing.T) {
		ids := func(cs ...int32) []int32 { slices.Sort(cs); return cs }
		want := [][]int32{ids(s.p0, s.p1, s.p2), {s.s0}, {s.n0}}
		body := fmt.Sprintf(`[%d, %d, %d, "%d", %d, %d, 0, -5, 123456]`, s.p2, s.q0, s.n0, s.s0, s.p0, s.p1)
		s.expect(t, "POST", "/api/app/v1/characters", body, want)
		s.expect(t, "POST", "/api/app/v1/characters", `[123456]`, []any{})
		s.badBodies(t, "/api/app/v1/characters")
	})

	t.Run("character list", func(t *testing.T) {
		want := []map[string]any{withoutCorporation(s0), withoutCorporation(p1), withoutCorporation(n0)}
		slices.SortFunc(want, func(a, b map[string]any) int { return int(a["id"].(int32) - b["id"].(int32)) })
		body := fmt.Sprintf(`[%d, %d, 123456, "%d", %d, %d]`, s.s0, s.p1, s.n0, s.p1, s.x0)
		s.expect(t, "POST", "/api/app/v1/character-list", body, want)
		s.expect(t, "POST", "/api/app/v1/character-list", `[]`, []any{})
		s.badBodies(t, "/api/app/v1/character-list")
	})

	t.Run("player characters", func(t *testing.T) {
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/player-chars/%d", s.acc1), "", acc1Chars)
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/player-chars/%d", s.acc2), "", []any{}) // merged away
		s.expectEmpty(t, "GET", "/api/app/v1/player-chars/999999", s.chars, "", "", 404, "Player not found.")
		s.expectEmpty(t, "GET", "/api/app/v1/player-chars/none", s.chars, "", "", 404, "Player not found.")
	})

	t.Run("player with characters", func(t *testing.T) {
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/player-with-characters/%d", s.p1), "",
			map[string]any{"id": s.acc1, "name": s.name(t, s.p0), "characters": acc1Chars})
		s.expectEmpty(t, "GET", "/api/app/v1/player-with-characters/123456", s.chars, "", "", 404, "Character not found.")
	})

	t.Run("removed and incoming characters", func(t *testing.T) {
		sold := map[string]any{"player": acc1, "characterId": s.s0, "characterName": s.name(t, s.s0),
			"removedDate": charsDate(s.removed[fmt.Sprint(s.s0, "moved-owner-changed")]), "reason": "moved-owner-changed", "deletedBy": nil,
			"newPlayerId": s.acc3, "newPlayerName": s.name(t, s.s0)}
		deleted := map[string]any{"player": acc1, "characterId": s.x0, "characterName": s.name(t, s.x0),
			"removedDate": charsDate(s.removed[fmt.Sprint(s.x0, "deleted-manually")]), "reason": "deleted-manually", "deletedBy": acc1,
			"newPlayerId": nil, "newPlayerName": nil}
		merged := map[string]any{"player": acc2, "characterId": s.q0, "characterName": s.name(t, s.q0),
			"removedDate": charsDate(s.removed[fmt.Sprint(s.q0, "moved")]), "reason": "moved", "deletedBy": nil,
			"newPlayerId": s.acc1, "newPlayerName": s.name(t, s.p0)}
		// Q0's deletion by the admin is recorded, but not shown.
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/removed-characters/%d", s.p2), "", []any{sold, deleted})
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/incoming-characters/%d", s.p2), "", []any{merged})
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/removed-characters/%d", s.s0), "", []any{})
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/incoming-characters/%d", s.s0), "", []any{sold})
		for _, op := range []string{"removed-characters", "incoming-characters"} {
			s.expectEmpty(t, "GET", fmt.Sprintf("/api/app/v1/%s/%d", op, s.q0), s.chars, "", "", 404, "Character not found.")
		}
	})

	t.Run("corporation", func(t *testing.T) {
		players := []map[string]any{acc1, acc3}
		slices.SortFunc(players, func(a, b map[string]any) int {
			return strings.Compare(strings.ToLower(a["name"].(string)), strings.ToLower(b["name"].(string)))
		})
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/corp-players/%d", s.corp), "", players)
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/corp-characters/%d", s.corp), "",
			charsByName(withoutCorporation(p0), withoutCorporation(p1), withoutCorporation(s0)))
		s.expect(t, "GET", fmt.Sprintf("/api/app/v1/corp-characters/%d", s.unknownCorp), "", []any{withoutCorporation(p2)})
		for _, id := range []string{"98000001", "abc"} {
			s.expect(t, "GET", "/api/app/v1/corp-players/"+id, "", []any{})
			s.expect(t, "GET", "/api/app/v1/corp-characters/"+id, "", []any{})
		}
	})

	t.Run("member tracking", func(t *testing.T) {
		for _, query := range []string{"", "?inactive=7&active=12&account=true", "?inactive=x&account=maybe"} {
			path := fmt.Sprintf("/api/app/v1/corporation/%d/member-tracking%s", s.corp, query)
			status, _, got := s.call(t, "GET", path, s.tracking, "", "")
			if status != 200 || got != "[]" {
				t.Errorf("%s: %d %s, want 200 []", path, status, got)
			}
		}
	})

	t.Run("roles", func(t *testing.T) {
		charsOps := []struct{ method, path string }{
			{"GET", "/api/app/v1/main/%d"}, {"GET", "/api/app/v2/main/%d"}, {"GET", "/api/app/v1/player/%d"},
			{"POST", "/api/app/v1/players"}, {"GET", "/api/app/v1/characters/%d"}, {"POST", "/api/app/v1/characters"},
			{"POST", "/api/app/v1/character-list"}, {"GET", "/api/app/v1/player-chars/%d"},
			{"GET", "/api/app/v1/player-with-characters/%d"}, {"GET", "/api/app/v1/removed-characters/%d"},
			{"GET", "/api/app/v1/incoming-characters/%d"}, {"GET", "/api/app/v1/corp-players/%d"},
			{"GET", "/api/app/v1/corp-characters/%d"},
		}
		for _, op := range charsOps {
			path := op.path
			if strings.Contains(path, "%d") {
				path = fmt.Sprintf(path, s.p0)
			}
			for _, auth := range []string{s.tracking, s.plain} {
				s.expectEmpty(t, op.method, path, auth, "application/json", fmt.Sprintf("[%d]", s.p0), 403, "Forbidden")
			}
			s.expectEmpty(t, op.method, path, "", "application/json", fmt.Sprintf("[%d]", s.p0), 401, "Unauthorized")
		}
		tracking := fmt.Sprintf("/api/app/v1/corporation/%d/member-tracking", s.corp)
		for _, auth := range []string{s.chars, s.plain} {
			s.expectEmpty(t, "GET", tracking, auth, "", "", 403, "Forbidden")
		}
		s.expectEmpty(t, "GET", tracking, "", "", "", 401, "Unauthorized")
	})

	// Last, as it breaks the rule that an account with characters has a
	// main, which Keepstar's rules never do: Neucore's 204.
	t.Run("no main", func(t *testing.T) {
		if _, err := s.site.DB.Exec(context.Background(), `UPDATE characters SET main = FALSE WHERE id = $1`, s.n0); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"v1", "v2"} {
			s.expectEmpty(t, "GET", fmt.Sprintf("/api/app/%s/main/%d", v, s.n0), s.chars, "", "", 204, "No Content")
		}
	})
}

// badBodies checks that a bulk operation refuses, with 400 and no body,
// what Neucore does not read as an array.
func (s *charsSite) badBodies(t *testing.T, path string) {
	t.Helper()
	for _, b := range []struct{ contentType, body string }{
		{"application/json", ""},
		{"application/json", "null"},
		{"application/json", `{"0": 1}`},
		{"application/json", `"1"`},
		{"application/json", `1`},
		{"application/json", `[1,`},
		{"application/json", `[1] [2]`},
		{"application/json", "[\"\xff\"]"},
		{"", "[1]"},
		{"text/plain", "[1]"},
		{"Application/JSON", "[1]"},
	} {
		s.expectEmpty(t, "POST", path, s.chars, b.contentType, b.body, 400, "Bad Request")
	}
}

// checkCharsSchema validates a success's JSON against the operation's response
// schema (skipped without the shared reference folder, failed in CI).
func checkCharsSchema(t *testing.T, method, path string, v any) {
	t.Helper()
	if !haveNeucoreSpec(t) {
		return
	}
	doc, err := loadNeucoreSpec()
	if err != nil {
		t.Fatal(err)
	}
	specPath := strings.TrimPrefix(path, "/api")
	specPath, _, _ = strings.Cut(specPath, "?")
	var op *openapi3.Operation
	for p, item := range doc.Paths.Map() {
		if charsPathMatches(p, specPath) {
			op = item.GetOperation(method)
		}
	}
	if op == nil {
		t.Fatalf("no operation %s %s in the spec", method, specPath)
	}
	schema := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if err := schema.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			err = errors.Join(me...)
		}
		t.Errorf("%s %s: the answer does not fit the spec: %v", method, path, err)
	}
}

// charsPathMatches reports whether path fits a spec path like
// /app/v1/main/{cid}.
func charsPathMatches(template, path string) bool {
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], "{") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}
