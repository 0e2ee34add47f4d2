package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/mumble"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestVoiceServicesInABrowser is issue 16's member, at a desktop and at a
// phone: on the Services page they activate Mumble, read the login and
// password shown once, and come back to a row with their login, a Join
// link to the server (mumble://) and the password actions.
func TestVoiceServicesInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testVoice)
}

func testVoice(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	member := site.AccountCharacters(t, 1)[0]
	svc := site.Services(t, mumble.Type)
	inst, err := svc.Create(ctx, services.Input{Slug: "mumble", Type: mumble.TypeName, Name: "Alliance Mumble"})
	if err != nil {
		t.Fatal(err)
	}
	// No Mumble server runs here: the page is what is tested; the
	// server's side is internal/services/mumble's end-to-end tests.
	if _, err := svc.Update(ctx, inst.ID, services.Input{Name: "Alliance Mumble", Enabled: true, MapByName: true,
		Settings: map[string]string{mumble.SettingIceAddress: "127.0.0.1:9", mumble.SettingIceSecret: "secret",
			mumble.SettingPublicAddress: "mumble.example.org:64738"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, $1 FROM states WHERE guest`, inst.Permission()); err != nil {
		t.Fatal(err)
	}
	shots := t.ArtifactDir()

	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(member)
	p.visit("/services")
	p.waitVisible(`#service-mumble [data-action="activate"]`)
	p.fitsWidth()
	p.screenshot(shots, "voice-not-active")
	p.follow("activating Mumble", p.press(`#service-mumble [data-action="activate"]`))
	username, password := p.text("#credentials-username"), p.text("#credentials-password")
	if username == "" || len(password) < 16 {
		t.Fatalf("credentials shown: %q / %q", username, password)
	}
	p.fitsWidth()
	p.screenshot(shots, "voice-credentials")
	p.visit("/services")
	p.wantText(`#service-mumble [data-field="external-name"]`, username)
	join := run(p, "reading the join link", chromedp.Evaluate[string](
		`document.querySelector('#service-mumble [data-action="join"]')?.getAttribute("href") ?? ""`))
	if want := fmt.Sprintf("mumble://%s@mumble.example.org:64738/", username); !strings.HasPrefix(join, want) {
		t.Errorf("join link %q, want %s…", join, want)
	}
	for _, action := range []string{"reset", "deactivate"} {
		if !p.visible(fmt.Sprintf(`#service-mumble [data-action=%q]`, action)) {
			t.Errorf("no %s action on the row", action)
		}
	}
	if strings.Contains(p.text("body"), password) {
		t.Error("the Services page shows the password again")
	}
	p.fitsWidth()
	p.screenshot(shots, "voice-active")
}
