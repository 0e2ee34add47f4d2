package discord

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
)

// accounts makes n members, the first with a nick and roles Member and the
// bot's managed role, and gives their accounts; one more account whose
// user left comes last.
func (w *cworld) accounts(n int) ([]services.Account, discordsim.Role) {
	w.t.Helper()
	member := w.role("Member")
	managed := w.sim.Roles(w.guild.ID)[len(w.sim.Roles(w.guild.ID))-1]
	top, _ := w.sim.AddRole(w.guild.ID, "Bot", true)
	w.sim.SetBotRole(w.guild.ID, top.ID)
	var out []services.Account
	for i := 0; i < n; i++ {
		u := w.sim.AddUser(fmt.Sprintf("user%02d", i))
		if i == 0 {
			out = append(out, w.member(u, "kept", member, managed))
			nick := "Nick"
			if _, err := w.c.UpdateMember(context.Background(), w.guild.ID, u.ID, nil, &nick); err != nil {
				w.t.Fatal(err)
			}
			continue
		}
		out = append(out, w.member(u, ""))
	}
	left := w.sim.AddUser("left")
	return append(out, services.Account{ExternalID: left.ID, Name: "gone"}), member
}

func (w *cworld) checkObserved(obs []services.Observation, accts []services.Account, member discordsim.Role) {
	w.t.Helper()
	if len(obs) != len(accts) {
		w.t.Fatalf("%d observations of %d accounts", len(obs), len(accts))
	}
	first := obs[0]
	m, _ := w.sim.Member(w.guild.ID, accts[0].ExternalID)
	if first.Gone || first.Name != "Nick" || !slices.Equal(first.Groups, []string{"Member"}) || first.State != formatState(m.Roles) ||
		!strings.Contains(first.State, member.ID) {
		w.t.Fatalf("first %+v", first)
	}
	for _, o := range obs[1 : len(obs)-1] {
		if o.Gone || o.Name != "" || len(o.Groups) != 0 || o.State != "[]" {
			w.t.Fatalf("observed %+v", o)
		}
	}
	if !obs[len(obs)-1].Gone {
		w.t.Fatalf("the user who left: %+v", obs[len(obs)-1])
	}
}

// A few accounts are read one at a time.
func TestObserveReadsMembers(t *testing.T) {
	w := newConn(t, nil)
	accts, member := w.accounts(3)
	w.prime()
	n := w.hitCount()
	obs, err := w.k.Observe(context.Background(), accts)
	if err != nil {
		t.Fatal(err)
	}
	w.checkObserved(obs, accts, member)
	if got := w.hitCount() - n; got != len(accts) || w.sim.Requests("members list") != 0 {
		t.Fatalf("%d requests", got)
	}
}

// Many accounts are found in the member list, a thousand a request; a
// guild whose application lacks the intent is read one at a time instead,
// and not listed again for a while.
func TestObserveListsMembers(t *testing.T) {
	w := newConn(t, nil)
	accts, member := w.accounts(bulkFrom + 5)
	ctx := context.Background()
	w.sim.SetMembersIntent(true)
	w.prime()
	obs, err := w.k.Observe(ctx, accts)
	if err != nil {
		t.Fatal(err)
	}
	w.checkObserved(obs, accts, member)
	if w.sim.Requests("members list") != 1 || w.sim.Requests("member get") != 0 {
		t.Fatalf("%d lists, %d gets", w.sim.Requests("members list"), w.sim.Requests("member get"))
	}
	w.sim.SetMembersIntent(false)
	for round := 0; round < 2; round++ {
		obs, err = w.k.Observe(ctx, accts)
		if err != nil {
			t.Fatal(err)
		}
		w.checkObserved(obs, accts, member)
	}
	if w.sim.Requests("members list") != 2 || w.sim.Requests("member get") != 2*len(accts) {
		t.Fatalf("%d lists, %d gets", w.sim.Requests("members list"), w.sim.Requests("member get"))
	}
}

// With nicknames left alone, the nickname never reads as drift.
func TestObserveKeptNicknames(t *testing.T) {
	w := newConn(t, map[string]string{SettingKeepNicknames: "true"})
	accts, _ := w.accounts(1)
	obs, err := w.k.Observe(context.Background(), accts)
	if err != nil || obs[0].Name != "kept" {
		t.Fatalf("observed %+v, %v", obs, err)
	}
}

// Groups lists the roles Keepstar could manage, highest first, each name
// once; the admin link invites the bot with the least permissions.
func TestGroupsAndAdminLinks(t *testing.T) {
	w := newConn(t, nil)
	w.role("Member")
	w.role("Alpha")
	w.role("Member")
	w.sim.AddRole(w.guild.ID, "Director", true)
	groups, err := w.k.Groups(context.Background())
	if err != nil || !slices.Equal(groups, []string{"Director", "Member", "Alpha"}) {
		t.Fatalf("groups %v, %v", groups, err)
	}
	links := w.k.AdminLinks()
	if len(links) != 1 || links[0].Label != "services.discord.admin.add_bot" {
		t.Fatalf("links %+v", links)
	}
	u, err := url.Parse(links[0].URL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != w.srv.URL+"/oauth2/authorize" {
		t.Fatalf("link %q", links[0].URL)
	}
	want := url.Values{"client_id": {clientID}, "scope": {"bot"}, "permissions": {"402653187"}, "guild_id": {w.guild.ID},
		"disable_guild_select": {"true"}}
	if u.RawQuery != want.Encode() || PermConnector != discordsim.PermConnector {
		t.Fatalf("query %s", u.RawQuery)
	}
}
