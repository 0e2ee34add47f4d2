package states_test

import (
	"context"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// visitor is a logged-in member.
type visitor struct {
	b         *sitetest.Browser
	character int32
	account   int64
	name      string
	corp      int32
}

// login logs in the main of a simulated player not used yet; superuser
// makes it one, role gives it a role.
func login(t *testing.T, site *sitetest.Site, used *[]int32, superuser bool, roles ...string) visitor {
	t.Helper()
	ctx := context.Background()
	c := site.AccountCharacters(t, 1, *used...)[0]
	*used = append(*used, c)
	v := visitor{b: site.NewBrowser(t), character: c}
	v.b.LogIn(t, c)
	accs := site.Accounts()
	ch, err := accs.Character(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	v.account, v.name, v.corp = ch.AccountID, ch.Name, ch.CorporationID
	if superuser {
		_, _, err = accs.GrantSuperuser(ctx, strconv.Itoa(int(c)))
	} else if len(roles) > 0 {
		err = accs.SetRoles(ctx, v.account, roles, false)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do posts a form (GET when form is nil) and checks the status and texts
// of the page it ends on.
func do(t *testing.T, v visitor, path string, form url.Values, status int, contains ...string) string {
	t.Helper()
	return v.b.Expect(t, v.name, path, form, status, contains...)
}

func find(t *testing.T, st *states.Store, name string) (states.State, bool) {
	t.Helper()
	all, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(all, func(s states.State) bool { return s.Name == name })
	if i < 0 {
		return states.State{}, false
	}
	return all[i], true
}

func TestMemberFieldMessagesExist(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"states.admin.characters", "states.admin.corporations", "states.admin.alliances", "states.admin.factions",
		"states.admin.new_title", "states.admin.edit_title"} {
		if !c.Has(id) {
			t.Errorf("message %s is not in en.toml", id)
		}
	}
}

func TestStatesAdministration(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			st := states.New(site.DB, nil, nil, nil)
			var used []int32
			su := login(t, site, &used, true)
			ga := login(t, site, &used, false, access.RoleGroupAdmin)
			pilot := login(t, site, &used, false)

			// States are for superusers alone.
			do(t, ga, "/admin/states", nil, 403)
			do(t, ga, "/admin/states/new", nil, 403)
			do(t, ga, "/admin/states", url.Values{"name": {"Sneaky"}, "priority": {"5"}}, 403)
			if _, ok := find(t, st, "Sneaky"); ok {
				t.Fatal("a group admin made a state")
			}
			do(t, su, "/admin/states", nil, 200, `data-state="Guest"`, `data-state="Blue"`, `data-state="Member"`)
			do(t, su, "/admin/states/new", nil, 200, `id="state-form"`, `id="permission-`+access.RequestPermission+`"`)

			// Created with members and permissions, named by ids or names:
			// names Keepstar knows (the pilot, its corporation, in any case),
			// a name only ESI knows (an alliance no member is in), a faction.
			var corpName string
			if err := site.DB.QueryRow(ctx, `SELECT name FROM eve_corporations WHERE id = $1`, pilot.corp).Scan(&corpName); err != nil {
				t.Fatal(err)
			}
			far, err := site.Sim.Universe.Alliance(99000001)
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"name": {"Allies"}, "priority": {"75"}, "characters": {pilot.name},
				"corporations": {strings.ToUpper(corpName) + ", 98000001"}, "alliances": {"99000002\n" + strings.ToLower(far.Name)},
				"factions": {"Caldari State"}, "permissions": {access.RequestPermission, access.PermissionAudit.Name}}
			do(t, su, "/admin/states", form, 200, "The state Allies was created.", `data-state="Allies"`,
				"1 character, 2 corporations, 2 alliances, 1 faction<")
			allies, ok := find(t, st, "Allies")
			if !ok {
				t.Fatal("no state Allies")
			}
			corps := []int32{pilot.corp, 98000001}
			slices.Sort(corps)
			if allies.Priority != 75 || allies.Public || !slices.Equal(allies.Characters, []int32{pilot.character}) ||
				!slices.Equal(allies.Corporations, corps) || !slices.Equal(allies.Alliances, []int32{99000001, 99000002}) ||
				!slices.Equal(allies.Factions, []int32{500001}) ||
				!slices.Equal(allies.Permissions, []string{access.PermissionAudit.Name, access.RequestPermission}) {
				t.Fatalf("stored %+v", allies)
			}
			path := "/admin/states/" + strconv.FormatInt(allies.ID, 10)
			do(t, su, path, nil, 200, html.EscapeString(pilot.name), html.EscapeString(corpName), "Caldari State", html.EscapeString(far.Name),
				`id="permission-`+access.PermissionAudit.Name+`" checked`)

			// Every problem at once, and what was typed kept.
			do(t, su, "/admin/states", url.Values{"name": {""}, "priority": {"high"}, "corporations": {"x1, 98000001, 0"},
				"factions": {"Sansha"}}, 422,
				"A name has 1 to 64 characters.", "The priority is a whole number from 0 to 1000000.",
				"Corporations: no corporation is named “x1”.", "Corporations: “0” is not an EVE id.",
				"Factions: no faction is named “Sansha”.", "x1, 98000001, 0</textarea>",
				// Each beside its field, the first focused.
				`class="form-control is-invalid" id="name" name="name" value="" maxlength="64" required aria-describedby="name-error" aria-invalid="true" autofocus>`,
				`<div class="invalid-feedback d-block" id="name-error">A name has 1 to 64 characters.</div>`,
				`aria-describedby="priority-help priority-error" aria-invalid="true">`,
				`<div class="invalid-feedback d-block" id="corporations-error">Corporations: “0” is not an EVE id.<br>Corporations: no corporation is named “x1”.`)
			// Taken priority and name.
			do(t, su, "/admin/states", url.Values{"name": {"Friends"}, "priority": {"50"}}, 409, "The state Blue has priority 50 already.")
			do(t, su, "/admin/states", url.Values{"name": {"member"}, "priority": {"51"}}, 409, "Another state is named member already.")
			do(t, su, path, url.Values{"name": {"Allies"}, "priority": {"100"}}, 409, "The state Member has priority 100 already.")
			// Saved.
			do(t, su, path, url.Values{"name": {"Friends"}, "priority": {"76"}, "public": {"on"}}, 200, "The state Friends was saved.")
			friends, ok := find(t, st, "Friends")
			if !ok || friends.Priority != 76 || !friends.Public || len(friends.Corporations) != 0 || len(friends.Permissions) != 0 {
				t.Fatalf("saved %+v", friends)
			}

			// The guest: neither deleted nor renamed.
			guest, ok := find(t, st, "Guest")
			if !ok || !guest.Guest {
				t.Fatal("no guest state")
			}
			gpath := "/admin/states/" + strconv.FormatInt(guest.ID, 10)
			do(t, su, gpath, nil, 200, `id="guest-note"`, `value="Guest" maxlength="64" required readonly`)
			do(t, su, gpath+"/delete", url.Values{}, 409, "Guest is the guest state")
			do(t, su, gpath, url.Values{"name": {"Visitors"}, "priority": {"0"}}, 409, "The guest state cannot be renamed.")
			do(t, su, gpath, url.Values{"name": {"Guest"}, "priority": {"0"}, "public": {"on"}, "permissions": {access.RequestPermission}}, 200,
				"The state Guest was saved.")
			if guest, _ = find(t, st, "Guest"); !guest.Public || !slices.Equal(guest.Permissions, []string{access.RequestPermission}) {
				t.Fatalf("guest after saving: %+v", guest)
			}
			if _, ok := find(t, st, "Visitors"); ok {
				t.Fatal("the guest was renamed")
			}

			// Deleted once confirmed, the confirmation counting who moves
			// and which groups lose their limit.
			do(t, su, "/admin/groups", url.Values{"name": {"Friends only"}, "states": {strconv.FormatInt(friends.ID, 10)}}, 200)
			site.RunJob(t, access.RecomputeArgs{Force: true})
			var inFriends int
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM accounts WHERE state_id = $1`, friends.ID).Scan(&inFriends); err != nil {
				t.Fatal(err)
			}
			if inFriends == 0 {
				t.Fatal("nobody in the public state Friends")
			}
			moves := strconv.Itoa(inFriends) + " accounts in this state move"
			if inFriends == 1 {
				moves = "1 account in this state moves"
			}
			do(t, su, path, nil, 200, `href="`+path+`/delete"`)
			do(t, su, path+"/delete", nil, 200, "Delete the state Friends?", moves, "1 group limited to this state loses that limit.",
				`action="`+path+`/delete"`, `name="confirm" value="yes"`)
			do(t, su, path+"/delete", url.Values{}, 400, "Nothing was changed: confirm", moves)
			if _, ok := find(t, st, "Friends"); !ok {
				t.Fatal("an unconfirmed deletion deleted")
			}
			do(t, su, gpath+"/delete", nil, 409, "Guest is the guest state")
			do(t, ga, path+"/delete", nil, 403)
			do(t, su, path+"/delete", url.Values{"confirm": {"yes"}}, 200, "The state Friends was deleted")
			if _, ok := find(t, st, "Friends"); ok {
				t.Fatal("the state is still there")
			}
			do(t, su, path+"/delete", url.Values{"confirm": {"yes"}}, 404)
			do(t, su, path+"/delete", nil, 404)
			do(t, su, path, nil, 404)
			do(t, su, "/admin/states/abc", nil, 404)
		})
	}
}
