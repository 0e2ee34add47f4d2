package discordsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestOAuthFlowGivesTokenForUsersMe(t *testing.T) {
	w := newWorld(t)
	page := w.do("GET", "/oauth2/authorize?client_id="+clientID+"&response_type=code&scope=identify%20guilds.join&state=xyz&redirect_uri="+url.QueryEscape(callback), "", "", "")
	if page.status != 200 || !strings.Contains(string(page.body), "pilot") {
		t.Fatalf("authorize page %d %s", page.status, page.body)
	}
	back := w.authorize(w.user.ID, "xyz")
	if back.Query().Get("state") != "xyz" || back.Query().Get("code") == "" {
		t.Fatalf("redirect %s", back)
	}
	tok := w.exchange(back.Query().Get("code"))
	want(t, tok, 200, 0)
	body := tok.json(t)
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(604800) || body["refresh_token"] == "" ||
		body["scope"] != "identify guilds.join" {
		t.Fatalf("token body %v", body)
	}
	me := w.do("GET", "/api/v10/users/@me", "Bearer "+body["access_token"].(string), "", "")
	want(t, me, 200, 0)
	if me.json(t)["id"] != w.user.ID || me.json(t)["discriminator"] != "0" {
		t.Fatalf("me %s", me.body)
	}
	want(t, w.do("GET", "/api/v10/users/@me", "Bearer nope", "", ""), 401, 0)
}

func TestAuthorizeRefusesBadRequests(t *testing.T) {
	w := newWorld(t)
	base := url.Values{"client_id": {clientID}, "redirect_uri": {callback}, "response_type": {"code"},
		"scope": {"identify guilds.join"}}
	for name, change := range map[string][2]string{
		"client": {"client_id", "999"}, "redirect": {"redirect_uri", "https://evil.example/"},
		"response_type": {"response_type", "token"}, "scope": {"scope", "identify"},
	} {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set(change[0], change[1])
		if r := w.do("GET", "/oauth2/authorize?"+q.Encode(), "", "", ""); r.status != 400 {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	denied := w.authorize("", "s")
	if denied.Query().Get("error") != "access_denied" || denied.Query().Get("state") != "s" {
		t.Fatalf("deny %s", denied)
	}
}

func TestTokenCodesAreSingleUseExpiringAndFormOnly(t *testing.T) {
	w := newWorld(t)
	code := w.authorize(w.user.ID, "s").Query().Get("code")
	json := w.do("POST", "/api/oauth2/token", "", "application/json",
		`{"grant_type":"authorization_code","code":"`+code+`","redirect_uri":"`+callback+`","client_id":"`+clientID+`","client_secret":"`+secret+`"}`)
	if json.status != 400 || json.json(t)["error"] != "unsupported_grant_type" {
		t.Fatalf("json body: %d %s", json.status, json.body)
	}
	want(t, w.exchange(code), 200, 0)
	if r := w.exchange(code); r.status != 400 || r.json(t)["error"] != "invalid_grant" {
		t.Fatalf("reuse: %d %s", r.status, r.body)
	}
	late := w.authorize(w.user.ID, "s").Query().Get("code")
	w.now = w.now.Add(CodeLifetime)
	want(t, w.exchange(late), 400, 0)

	// Basic auth works; a wrong secret is invalid_client.
	code = w.authorize(w.user.ID, "s").Query().Get("code")
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}
	req := w.do("POST", "/api/oauth2/token", "Basic "+basic(clientID, "wrong"), "application/x-www-form-urlencoded", f.Encode())
	if req.status != 401 || req.json(t)["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %s", req.status, req.body)
	}
	code = w.authorize(w.user.ID, "s").Query().Get("code")
	f.Set("code", code)
	want(t, w.do("POST", "/api/oauth2/token", "Basic "+basic(clientID, secret), "application/x-www-form-urlencoded", f.Encode()), 200, 0)
}

func TestRevokeEndsTheAuthorization(t *testing.T) {
	w := newWorld(t)
	tok := w.accessToken(w.user.ID)
	f := url.Values{"token": {tok}, "client_id": {clientID}, "client_secret": {secret}}
	want(t, w.do("POST", "/api/oauth2/token/revoke", "", "application/x-www-form-urlencoded", f.Encode()), 200, 0)
	want(t, w.do("GET", "/api/v10/users/@me", "Bearer "+tok, "", ""), 401, 0)
	r := w.bot("PUT", w.g()+"/members/"+w.user.ID, `{"access_token":"`+tok+`"}`)
	want(t, r, 403, 50025)
}

func TestVersionsOtherThanV10AreRefused(t *testing.T) {
	w := newWorld(t)
	for path, status := range map[string]int{
		"/api/guilds/" + w.guild.ID:      404, // unversioned is v6 on Discord
		"/api/v9/guilds/" + w.guild.ID:   404,
		"/api/v5/guilds/" + w.guild.ID:   400, // discontinued
		"/api/v10/guilds/" + w.guild.ID:  200,
		"/api/v10/nowhere/" + w.guild.ID: 404,
	} {
		if r := w.do("GET", path, "Bot "+botToken, "", ""); r.status != status {
			t.Errorf("%s: %d, want %d", path, r.status, status)
		}
	}
}

func TestBotAuthIsRequired(t *testing.T) {
	w := newWorld(t)
	want(t, w.do("GET", "/api/v10"+w.g()+"/roles", "", "", ""), 401, 40001)
	want(t, w.do("GET", "/api/v10"+w.g()+"/roles", "Bot wrong", "", ""), 401, 40001)
	want(t, w.do("GET", "/api/v10"+w.g()+"/roles", "Bearer "+botToken, "", ""), 401, 40001)
	if w.s.InvalidRequests() != 3 {
		t.Fatalf("invalid requests %d", w.s.InvalidRequests())
	}
	w.now = w.now.Add(InvalidWindow)
	if w.s.InvalidRequests() != 0 {
		t.Fatalf("invalid requests after the window %d", w.s.InvalidRequests())
	}
}

func TestGuildAndRoles(t *testing.T) {
	w := newWorld(t)
	g := w.bot("GET", w.g(), "")
	want(t, g, 200, 0)
	if g.json(t)["name"] != "Alliance" || g.json(t)["owner_id"] != w.owner.ID {
		t.Fatalf("guild %s", g.body)
	}
	want(t, w.bot("GET", "/guilds/1", ""), 404, 10004)
	w.s.SetBotInGuild(w.guild.ID, false)
	want(t, w.bot("GET", w.g(), ""), 403, 50001)
	w.s.SetBotInGuild(w.guild.ID, true)

	created := w.bot("POST", w.g()+"/roles", `{"name":"Member"}`)
	want(t, created, 200, 0)
	id := created.json(t)["id"].(string)
	if h := created.header; h.Get("X-RateLimit-Limit") != "250" || h.Get("X-RateLimit-Reset-After") != "180000.000" {
		t.Fatalf("role create bucket %v", h)
	}
	if created.json(t)["position"] != float64(1) {
		t.Fatalf("new role not at the bottom: %s", created.body)
	}
	want(t, w.bot("POST", w.g()+"/roles", `{"name":"`+strings.Repeat("x", 101)+`"}`), 400, 50035)
	want(t, w.bot("POST", w.g()+"/roles", `{"name":`), 400, 50109)
	list := w.bot("GET", w.g()+"/roles", "")
	want(t, list, 200, 0)
	if !strings.Contains(string(list.body), `"Member"`) {
		t.Fatalf("list %s", list.body)
	}
	top, _ := w.s.AddRole(w.guild.ID, "Director", true)
	want(t, w.bot("DELETE", w.g()+"/roles/"+top.ID, ""), 403, 50013)
	want(t, w.bot("DELETE", w.g()+"/roles/"+w.guild.ID, ""), 400, 50028)
	want(t, w.bot("DELETE", w.g()+"/roles/"+id, ""), 204, 0)
	want(t, w.bot("DELETE", w.g()+"/roles/"+id, ""), 404, 10011)
	w.s.SetBotPermissions(w.guild.ID, PermKickMembers)
	want(t, w.bot("POST", w.g()+"/roles", `{"name":"X"}`), 403, 50013)
}

func TestRoleLimit(t *testing.T) {
	w := newWorld(t)
	for len(w.s.Roles(w.guild.ID))-1 < MaxRoles {
		w.role("r")
	}
	want(t, w.bot("POST", w.g()+"/roles", `{"name":"one too many"}`), 400, 30005)
}

func TestOutageAndForced429(t *testing.T) {
	w := newWorld(t)
	w.s.SetOutage(http.StatusBadGateway)
	if r := w.bot("GET", w.g(), ""); r.status != 502 {
		t.Fatalf("outage %d", r.status)
	}
	w.s.SetOutage(0)
	w.s.Force429(1, 1500*time.Millisecond)
	r := w.bot("GET", w.g(), "")
	if r.status != 429 || r.header.Get("X-RateLimit-Scope") != "shared" || r.json(t)["retry_after"] != 1.5 ||
		r.header.Get("Retry-After") != "2" {
		t.Fatalf("forced 429: %d %v %s", r.status, r.header, r.body)
	}
	if w.s.InvalidRequests() != 0 || w.s.Served429() != 1 {
		t.Fatalf("shared 429 counted as invalid: %d %d", w.s.InvalidRequests(), w.s.Served429())
	}
	want(t, w.bot("GET", w.g(), ""), 200, 0)
}

// The bot token reads the bot user (its id the application's), and GET
// member of that id gives the bot's roles, for a connector checking its
// place in the hierarchy; a wrong bot token is refused.
func TestBotUserAndMember(t *testing.T) {
	w := newWorld(t)
	me := w.do("GET", "/api/v10/users/@me", "Bot "+botToken, "", "")
	want(t, me, 200, 0)
	if me.json(t)["id"] != clientID || me.json(t)["bot"] != true || w.s.BotUser().ID != clientID {
		t.Fatalf("bot user %s", me.body)
	}
	want(t, w.do("GET", "/api/v10/users/@me", "Bot wrong", "", ""), 401, 40001)
	m := w.bot("GET", w.g()+"/members/"+clientID, "")
	want(t, m, 200, 0)
	roles := m.json(t)["roles"].([]any)
	bot := w.s.Roles(w.guild.ID)[1]
	if len(roles) != 1 || roles[0] != bot.ID || bot.Name != "Keepstar" || m.json(t)["user"].(map[string]any)["bot"] != true {
		t.Fatalf("bot member %s, roles %+v", m.body, w.s.Roles(w.guild.ID))
	}
	// The bot is not listed among the people.
	w.s.SetMembersIntent(true)
	if ids := members(t, w.bot("GET", w.g()+"/members?limit=1000", "")); len(ids) != 1 || ids[0] != w.owner.ID {
		t.Fatalf("listed %v", ids)
	}
	w.s.SetBotRole(w.guild.ID, "")
	if roles := w.bot("GET", w.g()+"/members/"+clientID, "").json(t)["roles"].([]any); len(roles) != 0 {
		t.Fatalf("bot roles %v", roles)
	}
	// An application id that is no snowflake gives the bot one.
	if id := New(Options{ClientID: "app"}).BotUser().ID; !isSnowflake(id) {
		t.Fatalf("bot id %q", id)
	}
}

// The bot's permissions show as its highest role's, or @everyone's when
// it has none.
func TestBotPermissionsShowOnItsRole(t *testing.T) {
	w := newWorld(t)
	perms := func() map[string]string {
		out := map[string]string{}
		var list []struct{ Name, Permissions string }
		if err := json.Unmarshal(w.bot("GET", w.g()+"/roles", "").body, &list); err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			out[r.Name] = r.Permissions
		}
		return out
	}
	if p := perms(); p["Keepstar"] != "402653187" || p["@everyone"] != "0" {
		t.Fatalf("permissions %v", p)
	}
	w.s.SetBotPermissions(w.guild.ID, PermKickMembers)
	if p := perms(); p["Keepstar"] != "2" {
		t.Fatalf("permissions %v", p)
	}
	w.s.SetBotRole(w.guild.ID, "")
	if p := perms(); p["@everyone"] != "2" {
		t.Fatalf("permissions %v", p)
	}
}

// A banned user cannot join again.
func TestBan(t *testing.T) {
	w := newWorld(t)
	tok := w.accessToken(w.user.ID)
	path := w.g() + "/members/" + w.user.ID
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`"}`), 201, 0)
	w.s.Ban(w.guild.ID, w.user.ID)
	if _, ok := w.s.Member(w.guild.ID, w.user.ID); ok {
		t.Fatal("a banned user is still a member")
	}
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`"}`), 403, 40007)
}
