package teamspeak3

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

// keep is the Want.Keep of the tests: "Friends" is unmanaged.
func keep(g string) bool { return g == "Friends" }

// A member's way in: a key made, the link shown, the key redeemed by a
// TeamSpeak client, the client found by its custom field once, its groups
// applied; then changes are reconciled with the fewest commands.
func TestInviteRedeemApply(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	for _, g := range []string{"Member", "Capitals", "Fleet", "Friends"} {
		s.AddGroup(g, teamspeaksim.GroupRegular)
	}
	k := open(t, s, Options{}, nil)
	want := services.Want{Name: "[CORP] Pilot One", Groups: []string{"Capitals", "Member"}, Keep: keep}
	acct, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(acct.ExternalID, "ks") || acct.ExternalName != want.Name {
		t.Fatalf("account %+v", acct)
	}
	keys := s.Keys()
	key := keyOf(t, k, acct)
	if len(keys) != 1 || keys[0].Token != key || keys[0].ID1 != s.GroupID("Member") ||
		keys[0].CustomSet != "ident=keepstar_id value="+acct.ExternalID {
		t.Fatalf("keys %+v, link key %q", keys, key)
	}
	if strings.Contains(acct.State, key) {
		t.Fatal("the key is stored in clear")
	}
	link, err := url.Parse(k.JoinURL(acct))
	if err != nil {
		t.Fatal(err)
	}
	if link.Scheme != "ts3server" || link.Host != "ts.example.org" || link.Query().Get("port") != "9987" ||
		link.Query().Get("nickname") != want.Name {
		t.Fatalf("join link %s", link)
	}
	// Not redeemed: pending, no error, nothing changed.
	pending, err := k.Apply(ctx, acct, want)
	if err != nil || pending.State != acct.State {
		t.Fatalf("pending apply: %v, %+v", err, pending)
	}
	dbid, uid, err := s.Redeem(key, "Pilot One")
	if err != nil {
		t.Fatal(err)
	}
	acct, err = k.Apply(ctx, acct, want)
	if err != nil {
		t.Fatal(err)
	}
	st := stateOf(t, acct)
	if st.CLDBID != dbid || st.UID != uid || st.Key != "" || acct.ExternalName != "Pilot One" {
		t.Fatalf("found state %+v, name %q", st, acct.ExternalName)
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, []string{"Capitals", "Member"}) {
		t.Fatalf("groups %v", got)
	}
	if u := k.JoinURL(acct); strings.Contains(u, "token=") {
		t.Fatalf("redeemed account's link %s", u)
	}
	// A change: Capitals out, Fleet in; Friends given by hand is kept.
	if err := s.SetClientGroup(dbid, s.GroupID("Friends"), true); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	want.Groups = []string{"Fleet", "Member"}
	if acct, err = k.Apply(ctx, acct, want); err != nil {
		t.Fatal(err)
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, []string{"Fleet", "Friends", "Member"}) {
		t.Fatalf("groups after the change %v", got)
	}
	after := s.Stats()
	// One read, one add, one removal: no search, no list read again.
	if d := after.Total() - before.Total(); d != 3 || after.Commands["customsearch"] != before.Commands["customsearch"] {
		t.Fatalf("%d commands for the change: %v", d, after.Commands)
	}
}

// Names with spaces, "|", "/", "\" and non-Latin letters survive the
// escaping both ways, through the simulated server.
func TestEscapingRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	names := []string{"Member", "Fleet Commanders", "A|B", "Cap/Super", `Back\slash`, "Пилоты", "舰队", "tab\there", "x=y"}
	for _, g := range names {
		s.AddGroup(g, teamspeaksim.GroupRegular)
	}
	k := open(t, s, Options{}, nil)
	listed, err := k.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range names {
		if !slices.Contains(listed, g) {
			t.Errorf("%q not listed: %q", g, listed)
		}
	}
	nick := `[A|B] Пилот \/ 舰`
	acct, err := k.Invite(ctx, services.Want{Name: nick})
	if err != nil {
		t.Fatal(err)
	}
	dbid, _, err := s.Redeem(keyOf(t, k, acct), nick)
	if err != nil {
		t.Fatal(err)
	}
	want := services.Want{Name: nick, Groups: slices.Sorted(slices.Values(names))}
	if acct, err = k.Apply(ctx, acct, want); err != nil {
		t.Fatal(err)
	}
	if acct.ExternalName != nick {
		t.Fatalf("nickname %q", acct.ExternalName)
	}
	acct.Groups = want.Groups // as the framework records them
	if got := s.ClientGroups(dbid); !slices.Equal(got, want.Groups) {
		t.Fatalf("groups %q, want %q", got, want.Groups)
	}
	obs, err := k.Observe(ctx, []services.Account{acct})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(obs[0].Groups, want.Groups) {
		t.Fatalf("observed %q", obs[0].Groups)
	}
}

// The default group, template and query groups and the groups want keeps
// are never taken away; the default group is never given either; the
// member group is given and kept.
func TestReservedGroupsUntouched(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	s.AddGroup("Friends", teamspeaksim.GroupRegular)
	s.AddGroup("Old", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, nil)
	dbid, _ := s.AddClient("Somebody")
	for _, g := range []int{teamspeaksim.SGIDAdminQuery, s.GroupID("Friends"), s.GroupID("Old")} {
		if err := s.SetClientGroup(dbid, g, true); err != nil {
			t.Fatal(err)
		}
	}
	acct := services.Account{ExternalID: "ksx", State: state{CLDBID: dbid}.String()}
	if _, err := k.Apply(ctx, acct, services.Want{Groups: []string{"Guest"}, Keep: keep}); err != nil {
		t.Fatal(err)
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, []string{"Admin Server Query", "Friends", "Member"}) {
		t.Fatalf("groups %v", got)
	}
	st := s.Stats()
	if st.Commands["servergroupdelclient"] != 1 || st.Commands["servergroupaddclient"] != 1 {
		t.Fatalf("commands %v", st.Commands)
	}
	// A client in no group shows the default one, which stays untouched.
	other, _ := s.AddClient("Other")
	if got := s.ClientGroups(other); !slices.Equal(got, []string{"Guest"}) {
		t.Fatalf("a new client's groups %v", got)
	}
	acct.State = state{CLDBID: other}.String()
	if _, err := k.Apply(ctx, acct, services.Want{Groups: []string{"Guest"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.ClientGroups(other); !slices.Equal(got, []string{"Member"}) {
		t.Fatalf("groups %v", got)
	}
	for c := range s.Stats().Removes {
		if strings.HasPrefix(c, fmt.Sprint(teamspeaksim.SGIDGuest, "/")) {
			t.Fatalf("the default group was removed: %s", c)
		}
	}
	if st := s.Stats(); st.Commands["servergroupdelclient"] != 1 {
		t.Fatalf("commands %v", st.Commands)
	}
}

// Loss of access: the online client is kicked and its record deleted; a
// pending key is deleted.
func TestRemove(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, nil)
	want := services.Want{Name: "Pilot", Groups: []string{"Member"}}
	acct, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	dbid, _, err := s.Redeem(keyOf(t, k, acct), "Pilot")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Connect(dbid); err != nil { // a second connection of the same identity
		t.Fatal(err)
	}
	if acct, err = k.Apply(ctx, acct, want); err != nil {
		t.Fatal(err)
	}
	if err := k.Remove(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if s.Online(dbid) {
		t.Fatal("still online")
	}
	if _, ok := s.ClientByDBID(dbid); ok {
		t.Fatal("the client record is still there")
	}
	if err := k.Remove(ctx, acct); err != nil {
		t.Fatalf("removing again: %v", err)
	}
	// Applying to the deleted record: gone.
	if _, err := k.Apply(ctx, acct, want); !errors.Is(err, services.ErrGone) {
		t.Fatalf("apply after removal: %v", err)
	}
	pending, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Remove(ctx, pending); err != nil {
		t.Fatal(err)
	}
	if keys := s.Keys(); len(keys) != 0 {
		t.Fatalf("keys left %v", keys)
	}
	// A stored key that no longer opens (another secret key) is found
	// on the server by its handle and deleted all the same.
	other, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Invite(ctx, want); err != nil { // a key that must stay
		t.Fatal(err)
	}
	st := stateOf(t, other)
	st.Key = k.box.Seal("not the key", "elsewhere")
	other.State = st.String()
	if err := k.Remove(ctx, other); err != nil {
		t.Fatal(err)
	}
	if keys := s.Keys(); len(keys) != 1 || strings.Contains(keys[0].CustomSet, other.ExternalID) {
		t.Fatalf("keys left %+v", keys)
	}
}

// Verification: a pending key past its lifetime is replaced; a redeemed
// one shows its groups (and its ids in State); a deleted client is gone.
func TestObserve(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	s := startSim(t, teamspeaksim.Options{Now: clk.Now})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{Now: clk.Now, Sleep: clk.Sleep}, nil)
	want := services.Want{Name: "Pilot", Groups: []string{"Member"}}
	a, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	a.Name, a.Groups, b.Name, b.Groups = want.Name, want.Groups, want.Name, want.Groups
	oldKey := keyOf(t, k, a)
	clk.Advance(8 * 24 * time.Hour)
	dbid, _, err := s.Redeem(keyOf(t, k, b), "Pilot B")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := k.Observe(ctx, []services.Account{a, b})
	if err != nil {
		t.Fatal(err)
	}
	a.State = obs[0].State
	newKey := keyOf(t, k, a)
	if obs[0].Gone || newKey == "" || newKey == oldKey || !slices.Equal(obs[0].Groups, want.Groups) {
		t.Fatalf("old key: %+v", obs[0])
	}
	if keys := s.Keys(); len(keys) != 1 || keys[0].Token != newKey {
		t.Fatalf("keys %+v", keys)
	}
	if st := stateOf(t, services.Account{State: obs[1].State}); st.CLDBID != dbid || !slices.Equal(obs[1].Groups, []string{"Member"}) {
		t.Fatalf("redeemed: %+v", obs[1])
	}
	b.State = obs[1].State
	s.DeleteClient(dbid)
	obs, err = k.Observe(ctx, []services.Account{b})
	if err != nil {
		t.Fatal(err)
	}
	if !obs[0].Gone {
		t.Fatalf("deleted client: %+v", obs[0])
	}
}

// The connection dropped in the middle of a resync, after the server
// carried out a command but before it answered: the session connects
// again, the command is sent again and taken as done (2561), and no
// change is applied twice.
func TestDropMidResync(t *testing.T) {
	for _, allowlisted := range []bool{true, false} {
		t.Run(fmt.Sprint("allowlisted=", allowlisted), func(t *testing.T) { dropMidResync(t, allowlisted) })
	}
}

func dropMidResync(t *testing.T, allowlisted bool) {
	ctx := context.Background()
	o := teamspeaksim.Options{}
	if allowlisted {
		o.Allowlist = []string{"127.0.0.1"}
	}
	s := startSim(t, o)
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, func(m map[string]string) {
		if allowlisted {
			m[SettingAllowlisted] = "true"
		}
	})
	var accts []services.Account
	for i := range 40 {
		dbid, _ := s.AddClient(fmt.Sprintf("pilot %d", i))
		accts = append(accts, services.Account{ExternalID: fmt.Sprint("ks", i), State: state{CLDBID: dbid}.String()})
	}
	want := services.Want{Groups: []string{"Member"}}
	for i, a := range accts {
		if i == 20 {
			// The next command is the 21st member's read; the one after,
			// its add, is carried out and the connection cut.
			s.DropAfter(2)
		}
		if _, err := k.Apply(ctx, a, want); err != nil {
			t.Fatalf("member %d: %v", i, err)
		}
	}
	st := s.Stats()
	if len(st.Adds) != 40 || k.Session().Dials() != 2 {
		t.Fatalf("%d members added, %d dials", len(st.Adds), k.Session().Dials())
	}
	for c, n := range st.Adds {
		if n != 1 {
			t.Fatalf("%s added %d times", c, n)
		}
	}
	if st.Commands["servergroupaddclient"] != 41 || st.Floods != 0 || st.Bans != 0 {
		t.Fatalf("%d adds sent, %d floods, %d bans", st.Commands["servergroupaddclient"], st.Floods, st.Bans)
	}
}

// The default group changed on the server after the list was read: the
// removal the stale list allowed is refused (2564), not retried, and the
// sync goes on.
func TestDefaultGroupChangedNotRetried(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	lobby := s.AddGroup("Lobby", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, nil)
	if _, err := k.Groups(ctx); err != nil { // the list read, Guest the default
		t.Fatal(err)
	}
	dbid, _ := s.AddClient("Somebody")
	if err := s.SetClientGroup(dbid, lobby, true); err != nil {
		t.Fatal(err)
	}
	s.SetDefaultGroup(lobby)
	acct := services.Account{State: state{CLDBID: dbid}.String()}
	for range 2 {
		if _, err := k.Apply(ctx, acct, services.Want{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, []string{"Lobby", "Member"}) {
		t.Fatalf("groups %v", got)
	}
	// One refusal; the list read again knows the new default.
	if st := s.Stats(); st.Commands["servergroupdelclient"] != 1 || st.Commands["servergrouplist"] != 2 {
		t.Fatalf("%d removals sent, the list read %d times", st.Commands["servergroupdelclient"], st.Commands["servergrouplist"])
	}
}

// fakeCounter counts accounts for Check's advice.
type fakeCounter int

func (f fakeCounter) count(context.Context, int64) (int, error) { return int(f), nil }

// Many accounts and no allowlist: the check advises it; allowlisted or
// few, it does not.
func TestCheckAdvisesAllowlist(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{Allowlist: []string{"127.0.0.1"}})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, nil)
	k.db = fakeCounter(5000)
	ps, err := k.Check(ctx, nil)
	if err != nil || len(ps) != 1 || ps[0].Message != "services.teamspeak3.problem.allowlist" || ps[0].Args["Minutes"] != 50 {
		t.Fatalf("5,000 accounts: %v %+v", err, ps)
	}
	k.db = fakeCounter(500)
	if ps, err := k.Check(ctx, nil); err != nil || len(ps) != 0 {
		t.Fatalf("500 accounts: %v %+v", err, ps)
	}
	k = open(t, s, Options{}, func(m map[string]string) { m[SettingAllowlisted] = "true" })
	k.db = fakeCounter(5000)
	if ps, err := k.Check(ctx, nil); err != nil || len(ps) != 0 {
		t.Fatalf("allowlisted: %v %+v", err, ps)
	}
}

// Setup checks: a wrong login, a missing member group, the host key.
func TestCheck(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, func(m map[string]string) { m[SettingQueryPassword] = "wrong" })
	ps, err := k.Check(ctx, nil)
	if err != nil || len(ps) != 1 || ps[0].Message != "services.teamspeak3.problem.login" {
		t.Fatalf("wrong login: %v %+v", err, ps)
	}
	k = open(t, s, Options{}, func(m map[string]string) { m[SettingMemberGroup] = "Members" })
	ps, err = k.Check(ctx, []string{"Member", "Capitals"})
	if err != nil || len(ps) != 2 || ps[0].Message != "services.teamspeak3.problem.member_group" ||
		ps[1].Args["Group"] != "Capitals" {
		t.Fatalf("missing groups: %v %+v", err, ps)
	}
	// Over SSH without a pinned key: the key seen is shown to pin. (The
	// connectors above have their own limiters but the server counts
	// the address's commands: a window passes first.)
	s.clk.Advance(FloodWindow)
	host, port := splitAddr(t, s.ssh)
	k = open(t, s, Options{}, func(m map[string]string) {
		m[SettingTransport], m[SettingHost], m[SettingQueryPort] = TransportSSH, host, port
	})
	ps, err = k.Check(ctx, nil)
	if err != nil || len(ps) != 1 || ps[0].Message != "services.teamspeak3.problem.host_key_unpinned" ||
		ps[0].Args["Fingerprint"] == "" {
		t.Fatalf("unpinned: %v %+v", err, ps)
	}
}

// The connector over SSH with the host key pinned does the whole flow.
func TestSSHTransport(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	host, port := splitAddr(t, s.ssh)
	k := open(t, s, Options{}, func(m map[string]string) {
		m[SettingTransport], m[SettingHost], m[SettingQueryPort] = TransportSSH, host, port
		m[SettingHostKey] = fingerprint(s)
	})
	ps, err := k.Check(ctx, []string{"Member"})
	if err != nil || len(ps) != 0 {
		t.Fatalf("check: %v %+v", err, ps)
	}
	want := services.Want{Name: "Pilot", Groups: []string{"Member"}}
	acct, err := k.Invite(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	dbid, _, err := s.Redeem(keyOf(t, k, acct), "Pilot")
	if err != nil {
		t.Fatal(err)
	}
	if acct, err = k.Apply(ctx, acct, want); err != nil || stateOf(t, acct).CLDBID != dbid {
		t.Fatalf("apply over SSH: %v %+v", err, acct)
	}
	if st := s.Stats(); st.Commands["login"] != 0 {
		t.Fatal("logged in with a command over SSH")
	}
}

// A missing group is an error naming it; the others are applied.
func TestMissingGroup(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	k := open(t, s, Options{}, nil)
	dbid, _ := s.AddClient("Somebody")
	acct := services.Account{ExternalID: "ksx", State: state{CLDBID: dbid}.String()}
	_, err := k.Apply(ctx, acct, services.Want{Groups: []string{"Member", "Nope"}})
	if !errors.Is(err, errGroupMissing) || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("missing group: %v", err)
	}
	if got := s.ClientGroups(dbid); !slices.Equal(got, []string{"Member"}) {
		t.Fatalf("groups %v", got)
	}
	// A group deleted and made again under the same name (a new sgid) is
	// found by reading the list again after 2560.
	if _, err := k.Groups(ctx); err != nil {
		t.Fatal(err)
	}
	s.AddGroup("Fleet", teamspeaksim.GroupRegular)
	if _, err := k.Apply(ctx, acct, services.Want{Groups: []string{"Fleet", "Member"}}); err != nil {
		t.Fatal(err)
	}
	s.DeleteGroup(s.GroupID("Fleet"))
	s.AddGroup("Fleet", teamspeaksim.GroupRegular)
	if err := s.SetClientGroup(dbid, s.GroupID("Member"), false); err != nil {
		t.Fatal(err)
	}
	d2, _ := s.AddClient("Other")
	other := services.Account{ExternalID: "ksy", State: state{CLDBID: d2}.String()}
	if _, err := k.Apply(ctx, other, services.Want{Groups: []string{"Fleet"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.ClientGroups(d2); !slices.Equal(got, []string{"Fleet", "Member"}) {
		t.Fatalf("groups %v", got)
	}
}

// Without permission the error says which (2568), and is not "gone".
func TestPermissionRefused(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	s.AddGroup("Member", teamspeaksim.GroupRegular)
	s.Deny("servergroupaddclient", true)
	k := open(t, s, Options{}, nil)
	dbid, _ := s.AddClient("Somebody")
	_, err := k.Apply(ctx, services.Account{State: state{CLDBID: dbid}.String()}, services.Want{Groups: []string{"Member"}})
	if !errors.Is(err, ErrPermissions) || errors.Is(err, services.ErrGone) || !strings.Contains(err.Error(), "i_group_member_add_power") {
		t.Fatalf("refused: %v", err)
	}
}
