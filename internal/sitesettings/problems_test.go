package sitesettings_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// problemsBlock is the summary of a page's problems (the alert at the
// top), "" when there is none.
func problemsBlock(body string) string {
	i := strings.Index(body, `id="problems"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</div>")
	return body[i : i+j]
}

// A refused setting is named by its label, in the member's language, in a
// full sentence, never by its key; the problem is shown beside its field,
// which is marked invalid and focused.
func TestSettingsProblemNamesTheLabelBesideTheField(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			a := site.AccountCharacters(t, 1)
			admin := site.NewBrowser(t)
			admin.LogIn(t, a[0])
			if _, _, err := site.Accounts().GrantSuperuser(context.Background(), strconv.Itoa(int(a[0]))); err != nil {
				t.Fatal(err)
			}
			const key = "groups.deactivation_delay_hours"
			p := admin.Post(t, "/admin/settings", form(map[string]string{key: "soon", "notifications.max_per_user": "0"}))
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("bad values: %d", p.Status)
			}
			summary := problemsBlock(p.Body)
			for _, want := range []string{
				"Deactivation delay (hours) must be a whole number from 0 to 8760; “soon” is not a whole number.",
				"Notifications kept per member must be from 1 to",
			} {
				if !strings.Contains(summary, want) {
					t.Errorf("the summary lacks %q:\n%s", want, summary)
				}
			}
			if strings.Contains(summary, key) || strings.Contains(summary, "notifications.max_per_user") {
				t.Errorf("the summary names a setting's key:\n%s", summary)
			}
			// Beside the field, described by it; the first one of the page
			// focused, the other not.
			for _, want := range []string{
				`class="form-control is-invalid" type="number" id="` + key + `" name="` + key + `" value="soon"`,
				`aria-describedby="` + key + `-help ` + key + `-error" aria-invalid="true"`,
				`<div class="invalid-feedback d-block" id="` + key + `-error">Deactivation delay (hours) must be a whole number`,
				`aria-describedby="notifications.max_per_user-help notifications.max_per_user-error" aria-invalid="true"`,
			} {
				if !strings.Contains(p.Body, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
			first := key
			if strings.Index(p.Body, `id="notifications.max_per_user"`) < strings.Index(p.Body, `id="`+key+`"`) {
				first = "notifications.max_per_user"
			}
			if n := strings.Count(p.Body, " autofocus"); n != 1 || !strings.Contains(p.Body, `aria-describedby="`+first+`-help `+first+`-error" aria-invalid="true" autofocus>`) {
				t.Errorf("%d fields focused, want 1: %s", n, first)
			}

			// In the member's language.
			admin.Expect(t, "admin", "/profile", url.Values{"language": {"de"}, "theme": {""}}, 200)
			p = admin.Post(t, "/admin/settings", form(map[string]string{key: "soon"}))
			if want := "Verzögerung der Deaktivierung (Stunden) muss eine ganze Zahl von 0 bis 8760 sein; „soon“ ist keine ganze Zahl."; !strings.Contains(problemsBlock(p.Body), want) {
				t.Errorf("German: the summary lacks %q:\n%s", want, problemsBlock(p.Body))
			}
		})
	}
}
