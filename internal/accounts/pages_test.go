package accounts_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/sitetest"
)

func pageCount(t *testing.T, site *sitetest.Site, query string, args ...any) int {
	t.Helper()
	var n int
	if err := site.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pageAccount(t *testing.T, site *sitetest.Site, id int32) int64 {
	t.Helper()
	c, err := site.Accounts().Character(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.AccountID
}

func TestMemberPages(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	a := site.AccountCharacters(t, 2)
	names := make([]string, 2)
	for i, id := range a {
		c, _ := site.Sim.Universe.Character(id)
		names[i] = c.Name
	}
	b := site.NewBrowser(t)
	b.LogIn(t, a[0])
	b.AddCharacter(t, a[1])

	// The main changes; the account is named after it.
	p := b.Post(t, "/characters/"+strconv.Itoa(int(a[1]))+"/main", nil)
	if p.Status != 200 || !strings.Contains(p.Body, "Your main character was changed") {
		t.Fatalf("make main: %d", p.Status)
	}
	dash := b.Get(t, "/dashboard")
	i := strings.Index(dash.Body, `id="main-character"`)
	if i < 0 || !strings.Contains(dash.Body[i:i+1200], names[1]) {
		t.Errorf("the dashboard's main is not %s", names[1])
	}
	var me struct {
		Name       string
		Characters []struct {
			ID   int32
			Main bool
		}
	}
	if err := json.Unmarshal([]byte(b.Get(t, "/api/me").Body), &me); err != nil {
		t.Fatal(err)
	}
	if me.Name != names[1] || len(me.Characters) != 2 || !me.Characters[0].Main || me.Characters[0].ID != a[1] {
		t.Errorf("/api/me: %+v", me)
	}
	// Someone else's character cannot be made main.
	if p := b.Post(t, "/characters/1/main", nil); p.Status != 404 {
		t.Errorf("foreign main: %d", p.Status)
	}

	// Deleting characters: off by default; on, never the one logged in with.
	if p := b.Post(t, "/characters/"+strconv.Itoa(int(a[1]))+"/delete", nil); p.Status != 403 {
		t.Errorf("deletion while off: %d", p.Status)
	}
	if _, err := site.DB.Exec(context.Background(), `INSERT INTO settings (name, value, updated_at) VALUES ('accounts.allow_character_deletion', 'true', CURRENT_TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	site.Restart()
	if p := b.Post(t, "/characters/"+strconv.Itoa(int(a[0]))+"/delete", nil); p.Status != 409 {
		t.Errorf("deleting the character logged in with: %d", p.Status)
	}
	// Asked first, the tokens counted; unconfirmed, refused.
	del := "/characters/" + strconv.Itoa(int(a[1])) + "/delete"
	tokens := pageCount(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1`, a[1])
	if tokens == 0 {
		t.Fatal("the alt has no token")
	}
	b.Expect(t, "member", "/characters", nil, 200, `href="`+del+`"`)
	b.Expect(t, "member", del, nil, 200, "from your account?", strconv.Itoa(tokens)+" EVE token", "It is the main character")
	b.Expect(t, "member", del, url.Values{}, 400, "Nothing was changed")
	if n := pageCount(t, site, `SELECT count(*) FROM characters WHERE id = $1`, a[1]); n != 1 {
		t.Fatal("an unconfirmed deletion deleted")
	}
	b.Expect(t, "member", "/characters/"+strconv.Itoa(int(a[0]))+"/delete", nil, 409)
	b.Expect(t, "member", "/characters/1/delete", nil, 404)
	p = b.Post(t, del, url.Values{"confirm": {"yes"}})
	if p.Status != 200 || !strings.Contains(p.Body, `data-reason="deleted-manually"`) {
		t.Fatalf("delete: %d\n%s", p.Status, p.Body)
	}
	if n := pageCount(t, site, `SELECT count(*) FROM characters WHERE id = $1 AND main`, a[0]); n != 1 {
		t.Error("the remaining character did not become main")
	}
	if n := pageCount(t, site, `SELECT count(*) FROM character_removals WHERE character_id = $1 AND reason = 'deleted-manually' AND removed_by = account_id`, a[1]); n != 1 {
		t.Error("no deleted-manually record")
	}
}

func TestProfileLanguageAndTheme(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	a := site.AccountCharacters(t, 1)
	b := site.NewBrowser(t)
	b.LogIn(t, a[0])
	// The browser's language first...
	b.Header.Set("Accept-Language", "es-ES,es;q=0.9")
	if p := b.Get(t, "/dashboard"); !strings.Contains(p.Body, `lang="es"`) {
		t.Error("Accept-Language not followed")
	}
	// ...the member's choice over it.
	p := b.Post(t, "/profile", url.Values{"language": {"de"}, "theme": {"darkly"}})
	if p.Status != 200 || !strings.Contains(p.Body, `lang="de"`) || !strings.Contains(p.Body, "vendor/themes/darkly.min.css") ||
		!strings.Contains(p.Body, `data-bs-theme="dark"`) {
		t.Fatalf("after choosing German and Darkly: %d\n%s", p.Status, p.Body[:min(len(p.Body), 800)])
	}
	if p := b.Get(t, "/dashboard"); !strings.Contains(p.Body, "Hauptcharakter") {
		t.Error("the dashboard is not in German")
	}
	for _, bad := range []url.Values{{"language": {"xx"}}, {"theme": {"nope"}}} {
		if p := b.Post(t, "/profile", bad); p.Status != 400 {
			t.Errorf("profile %v: %d", bad, p.Status)
		}
	}
	// Back to the browser's language.
	b.Post(t, "/profile", url.Values{"language": {""}, "theme": {""}})
	if p := b.Get(t, "/dashboard"); !strings.Contains(p.Body, `lang="es"`) || strings.Contains(p.Body, "darkly") {
		t.Error("clearing the choices did not return to the browser's language and the site's theme")
	}
}

func TestUserAdministration(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx := context.Background()
	a := site.AccountCharacters(t, 2)
	adminChar := site.AccountCharacters(t, 1, a...)
	rootChar := site.AccountCharacters(t, 1, append(a, adminChar...)...)

	member := site.NewBrowser(t)
	member.LogIn(t, a[0])
	member.AddCharacter(t, a[1])
	target := pageAccount(t, site, a[0])
	admin := site.NewBrowser(t)
	admin.LogIn(t, adminChar[0])
	if err := site.Accounts().SetRoles(ctx, pageAccount(t, site, adminChar[0]), []string{access.RoleUserAdmin}, false); err != nil {
		t.Fatal(err)
	}
	root := site.NewBrowser(t)
	root.LogIn(t, rootChar[0])
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(rootChar[0]))); err != nil {
		t.Fatal(err)
	}
	alt, _ := site.Sim.Universe.Character(a[1])

	// Find the account by a part of an alt's name.
	p := admin.Get(t, "/admin/accounts?q="+url.QueryEscape(strings.ToLower(alt.Name[1:len(alt.Name)-1])))
	if !strings.Contains(p.Body, `href="/admin/accounts/`+strconv.FormatInt(target, 10)+`"`) {
		t.Fatalf("search by an alt's name did not find the account:\n%s", p.Body)
	}
	if p := admin.Get(t, "/admin/accounts?q="+strconv.Itoa(int(a[1]))); !strings.Contains(p.Body, `/admin/accounts/`+strconv.FormatInt(target, 10)) {
		t.Error("search by character id did not find the account")
	}
	if p := admin.Get(t, "/admin/accounts?q=%25"); strings.Contains(p.Body, "/admin/accounts/") {
		t.Error("a search for % matched every account")
	}
	path := "/admin/accounts/" + strconv.FormatInt(target, 10)

	// Delete a character, as an admin: recorded with who did it.
	del := path + "/characters/" + strconv.Itoa(int(a[1])) + "/delete"
	admin.Expect(t, "admin", path, nil, 200, `href="`+del+`"`)
	admin.Expect(t, "admin", del, nil, 200, "from account #"+strconv.FormatInt(target, 10)+"?", "The member is notified.")
	admin.Expect(t, "admin", del, url.Values{}, 400, "Nothing was changed")
	admin.Expect(t, "admin", path+"/characters/1/delete", nil, 404)
	p = admin.Post(t, del, url.Values{"confirm": {"yes"}})
	if p.Status != 200 || !strings.Contains(p.Body, `data-reason="deleted-by-admin"`) {
		t.Fatalf("admin delete: %d", p.Status)
	}
	if n := pageCount(t, site, `SELECT count(*) FROM character_removals WHERE character_id = $1 AND reason = 'deleted-by-admin' AND removed_by = $2`,
		a[1], pageAccount(t, site, adminChar[0])); n != 1 {
		t.Error("no deleted-by-admin record naming the admin")
	}
	if p := member.Get(t, "/notifications"); !strings.Contains(p.Body, "An administrator removed") {
		t.Error("the member was not told")
	}

	// Status and deactivation.
	if p := admin.Post(t, path+"/status", url.Values{"status": {"managed"}}); !strings.Contains(p.Body, `id="account-status">Managed manually`) {
		t.Errorf("status: %d", p.Status)
	}
	if p := admin.Post(t, path+"/status", url.Values{"status": {"weird"}}); p.Status != 400 {
		t.Errorf("bad status: %d", p.Status)
	}
	// Deactivation asks first, counting the characters and sessions;
	// unconfirmed (by either route) the member stays logged in.
	admin.Expect(t, "admin", path, nil, 200, `href="`+path+`/deactivate"`)
	admin.Expect(t, "admin", path+"/deactivate", nil, 200, "Deactivate the account of", "Its 1 character can no longer log in.",
		"1 open session ends.", "An admin can activate it again.", `action="`+path+`/deactivate"`)
	admin.Expect(t, "admin", path+"/deactivate", url.Values{}, 400, "Nothing was changed")
	admin.Expect(t, "admin", path+"/active", url.Values{"active": {"false"}}, 400, "Nothing was changed", `action="`+path+`/deactivate"`)
	if p := member.Get(t, "/api/me"); p.Status != 200 {
		t.Fatalf("an unconfirmed deactivation deactivated: %d", p.Status)
	}
	admin.Expect(t, "admin", path+"/deactivate", url.Values{"confirm": {"yes"}}, 200)
	if p := member.Get(t, "/api/me"); p.Status != 401 {
		t.Errorf("deactivated member still logged in: %d", p.Status)
	}
	var apiAccount struct {
		Active   bool
		Status   string
		Removals []struct{ Reason string }
	}
	if err := json.Unmarshal([]byte(admin.Get(t, "/api/admin/accounts/"+strconv.FormatInt(target, 10)).Body), &apiAccount); err != nil {
		t.Fatal(err)
	}
	if apiAccount.Active || apiAccount.Status != "managed" || len(apiAccount.Removals) != 1 || apiAccount.Removals[0].Reason != "deleted-by-admin" {
		t.Errorf("JSON of the account: %+v", apiAccount)
	}
	admin.Post(t, path+"/active", url.Values{"active": {"true"}})
	member.LogIn(t, a[0])
	// Admins cannot deactivate themselves.
	own := "/admin/accounts/" + strconv.FormatInt(pageAccount(t, site, adminChar[0]), 10)
	admin.Expect(t, "admin", own+"/deactivate", nil, 409)
	admin.Expect(t, "admin", own+"/deactivate", url.Values{"confirm": {"yes"}}, 409)
	if p := admin.Post(t, own+"/active", url.Values{"active": {"false"}, "confirm": {"yes"}}); p.Status != 409 {
		t.Errorf("self-deactivation: %d", p.Status)
	}

	// Roles are the superusers' to give; superusers' accounts theirs to change.
	if p := admin.Post(t, path+"/roles", url.Values{"role": {"user-admin"}}); p.Status != 403 {
		t.Errorf("user admin giving roles: %d", p.Status)
	}
	rootPath := "/admin/accounts/" + strconv.FormatInt(pageAccount(t, site, rootChar[0]), 10)
	admin.Expect(t, "admin", rootPath+"/deactivate", nil, 403)
	if p := admin.Post(t, rootPath+"/active", url.Values{"active": {"false"}}); p.Status != 403 {
		t.Errorf("user admin deactivating a superuser: %d", p.Status)
	}
	p = root.Post(t, path+"/roles", url.Values{"role": {"settings", "user-admin"}})
	if p.Status != 200 || pageCount(t, site, `SELECT count(*) FROM account_roles WHERE account_id = $1`, target) != 2 {
		t.Errorf("superuser giving roles: %d", p.Status)
	}
	if p := root.Post(t, path+"/roles", url.Values{"role": {"emperor"}}); p.Status != 400 {
		t.Errorf("unknown role: %d", p.Status)
	}
	// The member now sees the settings.
	if p := member.Get(t, "/admin/settings"); p.Status != 200 {
		t.Errorf("member with the settings role: %d", p.Status)
	}
	if p := root.Post(t, rootPath+"/roles", url.Values{}); p.Status != 409 {
		t.Errorf("superuser revoking their own superuser: %d", p.Status)
	}
}
