package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// groupsSite is a site whose members hold groups in every way the group
// operations must tell apart, and an app that sees some of the groups.
//
//	A (two characters): joins Alpha; beta, Gamma and Hidden through its
//	   alt's corporation; echo and Gamma through its main's alliance
//	B: joins Alpha; its token invalid for longer than the delay: "yes"
//	C: joins Alpha; its token invalid since just now: "soon"
//	D: joins Alpha; managed, its token invalid: never deactivated
//	E: no group
//
// The app sees Alpha, beta, echo and Gamma, not Hidden; by name, they come
// in that order (case and accents aside).
type groupsSite struct {
	site                              *sitetest.Site
	gs                                *groups.Store
	app, roleless                     string // Authorization headers
	appID                             int64
	a1, a2, b1, c1, d1, e1            int32
	corpA1, corpA2, allianceA1        int32
	corpE                             int32
	alpha, beta, gamma, delta, hidden groups.Group
}

// pickAccount finds a simulated player with n characters that can log in,
// none of them in the corporations or alliances to avoid nor used yet.
func pickAccount(t *testing.T, site *sitetest.Site, n int, used map[int32]bool, avoid map[int32]bool, want func(chars []int32) bool) []int32 {
	t.Helper()
	u := site.Sim.Universe
outer:
	for id := int32(1); id <= int32(u.Accounts()); id++ {
		acct, ok := u.Account(id)
		if !ok || len(acct.Characters) < n {
			continue
		}
		chars := acct.Characters[:n]
		for _, c := range chars {
			ch, err := u.Character(c)
			if err != nil || ch.Biomassed || used[c] || avoid[ch.CorporationID] || avoid[u.AllianceOf(ch)] {
				continue outer
			}
		}
		if want != nil && !want(chars) {
			continue
		}
		for _, c := range acct.Characters {
			used[c] = true
		}
		return chars
	}
	t.Fatalf("no simulated account with %d characters fits", n)
	return nil
}

func startGroupsSite(t *testing.T, site *sitetest.Site) *groupsSite {
	t.Helper()
	ctx := context.Background()
	// Neucore's group deactivation, with a day's delay; set before the
	// site reads its settings.
	st := settings.NewStore(site.DB, settings.NewRegistry(access.Settings, groups.Settings), nil, 0)
	if err := st.Set(ctx, map[string]string{"groups.deactivation": "true", "groups.deactivation_delay_hours": "24"}); err != nil {
		t.Fatal(err)
	}
	u := site.Sim.Universe
	s := &groupsSite{site: site}
	used := map[int32]bool{}
	a := pickAccount(t, site, 2, used, nil, func(chars []int32) bool {
		c1, _ := u.Character(chars[0])
		c2, _ := u.Character(chars[1])
		return u.AllianceOf(c1) != 0 && c1.CorporationID != c2.CorporationID && u.AllianceOf(c2) != u.AllianceOf(c1)
	})
	s.a1, s.a2 = a[0], a[1]
	c1, _ := u.Character(s.a1)
	c2, _ := u.Character(s.a2)
	s.corpA1, s.corpA2, s.allianceA1 = c1.CorporationID, c2.CorporationID, u.AllianceOf(c1)
	avoid := map[int32]bool{s.corpA1: true, s.corpA2: true, s.allianceA1: true}
	if al := u.AllianceOf(c2); al != 0 {
		avoid[al] = true
	}
	for _, id := range []*int32{&s.b1, &s.c1, &s.d1, &s.e1} {
		*id = pickAccount(t, site, 1, used, avoid, nil)[0]
		ch, _ := u.Character(*id)
		avoid[ch.CorporationID] = true // a corporation of its own each
	}
	e, _ := u.Character(s.e1)
	s.corpE = e.CorporationID

	b := site.NewBrowser(t)
	b.LogIn(t, s.a1)
	b.AddCharacter(t, s.a2)
	for _, id := range []int32{s.b1, s.c1, s.d1, s.e1} {
		site.NewBrowser(t).LogIn(t, id)
	}

	rec := access.NewRecomputer(site.DB, st, nil)
	s.gs = groups.New(site.DB, groups.Options{Recomputer: rec, Queue: site.Queue(), Catalogue: access.NewCatalogue(access.Permissions), Settings: st})
	group := func(in groups.Input) groups.Group {
		t.Helper()
		g, err := s.gs.Create(ctx, in)
		if err != nil {
			t.Fatalf("group %s: %v", in.Name, err)
		}
		return g
	}
	s.alpha = group(groups.Input{Name: "Alpha", Description: "The first", Public: true, Open: true})
	s.beta = group(groups.Input{Name: "beta", Description: "Scouts", Hidden: true, Corporations: []int32{s.corpA2}})
	s.gamma = group(groups.Input{Name: "Gamma", Internal: true, Corporations: []int32{s.corpA2}, Alliances: []int32{s.allianceA1}})
	s.delta = group(groups.Input{Name: "echo", Alliances: []int32{s.allianceA1}})
	s.hidden = group(groups.Input{Name: "Hidden", Public: true, Open: true, Corporations: []int32{s.corpA2}})

	account := func(c int32) int64 {
		t.Helper()
		ch, err := site.Accounts().Character(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return ch.AccountID
	}
	join := func(c int32, g groups.Group) {
		t.Helper()
		if out, err := s.gs.Join(ctx, groups.Actor{AccountID: account(c), Name: "member"}, g.ID); err != nil || out != groups.Joined {
			t.Fatalf("%d joins %s: %s %v", c, g.Name, out, err)
		}
	}
	for _, c := range []int32{s.a1, s.b1, s.c1, s.d1} {
		join(c, s.alpha)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	if err := site.Accounts().SetStatus(ctx, account(s.d1), accounts.Managed); err != nil {
		t.Fatal(err)
	}

	// Tokens made invalid at the simulator (a password change): the token
	// check finds them, and the engine deactivates.
	for _, c := range []int32{s.b1, s.c1, s.d1} {
		if err := u.InvalidateTokens(c); err != nil {
			t.Fatal(err)
		}
	}
	site.RunJob(t, tokencheck.Args{All: true})
	if _, err := site.DB.Exec(ctx, `UPDATE eve_tokens SET invalid_since = $2 WHERE character_id = $1`, s.b1, time.Now().Add(-25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	for c, want := range map[int32]string{s.a1: "no", s.b1: "yes", s.c1: "soon", s.d1: "no", s.e1: "no"} {
		var got string
		if err := site.DB.QueryRow(ctx, `SELECT groups_deactivated FROM accounts WHERE id = $1`, account(c)).Scan(&got); err != nil || got != want {
			t.Fatalf("deactivation of %d: %q %v, want %q", c, got, err, want)
		}
	}
	// Hidden, which the app never sees, is A's.
	var n int
	if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM group_members WHERE account_id = $1 AND group_id = $2`, account(s.a1), s.hidden.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("A in Hidden: %d %v", n, err)
	}

	as := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	app, err := as.Create(ctx, appapi.Input{Name: "Discord bot", Roles: []string{appapi.RoleApp, appapi.RoleGroups},
		Groups: []int64{s.alpha.ID, s.beta.ID, s.gamma.ID, s.delta.ID}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := as.NewSecret(ctx, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.app, s.appID = bearer(app.ID, secret), app.ID
	// An app with every group but without the role app-groups.
	roleless, err := as.Create(ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp, appapi.RoleChars},
		Groups: []int64{s.alpha.ID, s.beta.ID, s.gamma.ID, s.delta.ID, s.hidden.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if secret, err = as.NewSecret(ctx, roleless.ID); err != nil {
		t.Fatal(err)
	}
	s.roleless = bearer(roleless.ID, secret)
	return s
}

// groupJSON is a group as the group operations give it.
func groupJSON(g groups.Group) string {
	description := "null"
	if g.Description != "" {
		description = fmt.Sprintf("%q", g.Description)
	}
	visibility := "public"
	if g.Hidden || g.Internal {
		visibility = "private"
	}
	return fmt.Sprintf(`{"id":%d,"name":%q,"description":%s,"visibility":%q,"autoAccept":%t,"isDefault":%t,"isAutoManaged":null}`,
		g.ID, g.Name, description, visibility, g.Open, g.Default)
}

func groupsJSON(gs ...groups.Group) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, groupJSON(g))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// characterJSON is a character of CharacterGroups, from the simulated
// universe.
func (s *groupsSite) characterJSON(t *testing.T, id int32) string {
	t.Helper()
	u := s.site.Sim.Universe
	ch, err := u.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	corp, err := u.Corporation(ch.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	alliance := "null"
	if corp.AllianceID != 0 {
		al, err := u.Alliance(corp.AllianceID)
		if err != nil {
			t.Fatal(err)
		}
		alliance = fmt.Sprintf(`{"id":%d,"name":%q,"ticker":%q}`, al.ID, al.Name, al.Ticker)
	}
	return fmt.Sprintf(`{"id":%d,"name":%q,"corporation":{"id":%d,"name":%q,"ticker":%q,"alliance":%s}}`,
		id, ch.Name, corp.ID, corp.Name, corp.Ticker, alliance)
}

func (s *groupsSite) corporationJSON(t *testing.T, id int32, gs ...groups.Group) string {
	t.Helper()
	corp, err := s.site.Sim.Universe.Corporation(id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"id":%d,"name":%q,"ticker":%q,"groups":%s}`, id, corp.Name, corp.Ticker, groupsJSON(gs...))
}

func (s *groupsSite) allianceJSON(t *testing.T, id int32, gs ...groups.Group) string {
	t.Helper()
	al, err := s.site.Sim.Universe.Alliance(id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"id":%d,"name":%q,"ticker":%q,"groups":%s}`, id, al.Name, al.Ticker, groupsJSON(gs...))
}

// request makes one request of the API; a body is sent as JSON unless
// contentType says otherwise.
func (s *groupsSite) request(t *testing.T, method, path, auth, contentType, body string) (*http.Response, string) {
	t.Helper()
	return request(t, method, s.site.URL+path, auth, body, "Content-Type", contentType)
}

// expect checks a success: 200, JSON, and the whole document.
func (s *groupsSite) expect(t *testing.T, method, path, body, want string) {
	t.Helper()
	if !json.Valid([]byte(want)) {
		t.Fatalf("the expectation is not JSON: %s", want)
	}
	res, got := s.request(t, method, path, s.app, "application/json", body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s %s: %s %q", method, path, res.Status, got)
	}
	if got != want {
		t.Errorf("%s %s %s:\n got %s\nwant %s", method, path, body, got, want)
	}
}

// expectError checks an error: its status line (code and reason phrase)
// and Neucore's empty body.
func (s *groupsSite) expectError(t *testing.T, method, path, contentType, body, status string) {
	t.Helper()
	res, got := s.request(t, method, path, s.app, contentType, body)
	if res.Status != status || got != "" {
		t.Errorf("%s %s %q: %s %q, want %s and no body", method, path, body, res.Status, got, status)
	}
}

// TestGroupOperations: every operation of role app-groups, its whole
// answers and its errors, on both engines. The app sees only its groups,
// whichever way it asks; a deactivated account has none, one soon
// deactivated and a managed one keep theirs.
func TestGroupOperations(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startGroupsSite(t, sitetest.Start(t, sitetest.Options{Dialect: d}))
			ctx := context.Background()
			ofA := groupsJSON(s.alpha, s.beta, s.delta, s.gamma) // by name, whatever the case; never Hidden

			t.Run("groups of a character", func(t *testing.T) {
				for _, v := range []string{"v1", "v2"} {
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.a1), "", ofA)
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.a2), "", ofA)
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.b1), "", `[]`) // deactivated
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.c1), "", groupsJSON(s.alpha))
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.d1), "", groupsJSON(s.alpha))
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/groups/%d", v, s.e1), "", `[]`)
				}
				// PHP's integer reading of the path: "12abc" is 12.
				s.expect(t, "GET", fmt.Sprintf("/api/app/v2/groups/%dabc", s.a1), "", ofA)
				for _, path := range []string{"123", "abc", "0", "-1"} {
					s.expectError(t, "GET", "/api/app/v1/groups/"+path, "", "", "404 Not Found")
					s.expectError(t, "GET", "/api/app/v2/groups/"+path, "", "", "404 Character not found.")
				}
			})

			t.Run("bulk groups of characters", func(t *testing.T) {
				want := fmt.Sprintf(`[{"character":%s,"groups":%s,"deactivated":"no"},`+
					`{"character":%s,"groups":[],"deactivated":"yes"},`+
					`{"character":%s,"groups":%s,"deactivated":"soon"},`+
					`{"character":%s,"groups":%s,"deactivated":"no"},`+
					`{"character":%s,"groups":[],"deactivated":"no"},`+
					`{"character":%s,"groups":%s,"deactivated":"no"}]`,
					s.characterJSON(t, s.a1), ofA, s.characterJSON(t, s.b1), s.characterJSON(t, s.c1), groupsJSON(s.alpha),
					s.characterJSON(t, s.d1), groupsJSON(s.alpha), s.characterJSON(t, s.e1), s.characterJSON(t, s.a2), ofA)
				// In the order asked, repeats and unknown ids left out, ids
				// read as PHP's intval reads them.
				s.expect(t, "POST", "/api/app/v1/groups",
					fmt.Sprintf(`[%d, 123, %d, %d, %d.7, %d, %d, "%d", 0, -5, null, true]`, s.a1, s.b1, s.c1, s.d1, s.e1, s.a1, s.a2), want)
				s.expect(t, "POST", "/api/app/v1/groups", `[]`, `[]`)
				// A POST form: its values, as PHP gives them to Neucore.
				if res, got := s.request(t, "POST", "/api/app/v1/groups", s.app, "application/x-www-form-urlencoded",
					fmt.Sprintf("first=%d&second=%d", s.e1, s.b1)); res.StatusCode != http.StatusOK || got != fmt.Sprintf(
					`[{"character":%s,"groups":[],"deactivated":"no"},{"character":%s,"groups":[],"deactivated":"yes"}]`,
					s.characterJSON(t, s.e1), s.characterJSON(t, s.b1)) {
					t.Errorf("bulk as a form: %s %s", res.Status, got)
				}
				s.expect(t, "POST", "/api/app/v1/groups", `[123, 0]`, `[]`)
			})

			t.Run("groups of corporations and alliances", func(t *testing.T) {
				for _, v := range []string{"v1", "v2"} {
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/corp-groups/%d", v, s.corpA2), "", groupsJSON(s.beta, s.gamma))
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/corp-groups/%d", v, s.corpE), "", `[]`)
					s.expect(t, "GET", fmt.Sprintf("/api/app/%s/alliance-groups/%d", v, s.allianceA1), "", groupsJSON(s.delta, s.gamma))
				}
				// Known by its mapping alone: Keepstar has not read it.
				mappedOnly := group(t, s, groups.Input{Name: "far-away", Corporations: []int32{424242}, Alliances: []int32{434343}})
				s.expect(t, "GET", "/api/app/v2/corp-groups/424242", "", `[]`)
				s.expect(t, "POST", "/api/app/v1/corp-groups", `[424242]`, `[{"id":424242,"name":null,"ticker":null,"groups":[]}]`)
				if err := s.gs.Delete(ctx, mappedOnly.ID); err != nil {
					t.Fatal(err)
				}
				for _, path := range []string{"123", "abc", "424242"} {
					s.expectError(t, "GET", "/api/app/v1/corp-groups/"+path, "", "", "404 Not Found")
					s.expectError(t, "GET", "/api/app/v2/corp-groups/"+path, "", "", "404 Corporation not found.")
					s.expectError(t, "GET", "/api/app/v1/alliance-groups/"+path, "", "", "404 Not Found")
					s.expectError(t, "GET", "/api/app/v2/alliance-groups/"+path, "", "", "404 Alliance not found.")
				}
				s.expect(t, "POST", "/api/app/v1/corp-groups", fmt.Sprintf(`[%d, %d, 123, %d, "%d"]`, s.corpE, s.corpA2, s.corpE, s.corpA1),
					"["+s.corporationJSON(t, s.corpE)+","+s.corporationJSON(t, s.corpA2, s.beta, s.gamma)+","+s.corporationJSON(t, s.corpA1)+"]")
				s.expect(t, "POST", "/api/app/v1/alliance-groups", fmt.Sprintf(`[%d, 123, %d]`, s.allianceA1, s.allianceA1),
					"["+s.allianceJSON(t, s.allianceA1, s.delta, s.gamma)+"]")
				s.expect(t, "POST", "/api/app/v1/alliance-groups", `[]`, `[]`)
			})

			t.Run("groups with fallback", func(t *testing.T) {
				fallback := func(character, corporation, alliance any) string {
					return fmt.Sprintf("/api/app/v1/groups-with-fallback?character=%v&corporation=%v&alliance=%v", character, corporation, alliance)
				}
				// A known character: its account's groups, whatever the rest.
				s.expect(t, "GET", fallback(s.a1, s.corpE, 0), "", ofA)
				s.expect(t, "GET", fallback(s.e1, s.corpA2, s.allianceA1), "", `[]`)
				s.expect(t, "GET", fallback(s.b1, s.corpA2, s.allianceA1), "", `[]`) // deactivated
				// Unknown: the corporation's, then the alliance's not given yet.
				s.expect(t, "GET", fallback(123, s.corpA2, s.allianceA1), "", groupsJSON(s.beta, s.gamma, s.delta))
				s.expect(t, "GET", fallback(123, 123, s.allianceA1), "", groupsJSON(s.delta, s.gamma))
				s.expect(t, "GET", fallback(123, s.corpA2, ""), "", groupsJSON(s.beta, s.gamma))
				s.expect(t, "GET", "/api/app/v1/groups-with-fallback", "", `[]`)
			})

			t.Run("group members", func(t *testing.T) {
				mains := []int32{s.a1, s.b1, s.c1, s.d1} // B's groups deactivated: Neucore lists it still
				slices.Sort(mains)
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d", s.alpha.ID), "", strings.ReplaceAll(fmt.Sprint(mains), " ", ","))
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d?corporation=%d", s.alpha.ID, s.corpA1), "", fmt.Sprintf("[%d]", s.a1))
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d?corporation=%d", s.beta.ID, s.corpA2), "", `[]`) // the alt's corporation: mains only
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d?corporation=", s.alpha.ID), "", `[]`)
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d", s.delta.ID), "", fmt.Sprintf("[%d]", s.a1))
				for _, id := range []int64{s.hidden.ID, 987654} {
					s.expectError(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d", id), "", "", "404 Group not found.")
				}
			})

			t.Run("bad bodies", func(t *testing.T) {
				for _, path := range []string{"/api/app/v1/groups", "/api/app/v1/corp-groups", "/api/app/v1/alliance-groups"} {
					for _, c := range []struct{ contentType, body string }{
						{"", `[1]`},
						{"text/plain", `[1]`},
						{"application/json", ``},
						{"application/json", `{}`},
						{"application/json", `{"a": 1}`},
						{"application/json", `12`},
						{"application/json", `"12"`},
						{"application/json", `[1,`},
						{"application/json", `[1] [2]`},
					} {
						s.expectError(t, "POST", path, c.contentType, c.body, "400 Bad Request")
					}
				}
			})

			t.Run("a group deleted", func(t *testing.T) {
				// The app's groups change without a new version of the app:
				// the operations read them afresh.
				if err := s.gs.Delete(ctx, s.delta.ID); err != nil {
					t.Fatal(err)
				}
				s.expect(t, "GET", fmt.Sprintf("/api/app/v2/alliance-groups/%d", s.allianceA1), "", groupsJSON(s.gamma))
				s.expectError(t, "GET", fmt.Sprintf("/api/app/v1/group-members/%d", s.delta.ID), "", "", "404 Group not found.")
			})

			t.Run("refused", func(t *testing.T) {
				for _, op := range []struct{ method, path string }{
					{"GET", fmt.Sprintf("/api/app/v1/groups/%d", s.a1)},
					{"GET", fmt.Sprintf("/api/app/v2/groups/%d", s.a1)},
					{"POST", "/api/app/v1/groups"},
					{"GET", fmt.Sprintf("/api/app/v1/corp-groups/%d", s.corpA2)},
					{"GET", fmt.Sprintf("/api/app/v2/corp-groups/%d", s.corpA2)},
					{"POST", "/api/app/v1/corp-groups"},
					{"GET", fmt.Sprintf("/api/app/v1/alliance-groups/%d", s.allianceA1)},
					{"GET", fmt.Sprintf("/api/app/v2/alliance-groups/%d", s.allianceA1)},
					{"POST", "/api/app/v1/alliance-groups"},
					{"GET", fmt.Sprintf("/api/app/v1/groups-with-fallback?character=%d", s.a1)},
					{"GET", fmt.Sprintf("/api/app/v1/group-members/%d", s.alpha.ID)},
				} {
					body := fmt.Sprintf("[%d]", s.a1)
					if res, got := s.request(t, op.method, op.path, s.roleless, "application/json", body); res.StatusCode != http.StatusForbidden || got != "" {
						t.Errorf("%s %s without app-groups: %s %q, want 403", op.method, op.path, res.Status, got)
					}
					if res, got := s.request(t, op.method, op.path, "", "application/json", body); res.StatusCode != http.StatusUnauthorized || got != "" {
						t.Errorf("%s %s without a secret: %s %q, want 401", op.method, op.path, res.Status, got)
					}
				}
			})
		})
	}
}

func group(t *testing.T, s *groupsSite, in groups.Input) groups.Group {
	t.Helper()
	g, err := s.gs.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
