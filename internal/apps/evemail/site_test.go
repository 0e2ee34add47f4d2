package evemail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The whole way on a site: a holder of the settings role gives the
// core.mail token through EVE's SSO, chooses its character as the sender,
// and sends a test mail, which the site's job worker delivers to the
// simulated EVE; a second to a main with a CSPA charge is refused, and the
// send log shows it. A member without the role is refused the page.
func TestSettingsAdminSendsTestMails(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		admin := site.NewMember(t)
		if err := site.Accounts().SetRoles(ctx, admin.AccountID, []string{access.RoleSettings}, false); err != nil {
			t.Fatal(err)
		}
		other := site.NewMember(t)
		if p := other.Browser.Get(t, "/admin/evemail"); p.Status != http.StatusForbidden {
			t.Fatalf("a member without the settings role: %d", p.Status)
		}
		b := admin.Browser
		if p := b.Get(t, "/admin/evemail"); p.Status != 200 || !strings.Contains(p.Body, `id="no-candidates"`) {
			t.Fatalf("page before the mail token: %d", p.Status)
		}
		if p := b.Flow(t, "/sso/login/"+logins.Mail, admin.Character); p.Status != 200 {
			t.Fatalf("adding the mail token: %d", p.Status)
		}
		p := b.Get(t, "/admin/evemail")
		if p.Status != 200 || !strings.Contains(p.Body, `<option value="`+strconv.Itoa(int(admin.Character))+`"`) {
			t.Fatalf("the admin's character not offered as the sender: %d", p.Status)
		}
		if p := b.Post(t, "/admin/evemail/sender", url.Values{"character": {strconv.Itoa(int(other.Character))}}); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("a character without the mail token as the sender: %d", p.Status)
		}
		if p := b.Post(t, "/admin/evemail/sender", url.Values{"character": {strconv.Itoa(int(admin.Character))}}); p.Status != 200 ||
			!strings.Contains(p.Body, `id="current-sender"`) || !strings.Contains(p.Body, admin.Name) {
			t.Fatalf("choosing the sender: %d", p.Status)
		}
		if p := b.Post(t, "/admin/evemail/test", url.Values{"kind": {"invalid_token"}}); p.Status != 200 {
			t.Fatalf("test mail: %d", p.Status)
		}
		sitetest.WaitFor(t, "the test mail delivered", func() bool { return len(simMails(t, site, admin.Character)) == 1 })

		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/control/characters/%d/cspa", site.SimURL, admin.Character),
			strings.NewReader(`{"charge":5000}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("set a CSPA charge: %v %v", res, err)
		}
		res.Body.Close()
		if p := b.Post(t, "/admin/evemail/test", url.Values{"kind": {"missing_character"}}); p.Status != 200 {
			t.Fatalf("second test mail: %d", p.Status)
		}
		sitetest.WaitFor(t, "the refusal recorded", func() bool {
			p := b.Get(t, "/admin/evemail")
			return strings.Contains(p.Body, `data-status="refused_cspa"`) && strings.Contains(p.Body, "ContactCostNotApproved")
		})
		if n := len(simMails(t, site, admin.Character)); n != 1 {
			t.Errorf("%d mails received through the CSPA charge", n-1)
		}
	})
}

func simMails(t *testing.T, site *sitetest.Site, to int32) []json.RawMessage {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("%s/control/mails?to=%d", site.SimURL, to))
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	if err := json.Unmarshal([]byte(sitetest.Body(t, res)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}
