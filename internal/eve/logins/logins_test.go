package logins_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func TestInputCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   logins.Input
		// field and message id of the one problem, with its arguments
		// as the error names them; empty: valid
		field, id, args string
	}{
		{"plain", logins.Input{Name: "srp-tool", Scopes: "esi-killmails.read_killmails.v1  esi-skills.read_skills.v1\nesi-skills.read_skills.v1"}, "", "", ""},
		{"no name", logins.Input{}, "name", "logins.error.name_required", ""},
		{"long name", logins.Input{Name: strings.Repeat("a", 21)}, "name", "logins.error.name_long", `Max="20"`},
		{"bad name", logins.Input{Name: "my login"}, "name", "logins.error.name_characters", ""},
		{"bad scope", logins.Input{Name: "x", Scopes: `esi-skills.read_skills.v1 bad"scope`}, "scopes", "logins.error.scope_unknown", `Scope="bad\"scope"`},
		{"unknown scope", logins.Input{Name: "x", Scopes: "publicData esi-skills.read_skills.v1"}, "scopes", "logins.error.scope_unknown", `Scope="publicData"`},
		{"misspelt scope", logins.Input{Name: "x", Scopes: "esi-skills.read_skill.v1"}, "scopes", "logins.error.scope_unknown", `Scope="esi-skills.read_skill.v1"`},
		{"unknown role", logins.Input{Name: "x", Scopes: logins.RolesScope, Roles: []string{"Emperor"}}, "roles", "logins.error.role_unknown", `Role="Emperor"`},
		{"roles need the roles scope", logins.Input{Name: "x", Roles: []string{"Director"}}, "roles", "logins.error.roles_scope", `Scope="` + logins.RolesScope + `"`},
		{"long description", logins.Input{Name: "x", Description: strings.Repeat("d", 1025)}, "description", "logins.error.description_long", `Max="1024"`},
		{"long scopes", logins.Input{Name: "x", Scopes: strings.Repeat("esi-skills.read_skills.v1 ", 400)}, "scopes", "logins.error.scopes_long", `Max="8192"`},
	} {
		l, err := tc.in.Check()
		var invalid *i18n.InvalidError
		switch {
		case tc.id == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.id == "":
		case !errors.Is(err, logins.ErrInvalid) || !errors.As(err, &invalid) || len(invalid.Problems) != 1:
			t.Errorf("%s: error %v, want one problem %s", tc.name, err, tc.id)
		case invalid.Problems[0].Field != tc.field || invalid.Problems[0].ID != tc.id || !strings.Contains(err.Error(), tc.args):
			t.Errorf("%s: problem %+v (%v), want %s of %s with %s", tc.name, invalid.Problems[0], err, tc.id, tc.field, tc.args)
		}
		if tc.name == "plain" && strings.Join(l.Scopes, " ") != "esi-killmails.read_killmails.v1 esi-skills.read_skills.v1" {
			t.Errorf("scopes not split and deduplicated: %q", l.Scopes)
		}
	}
	// Every problem at once, each of its field.
	_, err := (logins.Input{Name: "bad name", Scopes: `"`}).Check()
	var invalid *i18n.InvalidError
	if !errors.As(err, &invalid) || len(invalid.Problems) != 2 || invalid.Problems[0].Field != "name" || invalid.Problems[1].Field != "scopes" {
		t.Errorf("two problems reported as: %v", err)
	}
}

func TestStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := logins.NewStore(db, nil)
		all, err := st.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range all {
			names = append(names, l.Name)
		}
		if strings.Join(names, " ") != "core.default core.no-scopes core.tracking core.mail" {
			t.Fatalf("built-in logins: %v", names)
		}
		tracking, _ := st.Get(ctx, logins.Tracking)
		if strings.Join(tracking.Roles, " ") != "Director" || !tracking.IsBuiltIn() {
			t.Errorf("core.tracking: %+v", tracking)
		}

		if _, err := st.Create(ctx, logins.Input{Name: "core.mine"}); !errors.Is(err, logins.ErrInvalid) ||
			!strings.Contains(err.Error(), `logins.error.name_reserved Prefix="core."`) {
			t.Errorf("a core. name: %v", err)
		}
		if _, err := st.Create(ctx, logins.Input{Name: "audit", Scopes: "esi-wallet.read_character_wallet.v1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Create(ctx, logins.Input{Name: "audit"}); !errors.Is(err, logins.ErrExists) {
			t.Errorf("duplicate: %v", err)
		}
		if _, err := st.Update(ctx, "audit", logins.Input{Description: "Wallets", Scopes: logins.RolesScope, Roles: []string{"Accountant"}}); err != nil {
			t.Fatal(err)
		}
		if l, _ := st.Get(ctx, "audit"); l.Description != "Wallets" || strings.Join(l.Roles, "") != "Accountant" {
			t.Errorf("after update: %+v", l)
		}

		// Built-ins: the description, and core.default's scopes, change;
		// nothing else, and they are never deleted.
		if _, err := st.Update(ctx, logins.Default, logins.Input{Description: "Account login", Scopes: "esi-skills.read_skillqueue.v1 esi-skills.read_skills.v1"}); err != nil {
			t.Errorf("core.default scopes: %v", err)
		}
		if _, err := st.Update(ctx, logins.Tracking, logins.Input{Scopes: "esi-skills.read_skills.v1"}); !errors.Is(err, logins.ErrBuiltIn) {
			t.Errorf("core.tracking scopes: %v", err)
		}
		if _, err := st.Update(ctx, logins.Mail, logins.Input{Scopes: "esi-mail.send_mail.v1", Description: "Sender"}); err != nil {
			t.Errorf("core.mail description: %v", err)
		}
		if err := st.Delete(ctx, logins.NoScopes); !errors.Is(err, logins.ErrBuiltIn) {
			t.Errorf("deleting core.no-scopes: %v", err)
		}

		// Deleting a login deletes its tokens, and only its.
		for _, login := range []string{"audit", logins.Default} {
			if _, err := db.Exec(ctx, `INSERT INTO eve_tokens (character_id, login, refresh_token_sealed, access_token_sealed,
				access_expires_at, scopes, owner_hash, character_name, validity, version, checked_at, created_at, updated_at)
				VALUES (1, $1, 'x', 'x', $2, '', 'o', 'n', 'valid', 1, $2, $2, $2)`, login, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if im, err := st.DeletionImpact(ctx, "audit"); err != nil || im != (logins.Impact{Tokens: 1}) {
			t.Errorf("impact of deleting audit: %+v, %v (the token's character is on no account)", im, err)
		}
		if err := st.Delete(ctx, "audit"); err != nil {
			t.Fatal(err)
		}
		var n int
		db.QueryRow(ctx, `SELECT count(*) FROM eve_tokens`).Scan(&n)
		if n != 1 {
			t.Errorf("%d tokens left, want core.default's", n)
		}
		if err := st.Delete(ctx, "audit"); !errors.Is(err, logins.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}

func TestAdminPages(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	a := site.AccountCharacters(t, 1)
	b := site.NewBrowser(t)
	b.LogIn(t, a[0])
	if _, _, err := site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(a[0]))); err != nil {
		t.Fatal(err)
	}
	// Each problem beside its field, in the form's order in the summary,
	// the first field with one focused.
	p := b.Post(t, "/admin/eve-logins", url.Values{"name": {"bad name"}, "scopes": {"x"}, "roles": {"Director"}})
	if p.Status != 422 || !strings.Contains(p.Body, `value="bad name"`) {
		t.Errorf("invalid login: %d\n%s", p.Status, p.Body)
	}
	for _, want := range []string{
		`aria-describedby="name-help name-error" aria-invalid="true" autofocus>`,
		`<div class="invalid-feedback d-block" id="name-error">The name may only have letters, digits, &#39;-&#39;, &#39;.&#39; and &#39;_&#39;.</div>`,
		`<fieldset class="mb-3" id="scopes" aria-describedby="scopes-help scopes-error">`,
		`id="scopes-error">The ESI scopes have &#34;x&#34;, which is not a scope of ESI.</div>`,
		`<fieldset class="mb-3" id="roles" aria-describedby="roles-help roles-error">`,
		`id="roles-error">Required in-game roles are read with the scope ` + logins.RolesScope,
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("invalid login: no %s in\n%s", want, p.Body)
		}
	}
	if n := strings.Index(p.Body, "<li>The name may"); n < 0 || n > strings.Index(p.Body, "<li>The ESI scopes have") ||
		strings.Index(p.Body, "<li>The ESI scopes have") > strings.Index(p.Body, "<li>Required in-game roles") {
		t.Errorf("the summary is not in the form's order:\n%s", p.Body)
	}
	if strings.Count(p.Body, " autofocus") != 1 {
		t.Errorf("%d fields focused", strings.Count(p.Body, " autofocus"))
	}
	b.Expect(t, "superuser", "/admin/eve-logins", url.Values{"name": {"core.mine"}}, 422,
		`id="name-error">Names starting with core. are kept for Keepstar&#39;s built-in logins: choose another name.</div>`)
	p = b.Post(t, "/admin/eve-logins", url.Values{"name": {"srp"}, "description": {"SRP <tool>"}, "scopes": {"esi-killmails.read_killmails.v1"}})
	if p.Status != 200 || !strings.Contains(p.Body, "SRP &lt;tool&gt;") {
		t.Fatalf("create: %d\n%s", p.Status, p.Body)
	}
	b.Expect(t, "superuser", "/admin/eve-logins", url.Values{"name": {"srp"}}, 409,
		`id="name-error">An EVE login named srp exists already.</div>`)
	// On the edit page, the first field with a problem is a list of
	// checkboxes: its first box is focused.
	b.Expect(t, "superuser", "/admin/eve-logins/srp", url.Values{"description": {"SRP"}, "scopes": {"esi-skills.read_everything.v1"}}, 422,
		`id="scope-0" autofocus>`, `id="scopes-error">The ESI scopes have &#34;esi-skills.read_everything.v1&#34;, which is not a scope of ESI.</div>`)
	p = b.Post(t, "/admin/eve-logins/srp", url.Values{"description": {"SRP"}, "scopes": {logins.RolesScope}, "roles": {"Director"}})
	if p.Status != 200 {
		t.Errorf("update: %d\n%s", p.Status, p.Body)
	}
	if p := b.Post(t, "/admin/eve-logins/core.no-scopes", url.Values{"scopes": {logins.RolesScope}, "roles": {"Director"}}); p.Status != 409 {
		t.Errorf("changing core.no-scopes' scopes: %d", p.Status)
	}
	if p := b.Get(t, "/admin/eve-logins/nope"); p.Status != 404 {
		t.Errorf("unknown login: %d", p.Status)
	}
	// Members see the new login on their tokens page.
	if p := b.Get(t, "/tokens"); !strings.Contains(p.Body, `data-login="srp" data-state="none"`) {
		t.Error("the tokens page does not offer the new login")
	}
	if p := b.Post(t, "/admin/eve-logins/srp/delete", url.Values{"confirm": {"yes"}}); p.Status != 200 || strings.Contains(p.Body, `data-login="srp"`) {
		t.Errorf("delete: %d", p.Status)
	}
}

// Scopes and roles are chosen from ESI's lists on both engines: the form
// offers every scope with what it opens, a ticked box per scope is taken,
// a scope ESI does not have is refused, and one a login has already that
// the spec dropped (core.default's publicData) may stay.
func TestScopesChosenFromESI(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			a := site.AccountCharacters(t, 1)
			b := site.NewBrowser(t)
			b.LogIn(t, a[0])
			if _, _, err := site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(a[0]))); err != nil {
				t.Fatal(err)
			}
			b.Expect(t, "superuser", "/admin/eve-logins", nil, 200, `name="scopes" value="esi-killmails.read_killmails.v1"`,
				"Get a character&#39;s recent kills and losses", `name="roles" value="Director"`, `pattern="[\-._a-zA-Z0-9]+"`)
			b.Expect(t, "superuser", "/admin/eve-logins", url.Values{"name": {"srp"},
				"scopes": {"esi-killmails.read_killmails.v1", "esi-skills.read_skills.v1", logins.RolesScope}, "roles": {"Director", "Accountant"}},
				200, "The EVE login srp was added.")
			l, err := logins.NewStore(site.DB, nil).Get(context.Background(), "srp")
			if err != nil || strings.Join(l.Scopes, " ") != "esi-killmails.read_killmails.v1 esi-skills.read_skills.v1 "+logins.RolesScope ||
				strings.Join(l.Roles, " ") != "Accountant Director" {
				t.Fatalf("stored %+v (%v)", l, err)
			}
			b.Expect(t, "superuser", "/admin/eve-logins/srp", nil, 200, `value="esi-skills.read_skills.v1" id="scope-`)
			b.Expect(t, "superuser", "/admin/eve-logins", url.Values{"name": {"spy"}, "scopes": {"esi-skills.read_everything.v1", "publicData"}},
				422, "&#34;esi-skills.read_everything.v1&#34;, which is not a scope of ESI", "&#34;publicData&#34;, which is not a scope of ESI")
			b.Expect(t, "superuser", "/admin/eve-logins/srp", url.Values{"scopes": {"esi-skills.read_skills.v1 esi-skills.read_everything.v1"}},
				422, "&#34;esi-skills.read_everything.v1&#34;, which is not a scope of ESI")
			// core.default keeps the publicData it was made with, shown apart.
			b.Expect(t, "superuser", "/admin/eve-logins/core.default", nil, 200, `value="publicData"`, "not in ESI&#39;s specification")
			b.Expect(t, "superuser", "/admin/eve-logins/core.default", url.Values{"description": {"The account login."}, "scopes": {"publicData"}},
				200, "The EVE login core.default was saved.")
		})
	}
}

// TestAdminDeleteAsksFirst: deleting a login deletes every member's tokens
// of it; the confirmation counts them, and nothing is deleted unconfirmed.
func TestAdminDeleteAsksFirst(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			a := site.AccountCharacters(t, 3)
			b := site.NewBrowser(t)
			b.LogIn(t, a[0])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(a[0]))); err != nil {
				t.Fatal(err)
			}
			member := site.NewBrowser(t)
			member.LogIn(t, a[1])
			b.Expect(t, "admin", "/admin/eve-logins", url.Values{"name": {"srp"}, "scopes": {"esi-killmails.read_killmails.v1"}}, 200, `href="/admin/eve-logins/srp/delete"`)
			// Two members' characters gave a token of it.
			for _, c := range a[:2] {
				if _, err := site.DB.Exec(ctx, `INSERT INTO eve_tokens (character_id, login, refresh_token_sealed, access_token_sealed,
					access_expires_at, scopes, owner_hash, character_name, validity, version, checked_at, created_at, updated_at)
					VALUES ($1, 'srp', 'x', 'x', $2, '', 'o', 'n', 'valid', 1, $2, $2, $2)`, c, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			b.Expect(t, "admin", "/admin/eve-logins/srp", nil, 200, `href="/admin/eve-logins/srp/delete" id="delete-login"`)
			b.Expect(t, "admin", "/admin/eve-logins/srp/delete", nil, 200, "Delete the EVE login srp?",
				"2 tokens of this login are deleted.", "2 members lose these tokens")
			b.Expect(t, "admin", "/admin/eve-logins/srp/delete", url.Values{}, 400, "Nothing was changed", "2 tokens of this login are deleted.")
			var n int
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM eve_tokens WHERE login = 'srp'`).Scan(&n); err != nil || n != 2 {
				t.Fatalf("an unconfirmed deletion deleted: %d tokens left, %v", n, err)
			}
			member.Expect(t, "member", "/admin/eve-logins/srp/delete", nil, 403)
			member.Expect(t, "member", "/admin/eve-logins/srp/delete", url.Values{"confirm": {"yes"}}, 403)
			b.Expect(t, "admin", "/admin/eve-logins/core.default/delete", nil, 409)
			b.Expect(t, "admin", "/admin/eve-logins/srp/delete", url.Values{"confirm": {"yes"}}, 200)
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM eve_tokens WHERE login = 'srp'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("confirmed deletion: %d tokens left, %v", n, err)
			}
			b.Expect(t, "admin", "/admin/eve-logins/srp/delete", nil, 404)
		})
	}
}

// TestBuiltInLoginsHaveWords checks that each built-in login has a label
// and a description in the catalogue, and that a description an admin
// wrote is shown instead of Keepstar's own; an administrator's login has
// neither.
func TestBuiltInLoginsHaveWords(t *testing.T) {
	c, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range logins.BuiltIn {
		l := logins.Login{Name: name}
		if !c.Has(l.LabelID()) || !c.Has(l.DescriptionID()) {
			t.Errorf("%s: label %q or description %q is not in the catalogue", name, l.LabelID(), l.DescriptionID())
		}
		if l.Description = "Ours."; l.DescriptionID() != "" {
			t.Errorf("%s: the admin's description is hidden by %s", name, l.DescriptionID())
		}
	}
	if l := (logins.Login{Name: "fleet"}); l.LabelID() != "" || l.DescriptionID() != "" {
		t.Errorf("an admin's login has words of Keepstar's: %q, %q", l.LabelID(), l.DescriptionID())
	}
}

// TestBuiltInDescriptionsEmptyOnANewDatabase checks that the built-in
// logins come with no stored description, so that each reader gets
// Keepstar's own in their language.
func TestBuiltInDescriptionsEmptyOnANewDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		all, err := logins.NewStore(db, nil).List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range all {
			if l.IsBuiltIn() && l.Description != "" {
				t.Errorf("%s: description %q", l.Name, l.Description)
			}
		}
	})
}
