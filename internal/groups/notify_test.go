package groups_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
)

// A member who asks, withdraws and asks again cannot flood a manager's
// notifications: the manager keeps one unread notice per group, counting the
// requests, and the notices the manager had before stay.
func TestRequestsCannotFloodAManagersNotifications(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *env) {
		st := settings.NewStore(e.site.DB, settings.NewRegistry(notifications.Settings), nil, 0)
		if err := st.Set(e.ctx, map[string]string{notifications.SettingMaxPerUser.Name: "5"}); err != nil {
			t.Fatal(err)
		}
		e.setting(groups.SettingNotifyManagers.Name, "true")
		m := e.member()
		boss := e.login()
		ns := notifications.NewStore(e.site.DB, st, nil)
		for _, title := range []string{"Fleet at 20:00", "Doctrine changed", "Welcome"} {
			if err := ns.Send(e.ctx, e.site.DB, boss.account, notifications.Notice{Level: notifications.Info, Title: title}); err != nil {
				t.Fatal(err)
			}
		}
		g := e.group(groups.Input{Name: "Recon", Managers: []int64{boss.account}})
		const asks = 8
		for range asks {
			act(t, m, path(g, "/join"), nil, 200, "sent to its managers")
			act(t, m, path(g, "/cancel"), url.Values{"kind": {"join"}}, 200)
		}
		list, err := ns.List(e.ctx, boss.account)
		if err != nil {
			t.Fatal(err)
		}
		var requests []notifications.Notification
		var others []string
		for _, n := range list {
			if n.TitleKey == "groups.notice.group_request.title" {
				requests = append(requests, n)
			} else {
				others = append(others, n.Title)
			}
		}
		if len(requests) != 1 || requests[0].Count != asks || requests[0].Read {
			t.Fatalf("the manager's request notices: %+v, want one unread counting %d", requests, asks)
		}
		if strings.Join(others, ",") != "Welcome,Doctrine changed,Fleet at 20:00" {
			t.Errorf("the manager's earlier notices: %v, want all three", others)
		}
		body := get(t, boss, "/notifications", 200)
		if !strings.Contains(body, esc(m.name)+" asks to join Recon.") || !strings.Contains(body, `data-count="8"`) {
			t.Errorf("the coalesced notice is not shown with its count:\n%s", excerpt(body))
		}
		// Once read, the next request is news again.
		boss.b.Post(t, "/notifications/read-all", nil)
		act(t, m, path(g, "/join"), nil, 200, "sent to its managers")
		if n, _ := ns.Unread(e.ctx, boss.account); n != 1 {
			t.Errorf("unread after reading and one more request: %d", n)
		}
	})
}
