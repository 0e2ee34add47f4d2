package discord_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// A member links Discord on the Services page: Keepstar sends them to
// Discord's consent page, they choose their account there, and come back
// linked: in the guild with the roles of their groups and the nickname of
// the name format, and the Services page says as whom. Discord's answer
// is taken only in the browser that started the link, with its state:
// without it the callback refuses and nothing is linked.
func TestMemberLinksDiscordOnTheServicesPage(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		if p := m.b.Get(t, "/services"); !strings.Contains(p.Body, `data-service="discord" data-linked="false"`) {
			t.Fatalf("the Services page does not offer Discord:\n%s", p.Body)
		}

		// A forged state, none, and the right one in another member's
		// browser: refused, each time before any code is exchanged.
		form, _ := w.authorizePage(t, m, "discord")
		form.Set("state", "forged")
		if p := w.consent(t, m, form); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "does not belong to a link you started") {
			t.Errorf("a forged state: %d at %s", p.Status, p.URL)
		}
		form, _ = w.authorizePage(t, m, "discord")
		form.Del("state")
		if p := w.consent(t, m, form); p.Status != http.StatusBadRequest {
			t.Errorf("no state: %d at %s", p.Status, p.URL)
		}
		form, _ = w.authorizePage(t, m, "discord")
		other := w.member(t)
		form.Set("user_id", m.discord.ID)
		if p := other.b.Post(t, w.api.URL+"/oauth2/authorize", form); p.Status != http.StatusBadRequest {
			t.Errorf("the answer in another member's browser: %d at %s", p.Status, p.URL)
		}
		for _, r := range w.traffic.since(0) {
			if strings.Contains(r.route, "oauth2/token") || strings.Contains(r.route, "/members/") {
				t.Errorf("a refused answer reached Discord: %s", r.route)
			}
		}
		if _, ok := w.account(t, w.inst, m); ok {
			t.Fatal("a refused answer linked the member")
		}
		if in, _, _ := w.on(w.guild.ID, m.discord.ID); in {
			t.Fatal("a refused answer joined the member to the guild")
		}

		w.link(t, m, "discord")
		w.settle(t)
		in, nick, roles := w.on(w.guild.ID, m.discord.ID)
		if !in || nick != w.nick(t, m, m.corp) || !slices.Equal(roles, []string{"Fleet"}) {
			t.Errorf("on Discord: in %t, nick %q, roles %q; want nick %q and [Fleet]", in, nick, roles, w.nick(t, m, m.corp))
		}
		p := m.b.Get(t, "/services")
		if !strings.Contains(p.Body, `data-linked="true"`) || !strings.Contains(p.Body, m.discord.Username) ||
			!strings.Contains(p.Body, "Linked as") {
			t.Errorf("the Services page does not say the member is linked:\n%s", p.Body)
		}
		acct, _ := w.account(t, w.inst, m)
		if acct.ExternalID != m.discord.ID || acct.Name != nick || !slices.Equal(acct.Groups, []string{"Fleet"}) || acct.Status != services.StatusOK {
			t.Errorf("service account %+v", acct)
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionLink); !ok || e.ActorID != m.account {
			t.Errorf("the link is not in the log as the member's: %+v", e)
		}
		// Keepstar keeps no Discord token: the member's was revoked.
		revoked := 0
		for _, r := range w.traffic.since(0) {
			if r.route == "POST /api/v10/oauth2/token/revoke" && r.status == http.StatusOK {
				revoked++
			}
		}
		if revoked != 1 {
			t.Errorf("%d token revocations, want 1", revoked)
		}
		// A second link is refused: the member has one.
		if p := m.b.Get(t, "/services/discord/link"); p.Status != http.StatusConflict {
			t.Errorf("a second link: %d", p.Status)
		}
	})
}

// Joining a group gives its role on Discord, made the first time; leaving
// takes it away; one request each.
func TestJoiningAndLeavingAGroupGivesAndTakesTheRole(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.link(t, m, "discord")
		w.settle(t)
		fleet := w.site.OpenGroup(t, "Fleet")
		m.b.JoinGroup(t, fleet)
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet"}) {
			t.Errorf("after joining: roles %q, want [Fleet]", got)
		}
		m.b.LeaveGroup(t, fleet)
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); len(got) != 0 {
			t.Errorf("after leaving: roles %q, want none", got)
		}
		if n := w.count(w.guild.ID, "Fleet"); n != 1 {
			t.Errorf("%d roles Fleet on the guild", n)
		}
		if n := w.sim.Requests("member modify"); n != 2 {
			t.Errorf("%d member updates for two changes", n)
		}
		var updates []string
		for _, e := range w.audit(t, w.inst) {
			if e.Action == services.ActionUpdate {
				updates = append(updates, e.Detail+" ("+e.Reason+")")
			}
		}
		if len(updates) != 2 || updates[0] != "−Fleet (group-removed)" || updates[1] != "+Fleet (group-added)" {
			t.Errorf("log of updates, newest first: %q", updates)
		}
	})
}

// An admin takes the service's permission from the member's state on its
// page: the member is kicked from the guild and unlinked, and the log says
// why.
func TestLosingTheAccessPermissionKicksAndUnlinks(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.link(t, m, "discord")
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		w.settle(t)
		admin := w.superuser(t)
		admin.b.Expect(t, "superuser", "/admin/states/"+strconv.FormatInt(w.guest, 10), url.Values{
			"name": {"Guest"}, "priority": {"0"}, "permissions": {"groups.request"}}, http.StatusOK)
		w.settle(t)
		if in, _, _ := w.on(w.guild.ID, m.discord.ID); in {
			t.Error("the member is still in the guild")
		}
		if _, ok := w.account(t, w.inst, m); ok {
			t.Error("the member is still linked")
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionRemove); !ok || e.Reason != "state changed" || e.Result != "" {
			t.Errorf("the removal in the log: %+v (found %t)", e, ok)
		}
		if p := m.b.Get(t, "/services"); strings.Contains(p.Body, `data-service="discord"`) {
			t.Error("the Services page still offers Discord")
		}
		if p := m.b.Get(t, "/services/discord/link"); p.Status != http.StatusForbidden {
			t.Errorf("a link without the permission: %d, want 403", p.Status)
		}
	})
}

// The permission comes from a group, which only superusers change (it
// grants a permission): the admin puts the member in it, and when they
// take them out, the member is kicked.
func TestLeavingTheGroupThatGrantsAccessKicks(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		if _, err := w.site.DB.Exec(ctx, `DELETE FROM state_permissions WHERE permission = $1`, w.inst.Permission()); err != nil {
			t.Fatal(err)
		}
		g, err := w.groups.Create(ctx, groups.Input{Name: "Comms", Public: true, Permissions: []string{w.inst.Permission()}})
		if err != nil {
			t.Fatal(err)
		}
		m := w.member(t)
		if p := m.b.Get(t, "/services/discord/link"); p.Status != http.StatusForbidden {
			t.Fatalf("a link outside the group: %d, want 403", p.Status)
		}
		admin := w.superuser(t)
		members := "/groups/" + strconv.FormatInt(g.ID, 10) + "/members"
		admin.b.Expect(t, "superuser", members+"/add", url.Values{"character": {strconv.Itoa(int(m.char))}}, http.StatusOK)
		w.link(t, m, "discord")
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Comms"}) {
			t.Errorf("roles %q, want [Comms]", got)
		}
		admin.b.Expect(t, "superuser", members+"/"+strconv.FormatInt(m.account, 10)+"/remove", url.Values{}, http.StatusOK)
		w.settle(t)
		if in, _, _ := w.on(w.guild.ID, m.discord.ID); in {
			t.Error("the member is still in the guild")
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionRemove); !ok || e.Reason != "group-removed" {
			t.Errorf("the removal in the log: %+v (found %t)", e, ok)
		}
	})
}

// With Neucore's group deactivation on, a member whose token turns invalid
// loses their groups for services: their roles go, they stay in the guild;
// a fresh login (a valid token) gives them back.
func TestDeactivatedGroupsLoseTheirRolesUntilTheNextLogin(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		m := w.member(t)
		w.link(t, m, "discord")
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		w.settle(t)
		st := settings.NewStore(w.site.DB, settings.NewRegistry(access.Settings), nil, 0)
		if err := st.Set(ctx, map[string]string{"groups.deactivation": "true", "groups.deactivation_delay_hours": "0"}); err != nil {
			t.Fatal(err)
		}
		w.site.Control(t, fmt.Sprintf("characters/%d/invalidate-tokens", m.char), "")
		w.site.RunJob(t, tokencheck.Args{All: true})
		w.site.RunJob(t, access.RecomputeArgs{Force: true})
		var deactivated string
		if err := w.site.DB.QueryRow(ctx, `SELECT groups_deactivated FROM accounts WHERE id = $1`, m.account).Scan(&deactivated); err != nil {
			t.Fatal(err)
		}
		if deactivated != "yes" {
			t.Fatalf("groups deactivation %q after the token went invalid, want yes", deactivated)
		}
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); len(got) != 0 {
			t.Errorf("deactivated: roles %q, want none", got)
		}
		// A new login through EVE's SSO (the session's would not ask EVE).
		m.b = w.site.NewBrowser(t)
		m.b.LogIn(t, m.char)
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet"}) {
			t.Errorf("after a fresh login: roles %q, want [Fleet]", got)
		}
	})
}

// The main moves to another corporation in EVE: once the affiliations
// job sees it, the nickname's ticker follows.
func TestTheNicknameFollowsTheMainsCorporation(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.link(t, m, "discord")
		w.settle(t)
		before := w.nick(t, m, m.corp)
		var target int32
		for _, c := range w.site.Sim.Universe.CorporationIDs() {
			if c != m.corp && c > 2000000 && w.nick(t, m, c) != before {
				target = c
				break
			}
		}
		if _, nick, _ := w.on(w.guild.ID, m.discord.ID); nick != before {
			t.Fatalf("nick %q before the move, want %q", nick, before)
		}
		w.site.Control(t, fmt.Sprintf("characters/%d/move", m.char), fmt.Sprintf(`{"corporation_id": %d}`, target))
		w.site.RunJob(t, affiliations.SyncArgs{})
		w.settle(t)
		if _, nick, _ := w.on(w.guild.ID, m.discord.ID); nick != w.nick(t, m, target) {
			t.Errorf("nick %q after the move, want %q", nick, w.nick(t, m, target))
		}
	})
}

// A member who left the guild on Discord (or was kicked there by hand) is
// unlinked, by the verification or by the next sync, whichever meets it
// first; they may link again.
func TestAMemberGoneFromTheGuildIsUnlinked(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.link(t, m, "discord")
		w.settle(t)
		w.sim.RemoveMember(w.guild.ID, m.discord.ID)
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		if _, ok := w.account(t, w.inst, m); ok {
			t.Fatal("still linked after the verification")
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionUnlink); !ok || e.Reason != "verification" {
			t.Errorf("the unlink in the log: %+v (found %t)", e, ok)
		}
		if p := m.b.Get(t, "/services"); !strings.Contains(p.Body, `data-service="discord" data-linked="false"`) {
			t.Error("the Services page does not offer the link again")
		}

		w.link(t, m, "discord")
		w.settle(t)
		w.sim.RemoveMember(w.guild.ID, m.discord.ID)
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		w.settle(t)
		if _, ok := w.account(t, w.inst, m); ok {
			t.Fatal("still linked after a sync met the member gone")
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionUnlink); !ok || e.Reason != "group-added" {
			t.Errorf("the unlink in the log: %+v (found %t)", e, ok)
		}
		if in, _, _ := w.on(w.guild.ID, m.discord.ID); in {
			t.Error("the sync put the member back in the guild")
		}
	})
}

// A role deleted on Discord is made again by the next sync; with role
// creation off, the account's sync fails with a message its admins read,
// until the role exists again.
func TestARoleDeletedOnDiscordIsMadeAgainOrReported(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		m := w.member(t)
		w.link(t, m, "discord")
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		w.settle(t)
		old := w.role(t, w.guild.ID, "Fleet")
		if err := w.sim.DeleteRole(w.guild.ID, old.ID); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet"}) {
			t.Errorf("after the verification: roles %q, want [Fleet]", got)
		}
		if n := w.count(w.guild.ID, "Fleet"); n != 1 || w.role(t, w.guild.ID, "Fleet").ID == old.ID {
			t.Errorf("%d roles Fleet, the old one's id %t", n, w.role(t, w.guild.ID, "Fleet").ID == old.ID)
		}

		w.inst = w.change(t, w.inst, func(in *services.Input) { in.Settings[discord.SettingNoRoleCreation] = "true" })
		w.settle(t)
		if err := w.sim.DeleteRole(w.guild.ID, w.role(t, w.guild.ID, "Fleet").ID); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		sitetest.WaitFor(t, "the failed sync", func() bool { a, _ := w.account(t, w.inst, m); return a.Status == services.StatusError })
		acct, _ := w.account(t, w.inst, m)
		if !strings.Contains(acct.LastError, `no role "Fleet" on Discord, and role creation is off`) {
			t.Errorf("the account's last error: %q", acct.LastError)
		}
		if st, err := w.svc.StatusOf(ctx, w.inst.ID); err != nil || st.Errors != 1 {
			t.Errorf("the instance's status: %+v (%v), want one error", st, err)
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionUpdate); !ok || !strings.Contains(e.Result, "role creation is off") {
			t.Errorf("the failure in the log: %+v", e)
		}
		if p := m.b.Get(t, "/services"); !strings.Contains(p.Body, `data-field="problem"`) {
			t.Error("the Services page does not say the account is not up to date")
		}
		if n := w.count(w.guild.ID, "Fleet"); n != 0 {
			t.Errorf("a role Fleet was made with creation off (%d)", n)
		}
		// The failed sync is tried again a minute later: its job waits.
		var retry *rivertype.JobRow
		sitetest.WaitFor(t, "the failed sync's retry to be scheduled", func() bool {
			for _, j := range w.syncJobs(t) {
				if j.State == rivertype.JobStateScheduled && j.ScheduledAt.After(time.Now().Add(30*time.Second)) {
					retry = j
					return true
				}
			}
			return false
		})
		// The admin makes the role on Discord: the next verification gives
		// it at once, before the failed sync's retry has run.
		if _, err := w.sim.AddRole(w.guild.ID, "Fleet", false); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		sitetest.WaitFor(t, "the role given again", func() bool {
			a, _ := w.account(t, w.inst, m)
			return a.Status == services.StatusOK && slices.Equal(w.rolesOn(t, w.guild.ID, m), []string{"Fleet"})
		})
		// The retry's job was brought forward rather than waited for.
		j, err := w.site.Queue().Job(ctx, retry.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.AttemptedAt == nil || !j.AttemptedAt.Before(retry.ScheduledAt) {
			t.Errorf("the retry's job, scheduled for %v, ran at %v", retry.ScheduledAt, j.AttemptedAt)
		}
	})
}

// Roles given by hand on Discord that Keepstar manages are taken back by
// the verification; those the instance lists as unmanaged stay.
func TestRolesGivenByHandAreTakenBackUnlessUnmanaged(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		m := w.member(t)
		w.link(t, m, "discord")
		m.b.JoinGroup(t, w.site.OpenGroup(t, "Fleet"))
		w.site.OpenGroup(t, "Capitals")
		w.settle(t)
		for _, name := range []string{"Capitals", "Friends"} {
			r, err := w.sim.AddRole(w.guild.ID, name, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.sim.AddMemberRole(w.guild.ID, m.discord.ID, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet", "Friends"}) {
			t.Errorf("after the verification: roles %q, want [Fleet Friends]", got)
		}
		if e, ok := w.logged(t, w.inst, m, services.ActionUpdate); !ok || e.Reason != "verification" {
			t.Errorf("the repair in the log: %+v", e)
		}
	})
}

// Two guilds, two instances: one maps groups by name, the other only the
// group it names, to a role of its own; the member gets each guild's
// roles, and a role the second does not map is not its to take.
func TestTwoGuildsWithTheirOwnMappings(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		coalition := w.sim.AddGuild("Coalition", w.owner.ID)
		fleet, wing := w.site.OpenGroup(t, "Fleet"), w.site.OpenGroup(t, "Wing")
		second := w.instance(t, "discord2", "Coalition", coalition.ID, services.Input{Maps: map[int64]string{fleet: "Pilots"}})
		m := w.member(t)
		w.link(t, m, "discord")
		w.link(t, m, "discord2")
		m.b.JoinGroup(t, fleet)
		m.b.JoinGroup(t, wing)
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet", "Wing"}) {
			t.Errorf("on the first guild: roles %q, want [Fleet Wing]", got)
		}
		if got := w.rolesOn(t, coalition.ID, m); !slices.Equal(got, []string{"Pilots"}) {
			t.Errorf("on the second guild: roles %q, want [Pilots]", got)
		}
		if _, nick, _ := w.on(coalition.ID, m.discord.ID); nick != discord.Sanitize(m.name) {
			t.Errorf("on the second guild: nick %q, want the type's default %q", nick, m.name)
		}
		hand, err := w.sim.AddRole(coalition.ID, "Hand", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.sim.AddMemberRole(coalition.ID, m.discord.ID, hand.ID); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: second.ID})
		m.b.LeaveGroup(t, fleet)
		w.settle(t)
		if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Wing"}) {
			t.Errorf("after leaving Fleet, on the first guild: roles %q, want [Wing]", got)
		}
		if got := w.rolesOn(t, coalition.ID, m); !slices.Equal(got, []string{"Hand"}) {
			t.Errorf("after leaving Fleet, on the second guild: roles %q, want [Hand]", got)
		}
	})
}
