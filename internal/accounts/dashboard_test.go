package accounts_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// The dashboard warns of a token that no longer works and links to its
// fix, a login with the character again; once logged in again, the
// warning is gone. It shows the apps and services the member may use as
// cards, and no others.
func TestDashboardTokenWarningsAndApps(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Features: []app.Constructor{example.New}})
	ctx := context.Background()
	a := site.AccountCharacters(t, 2)
	b := site.NewBrowser(t)
	b.LogIn(t, a[0])
	b.AddCharacter(t, a[1])
	if strings.Contains(b.Get(t, "/dashboard").Body, `id="token-warnings"`) {
		t.Fatal("a warning while every token works")
	}
	if _, err := site.DB.Exec(ctx, `UPDATE eve_tokens SET validity = 'invalid' WHERE character_id = $1`, a[1]); err != nil {
		t.Fatal(err)
	}
	dash := b.Get(t, "/dashboard").Body
	fix := `href="/sso/login/core.default?character=` + strconv.Itoa(int(a[1])) + `"`
	if !strings.Contains(dash, `id="token-warnings"`) || !strings.Contains(dash, `data-character-id="`+strconv.Itoa(int(a[1]))+`" data-login="core.default"`) ||
		!strings.Contains(dash, fix) || strings.Contains(dash, `data-character-id="`+strconv.Itoa(int(a[0]))+`" data-login=`) {
		t.Fatalf("no warning with its fix for the invalid token:\n%s", dash)
	}
	b.Flow(t, "/sso/login/core.default?character="+strconv.Itoa(int(a[1])), a[1])
	if dash := b.Get(t, "/dashboard").Body; strings.Contains(dash, `id="token-warnings"`) {
		t.Errorf("the warning stays after logging in again:\n%s", dash)
	}

	// The example app is for holders of its permission: a member has
	// none, a superuser every one.
	if strings.Contains(b.Get(t, "/dashboard").Body, `id="services-apps"`) {
		t.Error("a member sees an app they may not use")
	}
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(a[0]))); err != nil {
		t.Fatal(err)
	}
	dash = b.Get(t, "/dashboard").Body
	if !strings.Contains(dash, `id="services-apps"`) || !strings.Contains(dash, `href="/example" data-kind="app"`) {
		t.Errorf("the superuser's dashboard lacks the app's card:\n%s", dash)
	}
}
