package discordsim

import (
	"strings"
	"testing"
)

func TestGuildPageShowsRolesAndMembers(t *testing.T) {
	w := newWorld(t)
	friends := w.role("Friends")
	above, _ := w.s.AddRole(w.guild.ID, "Directors", true)
	evil := w.role(`<script>alert("x")</script>`)
	w.s.SetGlobalName(w.user.ID, "Pilot & Co")
	if err := w.s.AddMember(w.guild.ID, w.user.ID, friends.ID, evil.ID, above.ID); err != nil {
		t.Fatal(err)
	}
	nick := w.bot("PATCH", w.g()+"/members/"+w.user.ID, `{"nick":"<b>Nick</b>"}`)
	want(t, nick, 403, 50013) // the member holds a role above the bot's
	w.s.SetMembersIntent(true)

	index := w.do("GET", "/", "", "", "")
	if index.status != 200 || !strings.Contains(string(index.body), `<a href="/guilds/`+w.guild.ID+`">Alliance</a>`) ||
		!strings.Contains(string(index.body), `<html lang="en">`) {
		t.Fatalf("index %d %s", index.status, index.body)
	}
	page := w.do("GET", "/guilds/"+w.guild.ID, "", "", "")
	body := string(page.body)
	if page.status != 200 || page.header.Get("Content-Type") != "text/html; charset=utf-8" ||
		page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("page %d %v", page.status, page.header)
	}
	for _, s := range []string{
		`<meta http-equiv="refresh" content="5">`, "<title>Alliance · Discord (simulated)</title>",
		`<th scope="row">Keepstar <strong>(the bot's highest role)</strong></th>`,
		`<th scope="row">Directors</th>`, "no: above the bot&#39;s highest role", "no: the bot&#39;s own highest role",
		`<th scope="row">Friends</th>`, "<td>yes</td></tr>", "no: every member has @everyone",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "Pilot &amp; Co",
		`<th scope="row">owner (owner)</th>`, `<th scope="row">pilot</th>`,
		"Directors, Friends, &lt;script&gt;", "GUILD_MEMBERS intent (listing members): on",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Error("a role name was not escaped")
	}
	// A change shows on the next load.
	want(t, w.bot("POST", w.g()+"/roles", `{"name":"Fleet Commanders"}`), 200, 0)
	if again := w.do("GET", "/guilds/"+w.guild.ID, "", "", ""); !strings.Contains(string(again.body), "Fleet Commanders") {
		t.Error("a new role does not show on reload")
	}
	still := string(w.do("GET", "/guilds/"+w.guild.ID+"?refresh=off", "", "", "").body)
	if strings.Contains(still, `http-equiv="refresh"`) || !strings.Contains(still, `<a href="?">reload it every 5 seconds</a>`) ||
		!strings.Contains(body, `<a href="?refresh=off">stop reloading</a>`) {
		t.Error("the reload cannot be turned off and on")
	}
	if r := w.do("GET", "/guilds/42", "", "", ""); r.status != 404 {
		t.Errorf("unknown guild page: %d", r.status)
	}
}
