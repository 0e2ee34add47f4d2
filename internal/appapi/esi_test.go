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

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Scopes of the ESI tests' logins: the account login reads roles and sends
// mail; "audit" reads titles; "directors" needs the in-game role Director.
const (
	rolesScope  = "esi-characters.read_corporation_roles.v1"
	mailScope   = "esi-mail.send_mail.v1"
	titlesScope = "esi-characters.read_titles.v1"
)

// esiSite is a site with two characters of one account logged in through
// the simulated SSO: tokens of core.default (roles, mail) and audit
// (titles) for both, of directors for main only.
type esiSite struct {
	*sitetest.Site
	main, alt int32
	// stranger is a character of another account that never logged in.
	stranger int32
}

func startESISite(t *testing.T, d config.Dialect) *esiSite {
	t.Helper()
	ctx := context.Background()
	site := sitetest.Start(t, sitetest.Options{Dialect: d})
	ls := logins.NewStore(site.DB, nil)
	def, err := ls.Get(ctx, logins.Default)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Update(ctx, logins.Default, logins.Input{Description: def.Description,
		Scopes: "publicData " + rolesScope + " " + mailScope}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Create(ctx, logins.Input{Name: "audit", Description: "Audit", Scopes: titlesScope}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Create(ctx, logins.Input{Name: "directors", Scopes: logins.RolesScope, Roles: []string{"Director"}}); err != nil {
		t.Fatal(err)
	}
	a := site.AccountCharacters(t, 2)
	s := &esiSite{Site: site, main: a[0], alt: a[1], stranger: site.AccountCharacters(t, 1, a...)[0]}
	if err := site.Sim.Universe.SetRoles(s.main, []string{"Director"}); err != nil {
		t.Fatal(err)
	}
	b := site.NewBrowser(t)
	b.LogIn(t, s.main)
	b.AddCharacter(t, s.alt)
	for _, id := range []int32{s.main, s.alt} {
		if p := b.Flow(t, fmt.Sprintf("/sso/login/audit?character=%d", id), id); p.Status != http.StatusOK {
			t.Fatalf("audit token of %d: %d\n%s", id, p.Status, p.Body)
		}
	}
	if p := b.Flow(t, fmt.Sprintf("/sso/login/directors?character=%d", s.main), s.main); p.Status != http.StatusOK {
		t.Fatalf("directors token: %d\n%s", p.Status, p.Body)
	}
	return s
}

// app makes an app with roles and EVE logins and gives its Authorization
// header.
func (s *esiSite) app(t *testing.T, roles []string, eveLogins ...string) string {
	t.Helper()
	ctx := context.Background()
	st := appapi.NewStore(s.DB, s.Config.SecretKey, nil)
	a, err := st.Create(ctx, appapi.Input{Name: "ESI " + strings.Join(roles, " "), Roles: roles, EveLogins: eveLogins})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := st.NewSecret(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return bearer(a.ID, secret)
}

// do makes a request of the site with headers (name, value pairs) and
// gives the answer, its body read.
func (s *esiSite) do(t *testing.T, method, path, auth, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	return request(t, method, s.URL+path, auth, body, headers...)
}

// expect checks an answer's status line and body.
func (s *esiSite) expect(t *testing.T, method, path, auth, status, body string) {
	t.Helper()
	res, got := s.do(t, method, path, auth, "")
	if res.Status != status || got != body {
		t.Errorf("%s %s: %s %q; want %s %q", method, path, res.Status, got, status, body)
	}
}

// expireAccessToken makes a stored access token about to expire, as time
// passing would: the next use refreshes it.
func (s *esiSite) expireAccessToken(t *testing.T, id int32, login string) {
	t.Helper()
	if _, err := s.DB.Exec(context.Background(), `UPDATE eve_tokens SET access_expires_at = $1 WHERE character_id = $2 AND login = $3`,
		time.Now().Add(30*time.Second), id, login); err != nil {
		t.Fatal(err)
	}
}

// The EVE login operations: characters with a token of the login (invalid
// ones included), the valid tokens' data (roles checked; never of
// core.default), and the refusals: unknown login 404, a login the app may
// not use 403, no role 403.
func TestESILoginOperations(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			ctx := context.Background()
			auth := s.app(t, []string{appapi.RoleESILogin}, "core.default", "audit", "directors")
			lo, hi := min(s.main, s.alt), max(s.main, s.alt)

			// The alt's audit token dies (a password change): the next
			// refresh finds it, through the access-token operation.
			if err := s.Sim.Universe.InvalidateTokens(s.alt); err != nil {
				t.Fatal(err)
			}
			s.expireAccessToken(t, s.alt, "audit")
			tokenApp := s.app(t, []string{appapi.RoleESIToken}, "audit")
			if res, _ := s.do(t, "GET", fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=audit", s.alt), tokenApp, ""); res.StatusCode != 204 {
				t.Fatalf("dead token: %s", res.Status)
			}

			for login, want := range map[string]string{
				"audit":        fmt.Sprintf("[%d,%d]", lo, hi), // the dead token too
				"core.default": fmt.Sprintf("[%d,%d]", lo, hi),
				"directors":    fmt.Sprintf("[%d]", s.main),
			} {
				s.expect(t, "GET", "/api/app/v1/esi/eve-login/"+login+"/characters", auth, "200 OK", want)
			}

			var corp, alliance *int64
			var name string
			if err := s.DB.QueryRow(ctx, `SELECT name, corporation_id, alliance_id FROM characters WHERE id = $1`, s.main).Scan(&name, &corp, &alliance); err != nil {
				t.Fatal(err)
			}
			var checked time.Time
			if err := s.DB.QueryRow(ctx, `SELECT checked_at FROM eve_tokens WHERE character_id = $1 AND login = 'audit'`, s.main).Scan(&checked); err != nil {
				t.Fatal(err)
			}
			allianceJSON := "null"
			if alliance != nil && *alliance != 0 {
				allianceJSON = fmt.Sprint(*alliance)
			}
			data := fmt.Sprintf(`[{"lastChecked":%q,"characterId":%d,"characterName":%q,"corporationId":%d,"allianceId":%s}]`,
				checked.UTC().Format("2006-01-02T15:04:05Z"), s.main, name, *corp, allianceJSON)
			s.expect(t, "GET", "/api/app/v1/esi/eve-login/audit/token-data", auth, "200 OK", data) // the alt's is dead
			res, body := s.do(t, "GET", "/api/app/v1/esi/eve-login/directors/token-data", auth, "")
			if res.StatusCode != 200 || !strings.Contains(body, fmt.Sprintf(`"characterId":%d`, s.main)) {
				t.Errorf("directors' token data: %s %s", res.Status, body)
			}
			// The main lost the role (as the token check records it): its
			// token no longer counts.
			if err := tokens.NewStore(s.DB, nil, nil).SetHasRoles(ctx, s.DB, s.main, "directors", false); err != nil {
				t.Fatal(err)
			}
			s.expect(t, "GET", "/api/app/v1/esi/eve-login/directors/token-data", auth, "200 OK", "[]")
			s.expect(t, "GET", "/api/app/v1/esi/eve-login/core.default/token-data", auth, "403 Forbidden", "")

			for _, op := range []string{"characters", "token-data"} {
				s.expect(t, "GET", "/api/app/v1/esi/eve-login/no-such-login/"+op, auth, "404 Not Found", "")
				s.expect(t, "GET", "/api/app/v1/esi/eve-login/core.mail/"+op, auth, "403 Forbidden", "")
				s.expect(t, "GET", "/api/app/v1/esi/eve-login/audit/"+op, s.app(t, []string{appapi.RoleApp, appapi.RoleESIToken}, "audit"), "403 Forbidden", "")
				s.expect(t, "GET", "/api/app/v1/esi/eve-login/audit/"+op, "", "401 Unauthorized", "")
			}
		})
	}
}

// The access token: valid for at least a minute (refreshed, rotation and
// all, when it would not be), usable at ESI, with its scopes and expiry;
// 204 for a dead token, 404 without one, and the login's refusals.
func TestESIAccessToken(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIToken}, "core.default", "audit")
			get := func(path string) appapi.EsiAccessToken {
				t.Helper()
				res, body := s.do(t, "GET", path, auth, "")
				var tok appapi.EsiAccessToken
				if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s: %s %s", path, res.Status, body)
				}
				if err := json.Unmarshal([]byte(body), &tok); err != nil {
					t.Fatal(err)
				}
				if left := time.Until(time.Unix(tok.Expires, 0)); left < time.Minute {
					t.Errorf("%s: the token expires in %v, want at least a minute", path, left)
				}
				return tok
			}
			// The token works at ESI (the simulator checks signature,
			// expiry and scopes).
			works := func(tok appapi.EsiAccessToken, path string) {
				t.Helper()
				req, _ := http.NewRequest("GET", s.SimURL+path, nil)
				req.Header.Set("Authorization", "Bearer "+tok.Token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				if body := sitetest.Body(t, res); res.StatusCode != 200 {
					t.Errorf("ESI with the token: %s %s", res.Status, body)
				}
			}

			first := get(fmt.Sprintf("/api/app/v1/esi/access-token/%d", s.main))
			if want := []string{mailScope, rolesScope, "publicData"}; !slices.Equal(first.Scopes, slices.Sorted(slices.Values(want))) {
				t.Errorf("scopes %v, want %v", first.Scopes, want)
			}
			works(first, fmt.Sprintf("/characters/%d/roles", s.main))
			if again := get(fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=core.default", s.main)); again.Token != first.Token {
				t.Error("a token still valid for long was refreshed")
			}
			// About to expire: refreshed.
			s.expireAccessToken(t, s.main, "core.default")
			if fresh := get(fmt.Sprintf("/api/app/v1/esi/access-token/%d", s.main)); fresh.Token == first.Token {
				t.Error("a token about to expire was handed out")
			} else {
				works(fresh, fmt.Sprintf("/characters/%d/roles", s.main))
			}
			audit := get(fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=audit", s.alt))
			if !slices.Equal(audit.Scopes, []string{titlesScope}) {
				t.Errorf("audit scopes %v", audit.Scopes)
			}
			works(audit, fmt.Sprintf("/characters/%d/titles", s.alt))

			// Dead: EVE refuses the refresh; 204 now and later.
			if err := s.Sim.Universe.InvalidateTokens(s.alt); err != nil {
				t.Fatal(err)
			}
			s.expireAccessToken(t, s.alt, "audit")
			for range 2 {
				s.expect(t, "GET", fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=audit", s.alt), auth, "204 No Content", "")
			}

			for path, status := range map[string]string{
				fmt.Sprintf("/api/app/v1/esi/access-token/%d", s.stranger):                        "404 Not Found", // no token
				"/api/app/v1/esi/access-token/abc":                                                "404 Not Found",
				fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=directors", s.main):     "403 Forbidden", // not the app's
				fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=no-such-login", s.main): "404 Not Found",
				fmt.Sprintf("/api/app/v1/esi/access-token/%d?eveLoginName=", s.main):              "404 Not Found",
			} {
				s.expect(t, "GET", path, auth, status, "")
			}
			s.expect(t, "GET", fmt.Sprintf("/api/app/v1/esi/access-token/%d", s.main), s.app(t, []string{appapi.RoleApp, appapi.RoleESIProxy}, "core.default"), "403 Forbidden", "")
			s.expect(t, "GET", fmt.Sprintf("/api/app/v1/esi/access-token/%d", s.main), "", "401 Unauthorized", "")
		})
	}
}
