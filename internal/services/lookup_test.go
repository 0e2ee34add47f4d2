package services_test

import (
	"context"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
)

// pinger is what a feature asks of connectors (the group pings' Pinger).
type pinger interface {
	Ping(ctx context.Context, to []services.Account, message string) (int, error)
}

// TestLookups: the enabled instances whose connector passes a check, an
// instance's live connector, and the active service accounts of some
// accounts, on both engines.
func TestLookups(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		w := newWorld(t, d)
		isPinger := func(c services.Connector) bool { _, ok := c.(pinger); return ok }
		list, err := w.svc.EnabledWhere(ctx, isPinger)
		if err != nil || len(list) != 1 || list[0].ID != w.inst.ID {
			t.Fatalf("enabled pingers %+v (%v)", list, err)
		}
		if list, _ := w.svc.EnabledWhere(ctx, func(services.Connector) bool { return false }); len(list) != 0 {
			t.Errorf("a check refusing all kept %+v", list)
		}
		inst, conn, err := w.svc.Connector(ctx, w.inst.ID)
		if err != nil || inst.Slug != "chat" || !isPinger(conn) {
			t.Fatalf("connector of chat: %v %v", conn, err)
		}

		// One account active, one in error, one without any, one unknown.
		ext := w.activate(t)
		w.site.SettleServices(t)
		other := w.site.AccountCharacters(t, 1, w.char)[0]
		b := w.site.NewBrowser(t)
		b.LogIn(t, other)
		c, err := w.site.Accounts().Character(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.svc.ActiveAccounts(ctx, w.inst.ID, []int64{c.AccountID, w.account, 999999})
		if err != nil || len(got) != 1 || got[0].AccountID != w.account || got[0].ExternalID != ext {
			t.Fatalf("active accounts %+v (%v)", got, err)
		}
		if got, err := w.svc.ActiveAccounts(ctx, w.inst.ID, nil); err != nil || len(got) != 0 {
			t.Errorf("no accounts asked: %+v (%v)", got, err)
		}
		if _, err := w.site.DB.Exec(ctx, `UPDATE service_accounts SET status = 'error' WHERE account_id = $1`, w.account); err != nil {
			t.Fatal(err)
		}
		if got, _ := w.svc.ActiveAccounts(ctx, w.inst.ID, []int64{w.account}); len(got) != 0 {
			t.Errorf("an account in error is active: %+v", got)
		}
		n, err := conn.(pinger).Ping(ctx, []services.Account{{ExternalID: ext}, {ExternalID: "gone"}}, "hello")
		if err != nil || n != 1 || len(w.mem.Pings(ext)) != 1 {
			t.Errorf("ping: %d %v %q", n, err, w.mem.Pings(ext))
		}
		w.mem.SetDown(true)
		if n, err := conn.(pinger).Ping(ctx, []services.Account{{ExternalID: ext}}, "x"); n != 0 || err == nil {
			t.Errorf("a ping while down: %d %v", n, err)
		}
		w.mem.SetDown(false)

		// A disabled instance is neither listed nor opened.
		if _, err := w.svc.Update(ctx, w.inst.ID, services.Input{Name: "Chat", MapByName: true}); err != nil {
			t.Fatal(err)
		}
		if list, _ := w.svc.EnabledWhere(ctx, isPinger); len(list) != 0 {
			t.Errorf("a disabled instance listed: %+v", list)
		}
		if _, _, err := w.svc.Connector(ctx, w.inst.ID); err == nil {
			t.Error("a disabled instance's connector opened")
		}
	})
}
