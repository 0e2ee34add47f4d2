package discordsim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPutMemberAddsThenAnswers204(t *testing.T) {
	w := newWorld(t)
	member := w.role("Member")
	tok := w.accessToken(w.user.ID)
	path := w.g() + "/members/" + w.user.ID
	r := w.bot("PUT", path, `{"access_token":"`+tok+`","roles":["`+member.ID+`"],"nick":"Pilot One"}`)
	want(t, r, 201, 0)
	if r.json(t)["nick"] != "Pilot One" {
		t.Fatalf("member %s", r.body)
	}
	// Already a member: 204, and the body's roles and nick are ignored.
	again := w.bot("PUT", path, `{"access_token":"`+tok+`","roles":[],"nick":"Other"}`)
	if again.status != 204 || len(again.body) != 0 {
		t.Fatalf("again %d %s", again.status, again.body)
	}
	m, ok := w.s.Member(w.guild.ID, w.user.ID)
	if !ok || m.Nick != "Pilot One" || len(m.Roles) != 1 || m.Roles[0] != member.ID {
		t.Fatalf("member %+v", m)
	}
}

func TestPutMemberErrors(t *testing.T) {
	w := newWorld(t)
	tok := w.accessToken(w.user.ID)
	path := w.g() + "/members/" + w.user.ID
	want(t, w.bot("PUT", path, `{"access_token":"wrong"}`), 403, 50025)
	want(t, w.bot("PUT", path, `{}`), 400, 50035)
	other := w.s.AddUser("other")
	want(t, w.bot("PUT", w.g()+"/members/"+other.ID, `{"access_token":"`+tok+`"}`), 403, 50025)
	want(t, w.bot("PUT", w.g()+"/members/42", `{"access_token":"`+tok+`"}`), 404, 10013)
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`","nick":"`+strings.Repeat("é", 33)+`"}`), 400, 50035)
	top, _ := w.s.AddRole(w.guild.ID, "Director", true)
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`","roles":["`+top.ID+`"]}`), 403, 50013)
	w.s.SetOtherGuilds(w.user.ID, MaxGuildsPerUser)
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`"}`), 400, 30001)
	w.s.SetOtherGuilds(w.user.ID, 0)
	w.now = w.now.Add(TokenLifetime)
	want(t, w.bot("PUT", path, `{"access_token":"`+tok+`"}`), 403, 50025)
}

func TestPatchMemberRolesAndNick(t *testing.T) {
	w := newWorld(t)
	a, b := w.role("A"), w.role("B")
	if err := w.s.AddMember(w.guild.ID, w.user.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	path := w.g() + "/members/" + w.user.ID
	r := w.bot("PATCH", path, `{"roles":["`+b.ID+`"],"nick":"Nick"}`)
	want(t, r, 200, 0)
	if roles := r.json(t)["roles"].([]any); len(roles) != 1 || roles[0] != b.ID {
		t.Fatalf("roles %s", r.body)
	}
	// nick null clears it; roles absent leave them.
	r = w.bot("PATCH", path, `{"nick":null}`)
	want(t, r, 200, 0)
	if m, _ := w.s.Member(w.guild.ID, w.user.ID); m.Nick != "" || len(m.Roles) != 1 {
		t.Fatalf("member %+v", m)
	}
	want(t, w.bot("PATCH", path, `{"nick":"`+strings.Repeat("x", 33)+`"}`), 400, 50035)
	want(t, w.bot("PATCH", path, `{"nick":"`+strings.Repeat("語", 32)+`"}`), 200, 0)
	want(t, w.bot("PATCH", path, `{"roles":["123"]}`), 400, 50028)
	want(t, w.bot("PATCH", path, `{"roles":"x"}`), 400, 50035)
	want(t, w.bot("PATCH", path, `{"roles":[`), 400, 50109)
	want(t, w.bot("PATCH", w.g()+"/members/42", `{}`), 404, 10007)
	w.s.SetBotPermissions(w.guild.ID, PermKickMembers)
	want(t, w.bot("PATCH", path, `{"roles":[]}`), 403, 50013)
	want(t, w.bot("PATCH", path, `{"nick":"x"}`), 403, 50013)
}

func TestHierarchy(t *testing.T) {
	w := newWorld(t)
	low := w.role("Low")
	high, _ := w.s.AddRole(w.guild.ID, "High", true)
	boss := w.s.AddUser("boss")
	_ = w.s.AddMember(w.guild.ID, boss.ID, high.ID)
	_ = w.s.AddMember(w.guild.ID, w.user.ID)
	g := w.g()
	want(t, w.bot("PUT", g+"/members/"+w.user.ID+"/roles/"+high.ID, ""), 403, 50013)
	want(t, w.bot("PUT", g+"/members/"+w.user.ID+"/roles/"+low.ID, ""), 204, 0)
	want(t, w.bot("PUT", g+"/members/"+w.user.ID+"/roles/999", ""), 404, 10011)
	want(t, w.bot("DELETE", g+"/members/"+w.user.ID+"/roles/"+low.ID, ""), 204, 0)
	want(t, w.bot("PUT", g+"/members/42/roles/"+low.ID, ""), 404, 10007)
	// A member above the bot keeps their nick and can't be kicked.
	want(t, w.bot("PATCH", g+"/members/"+boss.ID, `{"nick":"b"}`), 403, 50013)
	want(t, w.bot("DELETE", g+"/members/"+boss.ID, ""), 403, 50013)
	// The owner's nick can never be changed by a bot, nor the owner kicked.
	want(t, w.bot("PATCH", g+"/members/"+w.owner.ID, `{"nick":"o"}`), 403, 50013)
	want(t, w.bot("DELETE", g+"/members/"+w.owner.ID, ""), 403, 50013)
	// With the bot's role moved to the top it may manage High.
	w.s.SetBotRole(w.guild.ID, "")
	want(t, w.bot("PUT", g+"/members/"+w.user.ID+"/roles/"+low.ID, ""), 403, 50013)
	want(t, w.bot("DELETE", g+"/members/"+w.user.ID, ""), 403, 50013)
	top, _ := w.s.AddRole(w.guild.ID, "Bot", true)
	w.s.SetBotRole(w.guild.ID, top.ID)
	want(t, w.bot("PUT", g+"/members/"+w.user.ID+"/roles/"+high.ID, ""), 204, 0)
	want(t, w.bot("DELETE", g+"/members/"+boss.ID, ""), 204, 0)
	want(t, w.bot("DELETE", g+"/members/"+boss.ID, ""), 404, 10007)
	want(t, w.bot("GET", g+"/members/"+boss.ID, ""), 404, 10007)
	got := w.bot("GET", g+"/members/"+w.user.ID, "")
	want(t, got, 200, 0)
	if got.json(t)["user"].(map[string]any)["id"] != w.user.ID {
		t.Fatalf("member %s", got.body)
	}
}

func TestBucketsPerRouteAndGuild(t *testing.T) {
	w := newWorld(t)
	_ = w.s.AddMember(w.guild.ID, w.user.ID)
	other := w.s.AddGuild("Other", w.owner.ID)
	_ = w.s.AddMember(other.ID, w.user.ID)
	get := w.g() + "/members/" + w.user.ID
	for i := 0; i < 5; i++ {
		r := w.bot("GET", get, "")
		want(t, r, 200, 0)
		if r.header.Get("X-RateLimit-Limit") != "5" || r.header.Get("X-RateLimit-Remaining") != fmt.Sprint(4-i) ||
			r.header.Get("X-RateLimit-Bucket") == "" || r.header.Get("X-RateLimit-Reset-After") != "1.000" {
			t.Fatalf("headers %v", r.header)
		}
	}
	r := w.bot("GET", get, "")
	if r.status != 429 || r.header.Get("X-RateLimit-Scope") != "user" || r.header.Get("X-RateLimit-Global") != "" ||
		r.json(t)["global"] != false || r.json(t)["retry_after"] != 1.0 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("429 %d %v %s", r.status, r.header, r.body)
	}
	// Another guild has its own counter; time refills the first.
	want(t, w.bot("GET", "/guilds/"+other.ID+"/members/"+w.user.ID, ""), 200, 0)
	w.now = w.now.Add(400 * time.Millisecond)
	if r := w.bot("GET", get, ""); r.json(t)["retry_after"] != 0.6 {
		t.Fatalf("retry_after %s", r.body)
	}
	w.now = w.now.Add(600 * time.Millisecond)
	want(t, w.bot("GET", get, ""), 200, 0)
	if w.s.Served429() != 2 || w.s.InvalidRequests() != 2 || w.s.Requests("member get") != 9 {
		t.Fatalf("counters %d %d %d", w.s.Served429(), w.s.InvalidRequests(), w.s.Requests("member get"))
	}
}

func TestRoleAddAndRemoveShareABucket(t *testing.T) {
	w := newWorld(t)
	r := w.role("R")
	_ = w.s.AddMember(w.guild.ID, w.user.ID)
	path := w.g() + "/members/" + w.user.ID + "/roles/" + r.ID
	var add, remove string
	for i := 0; i < 5; i++ {
		add = w.bot("PUT", path, "").header.Get("X-RateLimit-Bucket")
		remove = w.bot("DELETE", path, "").header.Get("X-RateLimit-Bucket")
	}
	if add != remove {
		t.Fatalf("buckets %q %q", add, remove)
	}
	if got := w.bot("PUT", path, ""); got.status != 429 {
		t.Fatalf("11th role change: %d", got.status)
	}
	// PATCH member has its own bucket.
	want(t, w.bot("PATCH", w.g()+"/members/"+w.user.ID, `{}`), 200, 0)
	w.now = w.now.Add(10 * time.Second)
	want(t, w.bot("PUT", path, ""), 204, 0)
}

func TestGlobalGate(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < GlobalLimit; i++ {
		want(t, w.bot("GET", w.g()+"/roles", ""), 200, 0)
	}
	r := w.bot("GET", w.g(), "")
	if r.status != 429 || r.header.Get("X-RateLimit-Global") != "true" || r.header.Get("X-RateLimit-Scope") != "global" ||
		r.json(t)["global"] != true {
		t.Fatalf("global %d %v %s", r.status, r.header, r.body)
	}
	// User-token calls are not the bot's.
	tok := w.accessToken(w.user.ID)
	want(t, w.do("GET", "/api/v10/users/@me", "Bearer "+tok, "", ""), 200, 0)
	w.now = w.now.Add(time.Second)
	want(t, w.bot("GET", w.g(), ""), 200, 0)
}

func FuzzDecodeMemberBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"nick":null}`, `{"nick":"abc","roles":["1","2"]}`, `{"roles":null}`,
		`{"roles":[1]}`, `{"nick":5}`, `[`, `null`, `{"access_token":"x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, e := decodeMemberBody(data)
		if e != nil {
			if e.status != 400 || (e.code != 50035 && e.code != 50109) {
				t.Fatalf("error %+v", e)
			}
			return
		}
		if len([]rune(b.Nick)) > MaxNick || (!b.NickSet && b.Nick != "") {
			t.Fatalf("nick %q", b.Nick)
		}
	})
}

// The busiest second counts the bot's requests in any one second, however
// they straddle the global gate's own windows; users' calls are not the
// bot's.
func TestBusiestSecond(t *testing.T) {
	w := newWorld(t)
	for i := 0; i < 30; i++ {
		want(t, w.bot("GET", w.g()+"/roles", ""), 200, 0)
	}
	w.now = w.now.Add(900 * time.Millisecond)
	limited := 0
	for i := 0; i < 30; i++ {
		if w.bot("GET", w.g()+"/roles", "").status == 429 {
			limited++
		}
	}
	if limited != 10 {
		t.Fatalf("%d requests over the gate's limit, want 10", limited)
	}
	tok := w.accessToken(w.user.ID)
	want(t, w.do("GET", "/api/v10/users/@me", "Bearer "+tok, "", ""), 200, 0)
	// The gate's window began at the first request: 50 went through in
	// it, the 51st met a 429; any second sliding over both bursts saw 60.
	if n := w.s.BusiestSecond(); n != 60 {
		t.Fatalf("busiest second %d, want 60", n)
	}
	w.now = w.now.Add(2 * time.Second)
	want(t, w.bot("GET", w.g(), ""), 200, 0)
	if n := w.s.BusiestSecond(); n != 60 {
		t.Fatalf("busiest second %d after a quiet one, want 60 still", n)
	}
}

// A role deleted in Discord's app leaves every member who had it; one
// given by hand is given whatever the bot's place.
func TestRolesChangedByHand(t *testing.T) {
	w := newWorld(t)
	low, high := w.role("Low"), w.role("High")
	top, _ := w.s.AddRole(w.guild.ID, "Director", true)
	if err := w.s.AddMember(w.guild.ID, w.user.ID, low.ID); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Role{high, top, high} {
		if err := w.s.AddMemberRole(w.guild.ID, w.user.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := w.s.Member(w.guild.ID, w.user.ID); len(m.Roles) != 3 {
		t.Fatalf("roles given by hand: %v", m.Roles)
	}
	if err := w.s.AddMemberRole(w.guild.ID, w.user.ID, "404"); err == nil {
		t.Fatal("an unknown role was given")
	}
	if err := w.s.DeleteRole(w.guild.ID, low.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := w.s.Member(w.guild.ID, w.user.ID); len(m.Roles) != 2 || slices.Contains(m.Roles, low.ID) {
		t.Fatalf("after deleting Low: %v", m.Roles)
	}
	want(t, w.bot("DELETE", w.g()+"/roles/"+low.ID, ""), 404, 10011)
	for _, r := range w.s.Roles(w.guild.ID) {
		if r.ID == high.ID && r.Position != 1 {
			t.Fatalf("High at %d after the role below it went, want 1", r.Position)
		}
	}
	if err := w.s.DeleteRole(w.guild.ID, w.guild.ID); err == nil {
		t.Fatal("@everyone was deleted")
	}
}
