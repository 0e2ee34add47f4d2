package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// simRequests counts the requests the simulated ESI received for a route
// pattern, from its control API.
func (s *esiSite) simRequests(t *testing.T, route string) int {
	t.Helper()
	res, err := http.Get(s.SimURL + "/control/requests")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var n map[string]int
	if err := json.NewDecoder(res.Body).Decode(&n); err != nil {
		t.Fatal(err)
	}
	return n[route]
}

// fault injects an ESI fault through the simulator's control API.
func (s *esiSite) fault(t *testing.T, body string) {
	t.Helper()
	res, err := http.Post(s.SimURL+"/control/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := sitetest.Body(t, res); res.StatusCode != 200 {
		t.Fatalf("fault %s: %s %s", body, res.Status, b)
	}
}

// characterRoles is ESI's answer of GET /characters/{character_id}/roles,
// as a client generated from the specification types it.
type characterRoles struct {
	Roles        []string `json:"roles"`
	RolesAtBase  []string `json:"roles_at_base"`
	RolesAtHQ    []string `json:"roles_at_hq"`
	RolesAtOther []string `json:"roles_at_other"`
}

// The ESI proxy's GET and POST, both forms of the path, the character by
// headers or datasource; the answer from the cache before Expires; ESI's
// headers filtered to Neucore's list; ESI's errors passed through.
func TestESIProxy(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default", "audit")
			const rolesRoute = "GET /characters/{character_id}/roles"
			rolesPath := fmt.Sprintf("/characters/%d/roles", s.main)

			// esi-path-query, character by datasource, the default login.
			before := s.simRequests(t, rolesRoute)
			res, body := s.do(t, "GET", "/api/app/v2/esi?esi-path-query="+url.QueryEscape(rolesPath)+"&datasource="+strconv.Itoa(int(s.main)), auth, "")
			var roles characterRoles
			if res.StatusCode != 200 || json.Unmarshal([]byte(body), &roles) != nil || !slices.Equal(roles.Roles, []string{"Director"}) {
				t.Fatalf("roles: %s %s", res.Status, body)
			}
			if n := s.simRequests(t, rolesRoute); n != before+1 {
				t.Fatalf("ESI got %d requests for the roles, want 1", n-before)
			}
			// Only Neucore's headers of ESI's answer and its validators:
			// not the simulator's Cache-Control, in whose place the proxy
			// says no-store.
			for _, h := range []string{"Content-Type", "Expires", "X-Ratelimit-Group", "X-Ratelimit-Limit", "X-Ratelimit-Remaining",
				"X-Ratelimit-Used", "ETag", "Last-Modified"} {
				if res.Header.Get(h) == "" {
					t.Errorf("header %s missing", h)
				}
			}
			if v := res.Header.Get("Cache-Control"); v != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", v)
			}
			if res.Header.Get("X-Ratelimit-Group") != "char-detail" || res.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("headers: %v", res.Header)
			}
			expires := res.Header.Get("Expires")

			// Again, appended form, v1: from the cache, ESI not asked.
			res2, body2 := s.do(t, "GET", "/api/app/v1/esi"+rolesPath+"?datasource="+strconv.Itoa(int(s.main)), auth, "")
			if res2.StatusCode != 200 || body2 != body || res2.Header.Get("Expires") != expires ||
				res2.Header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Errorf("cached roles: %s %s, Expires %q (want %q)", res2.Status, body2, res2.Header.Get("Expires"), expires)
			}
			if n := s.simRequests(t, rolesRoute); n != before+1 {
				t.Errorf("the cached answer asked ESI: %d requests", n-before)
			}

			// Another login, by the headers (which win over datasource) or
			// by datasource "<id>:<login>".
			titles := fmt.Sprintf("/characters/%d/titles", s.alt)
			res, body = s.do(t, "GET", "/api/app/v2/esi"+titles+"?datasource=999", auth, "",
				"Neucore-EveCharacter", strconv.Itoa(int(s.alt)), "Neucore-EveLogin", "audit")
			if res.StatusCode != 200 || !strings.HasPrefix(body, "[") {
				t.Errorf("titles by headers: %s %s", res.Status, body)
			}
			if res, b := s.do(t, "GET", "/api/app/v2/esi"+titles+"?datasource="+url.QueryEscape(fmt.Sprintf("%d:audit", s.alt)), auth, ""); res.StatusCode != 200 || b != body {
				t.Errorf("titles by datasource: %s %s", res.Status, b)
			}

			// ESI's own refusal comes through: another character's roles.
			res, body = s.do(t, "GET", fmt.Sprintf("/api/app/v2/esi/characters/%d/roles?datasource=%d", s.alt, s.main), auth, "")
			if res.StatusCode != 403 || !strings.Contains(body, `"error"`) || res.Header.Get("X-Ratelimit-Group") != "char-detail" {
				t.Errorf("another character's roles: %s %s", res.Status, body)
			}

			// POST, the body passed through: an EVE mail.
			mail := fmt.Sprintf(`{"recipients":[{"recipient_id":%d,"recipient_type":"character"}],"subject":"Fleet","body":"Form up"}`, s.alt)
			res, body = s.do(t, "POST", fmt.Sprintf("/api/app/v2/esi/characters/%d/mail?datasource=%d", s.main, s.main), auth, mail)
			if res.StatusCode != 201 {
				t.Fatalf("mail: %s %s", res.Status, body)
			}
			sent := s.Sim.ESI.SentMails()
			if len(sent) != 1 || body != strconv.Itoa(int(sent[0].ID)) || sent[0].From != s.main || sent[0].Body != "Form up" {
				t.Errorf("mail %s, sent %+v", body, sent)
			}
			// By esi-path-query, v1.
			res, body = s.do(t, "POST", "/api/app/v1/esi?esi-path-query="+url.QueryEscape(fmt.Sprintf("/characters/%d/mail", s.main))+
				"&datasource="+strconv.Itoa(int(s.main)), auth, mail)
			if res.StatusCode != 201 || len(s.Sim.ESI.SentMails()) != 2 {
				t.Errorf("mail by esi-path-query: %s %s", res.Status, body)
			}
		})
	}
}

// A client generated from ESI's specification works through the proxy
// with only its base URL changed (and the app's bearer): it sends the
// operation's path, its query parameters, X-Compatibility-Date and
// Accept-Language, and reads the typed answer and its headers.
func TestESIProxyGeneratedClient(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default")
			client := generatedClient{BasePath: s.URL + "/api/app/v2/esi", Authorization: auth}
			roles, res, err := client.GetCharactersCharacterIdRoles(context.Background(), s.main, strconv.Itoa(int(s.main)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(roles.Roles, []string{"Director"}) || roles.RolesAtBase == nil || res.Header.Get("X-Ratelimit-Remaining") == "" {
				t.Errorf("roles %+v, headers %v", roles, res.Header)
			}
			// The same client, pointed at the simulated ESI itself with a
			// character's access token, reads the same.
			direct := generatedClient{BasePath: s.SimURL, Authorization: "Bearer " + s.accessToken(t, s.main)}
			want, _, err := direct.GetCharactersCharacterIdRoles(context.Background(), s.main, "")
			if err != nil || !slices.Equal(want.Roles, roles.Roles) {
				t.Errorf("direct: %+v %v", want, err)
			}
		})
	}
}

// accessToken gives a character's core.default access token through the
// Application API.
func (s *esiSite) accessToken(t *testing.T, id int32) string {
	t.Helper()
	res, body := s.do(t, "GET", fmt.Sprintf("/api/app/v1/esi/access-token/%d", id), s.app(t, []string{appapi.RoleESIToken}, "core.default"), "")
	var tok appapi.EsiAccessToken
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &tok) != nil {
		t.Fatalf("access token: %s %s", res.Status, body)
	}
	return tok.Token
}

// generatedClient is the shape of the code openapi-generator makes from
// ESI's specification (a Configuration with BasePath and default headers,
// one method per operation): what PHP, Python or Go apps built for Neucore
// use with the base URL set to Neucore's proxy.
type generatedClient struct {
	BasePath      string
	Authorization string
}

// GetCharactersCharacterIdRoles is the operation GetCharactersCharacterIdRoles.
func (c generatedClient) GetCharactersCharacterIdRoles(ctx context.Context, characterID int32, datasource string) (characterRoles, *http.Response, error) {
	var out characterRoles
	path := "/characters/{character_id}/roles"
	path = strings.ReplaceAll(path, "{character_id}", url.PathEscape(strconv.Itoa(int(characterID))))
	q := url.Values{}
	if datasource != "" {
		q.Set("datasource", datasource)
	}
	u := c.BasePath + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return out, nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", "en")
	req.Header.Set("X-Compatibility-Date", esi.CompatibilityDate)
	req.Header.Set("User-Agent", "OpenAPI-Generator/1.0.0/go")
	req.Header.Set("Authorization", c.Authorization)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return out, res, err
	}
	if res.StatusCode >= 300 {
		return out, res, fmt.Errorf("%s: %s", res.Status, body)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return out, res, fmt.Errorf("content type %q", res.Header.Get("Content-Type"))
	}
	return out, res, json.Unmarshal(body, &out)
}

// Every refusal of the proxy, Neucore's: v1 in the reason phrase, v2 as a
// JSON string; 403 with an empty body for a login the app may not use.
func TestESIProxyRefusals(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default", "audit", "directors")
			main := strconv.Itoa(int(s.main))
			noCharacter := "The Neucore-EveCharacter header and datasource parameter cannot both be empty, one of them must contain an EVE character ID"
			for _, c := range []struct{ method, path, reason string }{
				{"GET", "/esi", "Path cannot be empty."},
				{"GET", "/esi?esi-path-query=&datasource=" + main, "Path cannot be empty."},
				{"GET", "/esi/alliances?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi/v1/alliances/?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi/latest/alliances/?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi/alliances/99000001/icons/?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi/killmails/123456/123abc/?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi?esi-path-query=" + url.QueryEscape("/characters/"+main) + "&datasource=" + main, "Public ESI routes are not allowed."},
				{"POST", "/esi/characters/affiliation?datasource=" + main, "Public ESI routes are not allowed."},
				{"POST", "/esi/universe/names/?datasource=" + main, "Public ESI routes are not allowed."},
				{"GET", "/esi/characters/" + main + "/roles", noCharacter},
				{"GET", "/esi/characters/" + main + "/roles?datasource=tranquility", noCharacter},
				{"GET", "/esi/characters/" + main + "/roles?datasource=:audit", noCharacter},
				{"GET", "/esi/characters/1234/roles?datasource=1234", "Character not found."},
				{"GET", "/esi/characters/" + main + "/roles?datasource=" + strconv.Itoa(int(s.stranger)), "Character not found."},
				{"GET", "/esi/characters/" + main + "/roles?datasource=99999999999", "Character not found."},
				{"GET", "/esi/characters/" + strconv.Itoa(int(s.alt)) + "/roles?datasource=" + strconv.Itoa(int(s.alt)) + ":directors", "Character has no valid token."},
				{"POST", "/esi/characters/" + strconv.Itoa(int(s.alt)) + "/mail?datasource=" + strconv.Itoa(int(s.alt)) + ":directors", "Character has no valid token."},
			} {
				for _, v := range []string{"v1", "v2"} {
					path := "/api/app/" + v + c.path
					res, body := s.do(t, c.method, path, auth, "[]")
					if v == "v1" && (res.Status != "400 "+c.reason || body != "") {
						t.Errorf("%s %s: %s %q; want the reason %q", c.method, path, res.Status, body, c.reason)
					}
					if want, _ := json.Marshal(c.reason); v == "v2" && (res.StatusCode != 400 || body != string(want) ||
						res.Header.Get("Content-Type") != "application/json") {
						t.Errorf("%s %s: %s %s; want 400 %s", c.method, path, res.Status, body, want)
					}
				}
			}
			// A login the app may not use: 403, empty, as the header too.
			s.expect(t, "GET", "/api/app/v2/esi/characters/"+main+"/roles?datasource="+main+":core.mail", auth, "403 Forbidden", "")
			if res, body := s.do(t, "GET", "/api/app/v1/esi/characters/"+main+"/roles", auth, "",
				"Neucore-EveCharacter", main, "Neucore-EveLogin", "core.mail"); res.StatusCode != 403 || body != "" {
				t.Errorf("login by header: %s %q", res.Status, body)
			}
			// The role: every form refused without app-esi-proxy.
			other := s.app(t, []string{appapi.RoleApp, appapi.RoleESIToken, appapi.RoleESILogin}, "core.default")
			for _, m := range []string{"GET", "POST"} {
				for _, p := range []string{"/api/app/v1/esi", "/api/app/v2/esi", "/api/app/v1/esi/characters/" + main + "/roles", "/api/app/v2/esi/characters/" + main + "/roles"} {
					if res, body := s.do(t, m, p+"?datasource="+main, other, ""); res.StatusCode != 403 || body != "" {
						t.Errorf("%s %s without the role: %s %q", m, p, res.Status, body)
					}
					if res, _ := s.do(t, m, p+"?datasource="+main, "", ""); res.StatusCode != 401 {
						t.Errorf("%s %s without a secret: %s", m, p, res.Status)
					}
				}
			}
		})
	}
}

// expectLimited checks a 429 of the proxy: v2's JSON string and
// Retry-After (1 to maxWait seconds).
func expectLimited(t *testing.T, res *http.Response, body, message string, maxWait int) {
	t.Helper()
	want, _ := json.Marshal(message)
	wait, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.StatusCode != 429 || body != string(want) || err != nil || wait < 1 || wait > maxWait {
		t.Errorf("%s %s Retry-After %q; want 429 %s and 1 to %d s", res.Status, body, res.Header.Get("Retry-After"), want, maxWait)
	}
}

// The limits, before anything else and without asking ESI: a bucket
// nearly spent, then the error budget at 20.
func TestESIProxyBucketAndErrorBudget(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default")
			main := strconv.Itoa(int(s.main))

			// The corporation's members need a scope the token lacks: each
			// 403 costs 5 of the corp-member bucket's 300 tokens. Below 60
			// (20 %) the proxy holds calls back.
			const membersRoute = "GET /corporations/{corporation_id}/members"
			var corp int64
			if err := s.DB.QueryRow(context.Background(), `SELECT corporation_id FROM characters WHERE id = $1`, s.main).Scan(&corp); err != nil {
				t.Fatal(err)
			}
			members := fmt.Sprintf("/api/app/v2/esi/corporations/%d/members?datasource=%s", corp, main)
			last := 300
			for i := 0; ; i++ {
				if i > 70 {
					t.Fatal("never held back")
				}
				res, body := s.do(t, "GET", members, auth, "")
				if res.StatusCode == 429 {
					if last >= 60 {
						t.Errorf("held back with %d tokens left", last)
					}
					expectLimited(t, res, body, "Maximum permissible ESI rate limit reached for group 'corp-member'.", 22)
					break
				}
				left, err := strconv.Atoi(res.Header.Get("X-Ratelimit-Remaining"))
				if res.StatusCode != 403 || err != nil || left != last-5 || last < 60 {
					t.Fatalf("call %d with %d tokens left: %s %s, %q left", i, last, res.Status, body, res.Header.Get("X-Ratelimit-Remaining"))
				}
				last = left
			}
			n := s.simRequests(t, membersRoute)
			if res, body := s.do(t, "GET", members, auth, ""); res.StatusCode != 429 || s.simRequests(t, membersRoute) != n {
				t.Errorf("again: %s %s, ESI asked %d times", res.Status, body, s.simRequests(t, membersRoute)-n)
			}
			// Another route's bucket is not this one.
			if res, body := s.do(t, "GET", "/api/app/v2/esi/characters/"+main+"/roles?datasource="+main, auth, ""); res.StatusCode != 200 {
				t.Errorf("roles: %s %s", res.Status, body)
			}

			// The error budget: ESI counts a 404 (100 a minute), here of a
			// route of the specification that the simulator does not serve;
			// at 20 left, the proxy stops.
			unknown := "/api/app/v2/esi/characters/" + main + "/implants?datasource=" + main
			remain := 100
			for i := 0; ; i++ {
				if i > 250 {
					t.Fatal("never held back")
				}
				res, body := s.do(t, "GET", unknown, auth, "")
				if res.StatusCode == 429 {
					if remain > 20 {
						t.Errorf("held back with %d errors left", remain)
					}
					expectLimited(t, res, body, "Maximum permissible ESI error limit reached (X-Esi-Error-Limit-Remain <= 20).", 60)
					break
				}
				r, err := strconv.Atoi(res.Header.Get("X-Esi-Error-Limit-Remain"))
				if res.StatusCode != 404 || err != nil || res.Header.Get("X-Esi-Error-Limit-Reset") == "" || remain <= 20 {
					t.Fatalf("call %d with %d errors left: %s %s, remain %q", i, remain, res.Status, body, res.Header.Get("X-Esi-Error-Limit-Remain"))
				}
				remain = r
			}
			// Every call now, whatever it is (even one the proxy would
			// refuse), and v1 in the reason phrase without Retry-After.
			n = s.simRequests(t, "/")
			res, body := s.do(t, "GET", "/api/app/v2/esi", auth, "")
			expectLimited(t, res, body, "Maximum permissible ESI error limit reached (X-Esi-Error-Limit-Remain <= 20).", 60)
			res, body = s.do(t, "GET", "/api/app/v1/esi/characters/"+main+"/roles?datasource="+main, auth, "")
			if res.Status != "429 Maximum permissible ESI error limit reached." || body != "" || res.Header.Get("Retry-After") != "" {
				t.Errorf("v1: %s %q Retry-After %q", res.Status, body, res.Header.Get("Retry-After"))
			}
			if s.simRequests(t, "/") != n {
				t.Error("ESI was asked while the budget was spent")
			}
		})
	}
}

// An ESI 429 is passed through and its Retry-After then enforced; during
// a 420 storm the first 420 is passed through and then every call is held
// back without asking ESI.
func TestESIProxyThrottleAndStorm(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startESISite(t, d)
			auth := s.app(t, []string{appapi.RoleESIProxy}, "core.default", "audit")
			alt := strconv.Itoa(int(s.alt))
			titles := "/api/app/v2/esi/characters/" + alt + "/titles?datasource=" + alt + ":audit"
			const titlesRoute = "GET /characters/{character_id}/titles"

			s.fault(t, `{"route": "`+titlesRoute+`", "throttle": {"count": 1, "retry_after": "30s"}}`)
			res, body := s.do(t, "GET", titles, auth, "")
			if res.StatusCode != 429 || res.Header.Get("Retry-After") != "30" || !strings.Contains(body, `"error"`) {
				t.Fatalf("ESI's 429: %s %s Retry-After %q", res.Status, body, res.Header.Get("Retry-After"))
			}
			n := s.simRequests(t, titlesRoute)
			res, body = s.do(t, "GET", titles, auth, "")
			expectLimited(t, res, body, "ESI rate limit reached.", 30)
			if s.simRequests(t, titlesRoute) != n {
				t.Error("ESI was asked during its Retry-After")
			}

			// The 429 blocked the alt's char-detail bucket (titles and
			// roles alike), not the main's.
			const rolesRoute = "GET /characters/{character_id}/roles"
			main := strconv.Itoa(int(s.main))
			roles := "/api/app/v2/esi/characters/" + main + "/roles?datasource=" + main
			s.fault(t, `{"route": "`+rolesRoute+`", "storm": "60s"}`)
			res, body = s.do(t, "GET", roles, auth, "")
			if res.StatusCode != 420 || !strings.Contains(body, "error limit") {
				t.Fatalf("ESI's 420: %s %s", res.Status, body)
			}
			n = s.simRequests(t, rolesRoute)
			for range 3 {
				res, body = s.do(t, "GET", roles, auth, "")
				expectLimited(t, res, body, "Maximum permissible ESI error limit reached (X-Esi-Error-Limit-Remain <= 20).", 60)
			}
			res, body = s.do(t, "GET", "/api/app/v1/esi/characters/"+main+"/roles?datasource="+main, auth, "")
			if res.Status != "429 Maximum permissible ESI error limit reached." || body != "" {
				t.Errorf("v1 in the storm: %s %q", res.Status, body)
			}
			if s.simRequests(t, rolesRoute) != n {
				t.Errorf("ESI was asked %d times during the storm", s.simRequests(t, rolesRoute)-n)
			}
		})
	}
}
