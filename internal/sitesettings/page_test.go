package sitesettings_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/sitetest"
)

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func form(over map[string]string) url.Values {
	v := url.Values{"site.name": {"Brave Collective"}, "site.default_theme": {"light"}, "site.footer_text": {""},
		"site.home_text": {""}, "notifications.max_per_user": {"50"}, "notifications.refresh_seconds": {"30"},
		"notifications.max_age_days": {"90"}, "groups.deactivation_delay_hours": {"0"}, "tokens.check_hours": {"6"},
		"tokens.lost_access_days": {"7"}, "api.rate_limit_mode": {"off"}, "api.rate_limit_max_requests": {"600"}, "api.rate_limit_window_seconds": {"60"},
		"evemail.missing_days": {"10"}, "timers.notify_minutes": {"0"}, "fleetops.notify_minutes": {"0"}} // every number field of the page, as a browser sends it
	for k, x := range over {
		v.Set(k, x)
	}
	return v
}

// upload posts a file to the logo setting as the settings page's form does.
func upload(t *testing.T, site *sitetest.Site, b *sitetest.Browser, content []byte) sitetest.Page {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "logo.png")
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest("POST", site.URL+"/admin/settings/image/site.logo", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", site.URL)
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode == http.StatusSeeOther {
		res.Body.Close()
		return b.Get(t, loc)
	}
	return sitetest.Page{Status: res.StatusCode, Body: sitetest.Body(t, res)}
}

func TestSettingsPage(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx := context.Background()
	a := site.AccountCharacters(t, 1)
	admin := site.NewBrowser(t)
	admin.LogIn(t, a[0])
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(a[0]))); err != nil {
		t.Fatal(err)
	}
	if p := admin.Get(t, "/admin/settings"); p.Status != 200 || !strings.Contains(p.Body, `name="accounts.disable_alt_login"`) {
		t.Fatalf("settings page: %d", p.Status)
	}

	// The site's name and texts; Markdown rendered safely on the home page.
	p := admin.Post(t, "/admin/settings", form(map[string]string{
		"site.footer_text":                  "Brave & friends",
		"site.home_text":                    "## Join us\n\n**bold** [link](javascript:alert(1))\n\n<script>alert(1)</script>",
		"accounts.allow_login_no_scopes":    "on",
		"accounts.allow_character_deletion": "on",
	}))
	if p.Status != 200 || !strings.Contains(p.Body, "The settings were saved") {
		t.Fatalf("save: %d\n%s", p.Status, p.Body)
	}
	visitor := site.NewBrowser(t)
	home := visitor.Get(t, "/")
	for _, want := range []string{"<title>Welcome · Brave Collective</title>", "<h2>Join us</h2>", "<strong>bold</strong>", "Brave &amp; friends", "login-no-scopes"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(home.Body, "<script>alert") || strings.Contains(home.Body, "javascript:") {
		t.Errorf("unsafe Markdown reached the page:\n%s", home.Body)
	}

	// A bad value: the page comes back saying what is wrong, nothing saved.
	p = admin.Post(t, "/admin/settings", form(map[string]string{"site.name": "Other", "notifications.max_per_user": "0"}))
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Notifications kept per member must be from") || !strings.Contains(p.Body, `value="Other"`) {
		t.Errorf("bad value: %d\n%s", p.Status, p.Body)
	}
	if home := visitor.Get(t, "/"); !strings.Contains(home.Body, "Brave Collective") {
		t.Error("a refused form changed the site's name")
	}

	// The logo: a picture is kept and served; anything else refused.
	if p := upload(t, site, admin, []byte("<svg onload='alert(1)'/>")); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("SVG upload: %d", p.Status)
	}
	if p := upload(t, site, admin, png); p.Status != 200 {
		t.Fatalf("PNG upload: %d\n%s", p.Status, p.Body)
	}
	home = visitor.Get(t, "/")
	i := strings.Index(home.Body, "/site/logo?v=")
	if i < 0 {
		t.Fatal("no logo on the home page")
	}
	res, err := http.Get(site.URL + home.Body[i:i+strings.IndexByte(home.Body[i:], '"')])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, png) {
		t.Errorf("logo: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	admin.Post(t, "/admin/settings/image/site.logo/clear", nil)
	if res, _ := http.Get(site.URL + "/site/logo"); res.StatusCode != 404 {
		t.Errorf("logo after clearing: %d", res.StatusCode)
	}
	if p := admin.Post(t, "/admin/settings/image/site.name", nil); p.Status != 404 {
		t.Errorf("upload to a setting that is not a picture: %d", p.Status)
	}
}
