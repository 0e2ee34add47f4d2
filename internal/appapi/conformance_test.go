package appapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// conformanceSite is a site with data for every operation of the
// Application API, made as members and admins make it:
//
//	A: a0 (main, in an alliance's corporation), a1, a2 (deleted by the
//	   member: removed); m0 came in a merge with M (incoming); a token of
//	   the EVE login "fleet" (titles, mail) for a0; in Alpha, and in the
//	   groups of a0's corporation and alliance
//	M: merged into A, no character left
//	D: d0, in Alpha; its token invalid for longer than the delay: its
//	   groups deactivated
//	stranger: a character Keepstar does not know
type conformanceSite struct {
	*sitetest.Site
	full, roleless       string // apps with every role, with none
	a0, a1, a2, m0, d0   int32
	stranger             int32
	accA, accM           int64
	corp, alliance       int32
	alpha, corpG, allyG  groups.Group
	titlesPath, mailPath string // ESI paths of a0 the fleet token opens
	mailBody             string
}

// fleetScopes are the scopes of the EVE login "fleet".
var fleetScopes = []string{"esi-characters.read_titles.v1", "esi-mail.send_mail.v1"}

func startConformanceSite(t *testing.T, d config.Dialect) *conformanceSite {
	t.Helper()
	ctx := context.Background()
	// The client calls every operation without a secret, from one
	// address: more 401s than the failed authentications allowed.
	site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{"KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES": "0"}})
	st := settings.NewStore(site.DB, settings.NewRegistry(accounts.Settings, access.Settings, groups.Settings), nil, 0)
	if err := st.Set(ctx, map[string]string{"accounts.allow_character_deletion": "true",
		"groups.deactivation": "true", "groups.deactivation_delay_hours": "24"}); err != nil {
		t.Fatal(err)
	}
	if _, err := logins.NewStore(site.DB, nil).Create(ctx, logins.Input{Name: "fleet", Description: "Fleet tools",
		Scopes: strings.Join(fleetScopes, " ")}); err != nil {
		t.Fatal(err)
	}
	site.Restart() // the site reads the settings afresh
	u := site.Sim.Universe
	s := &conformanceSite{Site: site}

	used := map[int32]bool{}
	a := pickAccount(t, site, 3, used, nil, func(chars []int32) bool {
		c, _ := u.Character(chars[0])
		return u.AllianceOf(c) != 0
	})
	s.a0, s.a1, s.a2 = a[0], a[1], a[2]
	s.m0 = pickAccount(t, site, 1, used, nil, nil)[0]
	s.d0 = pickAccount(t, site, 1, used, nil, nil)[0]
	s.stranger = pickAccount(t, site, 1, used, nil, nil)[0]
	c0, _ := u.Character(s.a0)
	s.corp, s.alliance = c0.CorporationID, u.AllianceOf(c0)

	bA := site.NewBrowser(t)
	bA.LogIn(t, s.a0)
	bA.AddCharacter(t, s.a1)
	bA.AddCharacter(t, s.a2)
	if p := bA.Post(t, fmt.Sprintf("/characters/%d/delete", s.a2), url.Values{"confirm": {"yes"}}); p.Status != http.StatusOK {
		t.Fatalf("the member's deletion: %d", p.Status)
	}
	if p := bA.Flow(t, fmt.Sprintf("/sso/login/fleet?character=%d", s.a0), s.a0); p.Status != http.StatusOK {
		t.Fatalf("fleet token: %d\n%s", p.Status, p.Body)
	}
	bM := site.NewBrowser(t)
	bM.LogIn(t, s.m0)
	s.accM = s.accountOf(t, s.m0)
	bM.AddCharacter(t, s.a1) // A's: the accounts merge into A
	s.accA = s.accountOf(t, s.a0)
	if got := s.accountOf(t, s.m0); got != s.accA {
		t.Fatalf("m0 is on account %d after the merge, want A's %d", got, s.accA)
	}
	site.NewBrowser(t).LogIn(t, s.d0)
	accD := s.accountOf(t, s.d0)

	gs := groups.New(site.DB, groups.Options{Recomputer: access.NewRecomputer(site.DB, st, nil), Queue: site.Queue(),
		Catalogue: access.NewCatalogue(access.Permissions), Settings: st})
	for _, g := range []struct {
		into *groups.Group
		in   groups.Input
	}{
		{&s.alpha, groups.Input{Name: "Alpha", Description: "Everyone", Public: true, Open: true}},
		{&s.corpG, groups.Input{Name: "Corporation", Corporations: []int32{s.corp}}},
		{&s.allyG, groups.Input{Name: "Alliance", Hidden: true, Alliances: []int32{s.alliance}}},
	} {
		var err error
		if *g.into, err = gs.Create(ctx, g.in); err != nil {
			t.Fatal(err)
		}
	}
	for _, acc := range []int64{s.accA, accD} {
		if out, err := gs.Join(ctx, groups.Actor{AccountID: acc, Name: "member"}, s.alpha.ID); err != nil || out != groups.Joined {
			t.Fatalf("account %d joins Alpha: %s %v", acc, out, err)
		}
	}
	// D's token dies (a password change); the token check finds it, long
	// enough ago for the engine to deactivate D's groups.
	if err := u.InvalidateTokens(s.d0); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, tokencheck.Args{All: true})
	if _, err := site.DB.Exec(ctx, `UPDATE eve_tokens SET invalid_since = $2 WHERE character_id = $1`, s.d0, time.Now().Add(-25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	site.RunJob(t, access.RecomputeArgs{Force: true})
	for acc, want := range map[int64]string{s.accA: "no", accD: "yes"} {
		var got string
		if err := site.DB.QueryRow(ctx, `SELECT groups_deactivated FROM accounts WHERE id = $1`, acc).Scan(&got); err != nil || got != want {
			t.Fatalf("deactivation of account %d: %q %v, want %q", acc, got, err, want)
		}
	}

	as := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	for _, app := range []struct {
		auth *string
		in   appapi.Input
	}{
		{&s.full, appapi.Input{Name: "Everything", Roles: appapi.Roles, Groups: []int64{s.alpha.ID, s.corpG.ID, s.allyG.ID},
			EveLogins: []string{"core.default", "fleet"}}},
		{&s.roleless, appapi.Input{Name: "Nothing", Groups: []int64{s.alpha.ID}, EveLogins: []string{"core.default", "fleet"}}},
	} {
		created, err := as.Create(ctx, app.in)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := as.NewSecret(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		*app.auth = bearer(created.ID, secret)
	}
	s.titlesPath = fmt.Sprintf("/characters/%d/titles", s.a0)
	s.mailPath = fmt.Sprintf("/characters/%d/mail", s.a0)
	s.mailBody = fmt.Sprintf(`{"recipients":[{"recipient_id":%d,"recipient_type":"character"}],"subject":"Fleet","body":"Form up"}`, s.a1)
	return s
}

func (s *conformanceSite) accountOf(t *testing.T, id int32) int64 {
	t.Helper()
	var acc int64
	if err := s.DB.QueryRow(context.Background(), `SELECT account_id FROM characters WHERE id = $1`, id).Scan(&acc); err != nil {
		t.Fatalf("account of %d: %v", id, err)
	}
	return acc
}

// confCase is one request of the conformance run.
type confCase struct {
	op           string // the operationId it calls
	method, path string // the path on the site, with its query
	auth         string // Authorization; empty sends none
	contentType  string
	body         string
	header       []string // more headers: name, value pairs
	status       int
	reason       string // the reason phrase wanted, when set: v1's errors
	jsonString   string // the JSON string body wanted, when set: v2's refusals
	// invalid: the request breaks the spec on purpose (a missing secret,
	// a bad body): the spec must refuse it too.
	invalid bool
	// fromESI: the answer is ESI's, passed through: its body is ESI's JSON,
	// of any type, and a success may have ESI's own status, as the spec
	// says in words.
	fromESI bool
}

// cases are the run's requests: for each operation a success, and each
// error the operation can give on such data. Every operation also gets a
// request without a secret and one by an app without the role (variants).
func (s *conformanceSite) cases() []confCase {
	p := fmt.Sprintf
	get := func(op, path string, status int) confCase {
		return confCase{op: op, method: http.MethodGet, path: "/api/app" + path, auth: s.full, status: status}
	}
	post := func(op, path, body string, status int) confCase {
		return confCase{op: op, method: http.MethodPost, path: "/api/app" + path, auth: s.full, contentType: "application/json", body: body, status: status}
	}
	reason := func(c confCase, phrase string) confCase { c.reason = phrase; return c }
	invalid := func(c confCase) confCase { c.invalid, c.reason = true, "Bad Request"; return c }
	typed := func(c confCase, contentType string) confCase { c.contentType = contentType; return c }
	esiQuery := func(path, datasource string) string {
		q := url.Values{"esi-path-query": {path}}
		if datasource != "" {
			q.Set("datasource", datasource)
		}
		return q.Encode()
	}
	fleet := p("%d:fleet", s.a0)
	fromESI := func(c confCase) confCase { c.fromESI = true; return c }
	headers := func(c confCase, h ...string) confCase { c.header = h; return c }
	jsonString := func(c confCase, msg string) confCase { c.jsonString = msg; return c }

	return []confCase{
		get("showV1", "/v1/show", 200),

		get("mainV1", p("/v1/main/%d", s.a1), 200),
		reason(get("mainV1", "/v1/main/123456", 404), "Not Found"),
		get("mainV2", p("/v2/main/%d", s.m0), 200),
		reason(get("mainV2", "/v2/main/123456", 404), "Character not found."),
		get("playerV1", p("/v1/player/%d", s.a1), 200),
		reason(get("playerV1", "/v1/player/123456", 404), "Character not found."),
		post("playersV1", "/v1/players", p("[%d, %d, %d, 123456]", s.a0, s.m0, s.d0), 200),
		invalid(post("playersV1", "/v1/players", `{"0": 1}`, 400)),
		invalid(typed(post("playersV1", "/v1/players", "[1]", 400), "text/plain")),
		get("charactersV1", p("/v1/characters/%d", s.a0), 200),
		reason(get("charactersV1", p("/v1/characters/%d", s.a2), 404), "Character not found."),
		post("charactersBulkV1", "/v1/characters", p("[%d, %d, 123456]", s.a0, s.d0), 200),
		invalid(post("charactersBulkV1", "/v1/characters", `"1"`, 400)),
		post("characterListV1", "/v1/character-list", p("[%d, %d, %d]", s.a0, s.a2, s.m0), 200),
		invalid(post("characterListV1", "/v1/character-list", `[1,`, 400)),
		get("playerCharactersV1", p("/v1/player-chars/%d", s.accA), 200),
		get("playerCharactersV1", p("/v1/player-chars/%d", s.accM), 200), // merged away: none
		reason(get("playerCharactersV1", "/v1/player-chars/999999", 404), "Player not found."),
		get("playerWithCharactersV1", p("/v1/player-with-characters/%d", s.m0), 200),
		reason(get("playerWithCharactersV1", "/v1/player-with-characters/123456", 404), "Character not found."),
		get("removedCharactersV1", p("/v1/removed-characters/%d", s.a0), 200),
		reason(get("removedCharactersV1", p("/v1/removed-characters/%d", s.a2), 404), "Character not found."),
		get("incomingCharactersV1", p("/v1/incoming-characters/%d", s.a0), 200),
		reason(get("incomingCharactersV1", "/v1/incoming-characters/123456", 404), "Character not found."),
		get("corporationPlayersV1", p("/v1/corp-players/%d", s.corp), 200),
		get("corporationPlayersV1", "/v1/corp-players/98000001", 200),
		get("corporationCharactersV1", p("/v1/corp-characters/%d", s.corp), 200),
		get("corporationCharactersV1", "/v1/corp-characters/98000001", 200),
		get("memberTrackingV1", p("/v1/corporation/%d/member-tracking?inactive=7&active=12&account=true", s.corp), 200),

		get("groupsV1", p("/v1/groups/%d", s.a0), 200),
		get("groupsV1", p("/v1/groups/%d", s.d0), 200), // deactivated: none
		reason(get("groupsV1", "/v1/groups/123456", 404), "Not Found"),
		get("groupsV2", p("/v2/groups/%d", s.m0), 200),
		reason(get("groupsV2", "/v2/groups/123456", 404), "Character not found."),
		post("groupsBulkV1", "/v1/groups", p("[%d, %d, %d, 123456]", s.a0, s.d0, s.m0), 200),
		invalid(post("groupsBulkV1", "/v1/groups", `{}`, 400)),
		get("corpGroupsV1", p("/v1/corp-groups/%d", s.corp), 200),
		reason(get("corpGroupsV1", "/v1/corp-groups/123", 404), "Not Found"),
		get("corpGroupsV2", p("/v2/corp-groups/%d", s.corp), 200),
		reason(get("corpGroupsV2", "/v2/corp-groups/123", 404), "Corporation not found."),
		post("corpGroupsBulkV1", "/v1/corp-groups", p("[%d, 123]", s.corp), 200),
		invalid(post("corpGroupsBulkV1", "/v1/corp-groups", `12`, 400)),
		get("allianceGroupsV1", p("/v1/alliance-groups/%d", s.alliance), 200),
		reason(get("allianceGroupsV1", "/v1/alliance-groups/123", 404), "Not Found"),
		get("allianceGroupsV2", p("/v2/alliance-groups/%d", s.alliance), 200),
		reason(get("allianceGroupsV2", "/v2/alliance-groups/123", 404), "Alliance not found."),
		post("allianceGroupsBulkV1", "/v1/alliance-groups", p("[%d, 123]", s.alliance), 200),
		invalid(post("allianceGroupsBulkV1", "/v1/alliance-groups", `{"a": 1}`, 400)),
		get("groupsWithFallbackV1", p("/v1/groups-with-fallback?character=%d&corporation=%d", s.a0, s.corp), 200),
		get("groupsWithFallbackV1", p("/v1/groups-with-fallback?character=123456&corporation=%d&alliance=%d", s.corp, s.alliance), 200),
		get("groupMembersV1", p("/v1/group-members/%d", s.alpha.ID), 200),
		get("groupMembersV1", p("/v1/group-members/%d?corporation=%d", s.alpha.ID, s.corp), 200),
		reason(get("groupMembersV1", "/v1/group-members/987654", 404), "Group not found."),

		get("esiEveLoginCharactersV1", "/v1/esi/eve-login/fleet/characters", 200),
		get("esiEveLoginCharactersV1", "/v1/esi/eve-login/core.default/characters", 200),
		get("esiEveLoginCharactersV1", "/v1/esi/eve-login/no-such-login/characters", 404),
		get("esiEveLoginCharactersV1", "/v1/esi/eve-login/core.mail/characters", 403), // not the app's
		get("esiEveLoginTokenDataV1", "/v1/esi/eve-login/fleet/token-data", 200),
		get("esiEveLoginTokenDataV1", "/v1/esi/eve-login/core.default/token-data", 403),
		get("esiEveLoginTokenDataV1", "/v1/esi/eve-login/no-such-login/token-data", 404),
		get("esiAccessTokenV1", p("/v1/esi/access-token/%d", s.a0), 200),
		get("esiAccessTokenV1", p("/v1/esi/access-token/%d?eveLoginName=fleet", s.a0), 200),
		get("esiAccessTokenV1", p("/v1/esi/access-token/%d", s.d0), 204), // dead
		get("esiAccessTokenV1", p("/v1/esi/access-token/%d", s.stranger), 404),
		get("esiAccessTokenV1", p("/v1/esi/access-token/%d?eveLoginName=core.mail", s.a0), 403),

		fromESI(get("esiV1", "/v1/esi?"+esiQuery(s.titlesPath, fleet), 200)),
		reason(get("esiV1", "/v1/esi?"+esiQuery("/alliances", fleet), 400), "Public ESI routes are not allowed."),
		reason(get("esiV1", "/v1/esi?"+esiQuery(s.titlesPath, "123456"), 400), "Character not found."),
		reason(invalid(get("esiV1", "/v1/esi", 400)), "Path cannot be empty."),
		get("esiV1", "/v1/esi?"+esiQuery(s.titlesPath, p("%d:core.mail", s.a0)), 403),
		fromESI(typed(post("esiPostV1", "/v1/esi?"+esiQuery(s.mailPath, fleet), s.mailBody, 201), "text/plain")),
		reason(typed(post("esiPostV1", "/v1/esi?"+esiQuery("/universe/names", fleet), "[1]", 400), "text/plain"), "Public ESI routes are not allowed."),
		fromESI(headers(get("esiV2", "/v2/esi?"+esiQuery(s.titlesPath, ""), 200),
			"Neucore-EveCharacter", strconv.Itoa(int(s.a0)), "Neucore-EveLogin", "fleet",
			"X-Compatibility-Date", esi.CompatibilityDate, "Accept-Language", "en")),
		fromESI(get("esiV2", "/v2/esi?"+esiQuery(p("/characters/%d/titles", s.a1), fleet), 403)), // ESI's refusal: not a0's
		jsonString(get("esiV2", "/v2/esi?"+esiQuery(s.titlesPath, ""), 400),
			"The Neucore-EveCharacter header and datasource parameter cannot both be empty, one of them must contain an EVE character ID"),
		jsonString(get("esiV2", "/v2/esi?"+esiQuery(s.titlesPath, p("%d", s.d0)), 400), "Character has no valid token."),
		get("esiV2", "/v2/esi?"+esiQuery(s.titlesPath, p("%d:core.mail", s.a0)), 403),
		fromESI(typed(post("esiPostV2", "/v2/esi?"+esiQuery(s.mailPath, fleet), s.mailBody, 201), "text/plain")),
		jsonString(typed(post("esiPostV2", "/v2/esi?"+esiQuery("/characters/affiliation", fleet), "[1]", 400), "text/plain"),
			"Public ESI routes are not allowed."),
	}
}

// stormCases come last: ESI's error limit spent, every ESI call of the site
// is held back.
func (s *conformanceSite) stormCases() []confCase {
	fleet := fmt.Sprintf("%d:fleet", s.a0)
	// Another query than before, which the cache does not answer.
	q := url.Values{"esi-path-query": {s.titlesPath + "?storm=1"}, "datasource": {fleet}}.Encode()
	limited := "Maximum permissible ESI error limit reached (X-Esi-Error-Limit-Remain <= 20)."
	return []confCase{
		{op: "esiV2", method: http.MethodGet, path: "/api/app/v2/esi?" + q, auth: s.full, status: 420, fromESI: true},
		{op: "esiV2", method: http.MethodGet, path: "/api/app/v2/esi?" + q, auth: s.full, status: 429, jsonString: limited},
		{op: "esiV1", method: http.MethodGet, path: "/api/app/v1/esi?" + q, auth: s.full, status: 429, reason: "Maximum permissible ESI error limit reached."},
		{op: "esiPostV2", method: http.MethodPost, path: "/api/app/v2/esi?" + url.Values{"esi-path-query": {s.mailPath}, "datasource": {fleet}}.Encode(),
			auth: s.full, contentType: "text/plain", body: s.mailBody, status: 429, jsonString: limited},
		{op: "esiPostV1", method: http.MethodPost, path: "/api/app/v1/esi?" + url.Values{"esi-path-query": {s.mailPath}, "datasource": {fleet}}.Encode(),
			auth: s.full, contentType: "text/plain", body: s.mailBody, status: 429, reason: "Maximum permissible ESI error limit reached."},
	}
}

// variants are the refusals every operation gives, made from one of its
// successes: no secret (401), and an app without the role (403), both
// with an empty body.
func (s *conformanceSite) variants(c confCase) []confCase {
	noSecret, roleless := c, c
	noSecret.auth, noSecret.status, noSecret.reason, noSecret.invalid, noSecret.fromESI = "", 401, "Unauthorized", true, false
	roleless.auth, roleless.status, roleless.reason, roleless.fromESI = s.roleless, 403, "Forbidden", false
	return []confCase{noSecret, roleless}
}

// conformanceRun checks requests and answers against Neucore's spec and
// records which statuses each operation gave.
type conformanceRun struct {
	t      *testing.T
	site   *conformanceSite
	router routers.Router
	seen   map[string]map[int]bool
}

// TestConformance calls every operation of Neucore's spec over HTTP, each
// with its successes and its errors (no secret, no role, not found, bad
// bodies, the ESI proxy's refusals and limits), and checks every request
// and every answer against the spec with kin-openapi: status, content
// type, headers and body (null where Neucore gives null though its spec
// cannot say so, see neucoreNulls). v1 errors must carry their message in
// the reason phrase, v2 refusals as a JSON string. The run fails unless
// every operation of the spec gave a success and an error.
//
// Where Neucore's own answers go beyond its spec, Keepstar's are checked to
// do the same and no more: a 401 answers any operation, by its security
// scheme, though the spec lists it for the proxy only; errors have an empty
// body (the message, if any, in the reason phrase) where the spec lists a
// JSON string, as Neucore's controllers answer; the proxy passes ESI's
// status and JSON through, of whatever type, as the spec says in words.
func TestConformance(t *testing.T) {
	if !haveNeucoreSpec(t) {
		t.Skipf("Neucore's spec not found at %s (the shared reference folder beside the repository); CI runs this test", neucoreSpecPath)
	}
	spec, err := loadNeucoreSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := startConformanceSite(t, d)
			doc := *spec // the server is this site's
			doc.Servers = openapi3.Servers{{URL: s.URL + "/api"}}
			router, err := gorillamux.NewRouter(&doc)
			if err != nil {
				t.Fatal(err)
			}
			r := &conformanceRun{t: t, site: s, router: router, seen: map[string]map[int]bool{}}
			varied := map[string]bool{}
			for _, c := range s.cases() {
				r.run(c)
				if c.status/100 == 2 && !varied[c.op] {
					varied[c.op] = true
					for _, v := range s.variants(c) {
						r.run(v)
					}
				}
			}
			(&esiSite{Site: s.Site}).fault(t, `{"route": "GET /characters/{character_id}/titles", "storm": "60s"}`)
			for _, c := range s.stormCases() {
				r.run(c)
			}
			r.coverage(spec)
		})
	}
}

// newRequest makes the case's request.
func (r *conformanceRun) newRequest(c confCase) *http.Request {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, r.site.URL+c.path, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	return req
}

// bearerPresent is the spec's BearerAuth as a client meets it: a bearer
// token is sent. Whether it is right is the API's to say.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}

// run makes one request and checks it and its answer.
func (r *conformanceRun) run(c confCase) {
	t := r.t
	t.Helper()
	name := fmt.Sprintf("%s %s %s", c.op, c.method, c.path)
	ctx := context.Background()

	// The request, against the spec.
	req := r.newRequest(c)
	route, params, err := r.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s: no operation of the spec: %v", name, err)
		return
	}
	if route.Operation.OperationID != c.op {
		t.Errorf("%s: the spec's operation is %s", name, route.Operation.OperationID)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, MultiError: true}}
	err = openapi3filter.ValidateRequest(ctx, in)
	switch {
	case c.invalid && err == nil:
		t.Errorf("%s: the request should break the spec, and does not", name)
	case !c.invalid && err != nil:
		t.Errorf("%s: the request does not fit the spec: %v", name, err)
	}

	// The answer.
	res, err := http.DefaultClient.Do(r.newRequest(c))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(sitetest.Body(t, res))
	phrase := strings.TrimPrefix(res.Status, strconv.Itoa(res.StatusCode)+" ")
	if res.StatusCode != c.status {
		t.Errorf("%s: %s %s, want %d", name, res.Status, body, c.status)
		return
	}
	if c.reason != "" && (phrase != c.reason || len(body) != 0) {
		t.Errorf("%s: %q %q, want the reason phrase %q and no body", name, phrase, body, c.reason)
	}
	if c.jsonString != "" {
		want, _ := json.Marshal(c.jsonString)
		if string(body) != string(want) || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %s %s, want the JSON string %s", name, res.Header.Get("Content-Type"), body, want)
		}
	}
	if r.seen[c.op] == nil {
		r.seen[c.op] = map[int]bool{}
	}
	r.seen[c.op][res.StatusCode] = true

	// The answer, against the spec.
	declared := route.Operation.Responses.Status(res.StatusCode) != nil
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	status := res.StatusCode
	empty := len(body) == 0 && res.Header.Get("Content-Type") == ""
	switch {
	case status == http.StatusUnauthorized && !declared:
		// Every operation requires BearerAuth; 401 is the scheme's
		// answer, which the spec lists for the proxy only.
		if !empty || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: 401 with %q, WWW-Authenticate %q: want no body and a Bearer challenge", name, body, res.Header.Get("WWW-Authenticate"))
		}
		return
	case c.fromESI:
		if !json.Valid(body) {
			t.Errorf("%s: ESI's answer is not JSON: %s", name, body)
		}
		opts.ExcludeResponseBody = true
		if !declared && status/100 == 2 {
			status = http.StatusOK // ESI's success status, passed through: the spec's success headers
		}
	case empty && (status == http.StatusNoContent || status >= 400):
		// Neucore's errors have no body where its spec lists a JSON
		// string; the status must still be one the spec lists.
		opts.ExcludeResponseBody = true
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: status, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)), Options: opts})
	if err != nil {
		t.Errorf("%s: the answer %s does not fit the spec: %v\n%s", name, res.Status, err, body)
	}
}

// coverage fails the run unless each operation of the spec was called and
// gave a success and an error.
func (r *conformanceRun) coverage(spec *openapi3.T) {
	t := r.t
	var all []string
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			all = append(all, op.OperationID)
		}
	}
	slices.Sort(all)
	if len(all) != 33 {
		t.Errorf("the spec has %d operations, not Neucore's 33", len(all))
	}
	for _, id := range all {
		statuses := r.seen[id]
		hasSuccess := slices.ContainsFunc(slices.Sorted(maps.Keys(statuses)), func(s int) bool { return s/100 == 2 })
		hasError := slices.ContainsFunc(slices.Sorted(maps.Keys(statuses)), func(s int) bool { return s/100 == 4 })
		switch {
		case len(statuses) == 0:
			t.Errorf("%s: never called", id)
		case !hasSuccess:
			t.Errorf("%s: no success among %v", id, slices.Sorted(maps.Keys(statuses)))
		case !hasError:
			t.Errorf("%s: no error among %v", id, slices.Sorted(maps.Keys(statuses)))
		}
	}
	for id := range r.seen {
		if !slices.Contains(all, id) {
			t.Errorf("%s was called but is not in the spec", id)
		}
	}
}
