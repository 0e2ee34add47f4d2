package app_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestPluggedFeatureShowsEverywhere registers the guide's example feature
// with one Constructor, as docs/development.md says, and finds each thing
// it declares where a person would: its menu entry in the Apps section for
// those who may read it, its permission on the permissions page, its
// setting on the settings page, its page with the setting's value and the
// job's count, its translations in another language.
func TestPluggedFeatureShowsEverywhere(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Features: []app.Constructor{example.New}})
			chars := site.AccountCharacters(t, 2)
			admin, member := site.NewBrowser(t), site.NewBrowser(t)
			admin.LogIn(t, chars[0])
			member.LogIn(t, chars[1])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(chars[0]))); err != nil {
				t.Fatal(err)
			}

			appsMenu := regexp.MustCompile(`(?s)id="apps-menu">([^<]*)</a>\s*<ul class="dropdown-menu">(.*?)</ul>`)
			m := appsMenu.FindStringSubmatch(admin.Get(t, "/dashboard").Body)
			if m == nil || m[1] != "Apps" || !strings.Contains(m[2], `href="/example">Bulletin</a>`) {
				t.Errorf("the superuser's Apps menu lacks the bulletin: %q", m)
			}
			if body := member.Get(t, "/dashboard").Body; strings.Contains(body, `href="/example"`) || strings.Contains(body, `id="apps-menu"`) {
				t.Error("a member without example.read sees the bulletin in the menu")
			}
			if p := member.Get(t, "/example"); p.Status != 403 {
				t.Errorf("member without example.read: %d", p.Status)
			}
			if body := admin.Get(t, "/admin/permissions").Body; !strings.Contains(body, example.PermissionRead.Name) || !strings.Contains(body, "Read the example bulletin") {
				t.Error("the permissions page lacks example.read")
			}
			if body := admin.Get(t, "/admin/settings").Body; !strings.Contains(body, `name="example.text"`) || !strings.Contains(body, "Example bulletin") {
				t.Error("the settings page lacks the bulletin's setting")
			}

			st := settings.NewStore(site.DB, settings.NewRegistry([]settings.Definition{example.SettingText}), nil, 0)
			if err := st.Set(ctx, map[string]string{example.SettingText.Name: "Fly safe"}); err != nil {
				t.Fatal(err)
			}
			if body := admin.Get(t, "/example").Body; !strings.Contains(body, "Fly safe") || !strings.Contains(body, "not been counted yet") {
				t.Errorf("the bulletin before its job:\n%s", body)
			}
			site.RunJob(t, example.CountArgs{})
			var n int
			if err := site.DB.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if body := admin.Get(t, "/example").Body; !strings.Contains(body, fmt.Sprintf("%d accounts counted", n)) {
				t.Errorf("the bulletin after its job (%d accounts):\n%s", n, body)
			}
			admin.Post(t, "/profile", map[string][]string{"language": {"de"}, "theme": {""}})
			if body := admin.Get(t, "/example").Body; !strings.Contains(body, "Aushang") || !strings.Contains(body, "Konten beim letzten Lauf gezählt") {
				t.Errorf("the bulletin in German:\n%s", body)
			}
		})
	}
}
