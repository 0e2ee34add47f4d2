package services_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
)

// serviceCard gives the dashboard's card of the service at path, or "".
func serviceCard(dash, path string) string {
	i := strings.Index(dash, `href="`+path+`" data-kind="service"`)
	if i < 0 {
		return ""
	}
	i = strings.LastIndex(dash[:i], "<a ")
	end := strings.Index(dash[i:], "</a>")
	if end < 0 {
		return dash[i:]
	}
	return dash[i : i+end]
}

// The dashboard shows a card per service the member may use: the call to
// action while they have no account there, the name they are linked as,
// and what went wrong when their account's last change failed. The
// Services menu entry gets no card of its own beside them.
func TestTheDashboardShowsEachServiceAndItsProblem(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		dash := w.browser.Get(t, "/dashboard").Body
		c := serviceCard(dash, "/services#service-chat")
		if !strings.Contains(c, `data-status="services.card.not_linked"`) || !strings.Contains(c, ">Chat<") ||
			!strings.Contains(c, "You have no account there yet.") || !strings.Contains(c, `data-field="action">Activate<`) ||
			strings.Contains(c, "data-problem") {
			t.Errorf("the card of a service not activated yet:\n%s\nin\n%s", c, dash)
		}
		if strings.Contains(dash, `href="/services" data-kind="service"`) {
			t.Error("the Services menu entry has a card beside the service's")
		}

		id := w.activate(t)
		acct, _ := w.mem.Account(id)
		c = serviceCard(w.browser.Get(t, "/dashboard").Body, "/services#service-chat")
		if !strings.Contains(c, `data-status="services.card.linked"`) || !strings.Contains(c, "Linked as "+acct.Name) ||
			strings.Contains(c, "data-action") || strings.Contains(c, "data-problem") {
			t.Errorf("the card of a service linked:\n%s", c)
		}

		// The service is down when the member sets a password: the change
		// failed, and the dashboard says so and why. (The link's own sync
		// first: one finding the account right would record it so.)
		w.settle(t)
		w.mem.SetDown(true)
		if p := w.browser.Post(t, "/services/chat/password", url.Values{"reset": {"1"}}); p.Status != http.StatusServiceUnavailable {
			t.Fatalf("a new password while the service is down: %d", p.Status)
		}
		c = serviceCard(w.browser.Get(t, "/dashboard").Body, "/services#service-chat")
		if !strings.Contains(c, `data-status="services.card.problem"`) || !strings.Contains(c, `data-problem="true"`) ||
			!strings.Contains(c, "border-warning") || !strings.Contains(c, "Not up to date: memory service is down") {
			t.Errorf("the card of a service account in error:\n%s", c)
		}
	})
}
