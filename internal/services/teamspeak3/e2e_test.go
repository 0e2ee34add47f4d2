package teamspeak3_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/web"
)

// A member activates TeamSpeak: the page shows a ts3server:// link with
// their nickname and a privilege key; their TeamSpeak client joins with
// it; "Check again" finds them and gives their groups; the link no longer
// carries the key. Later group changes reach them, "Friends" given on
// TeamSpeak stays; losing access kicks them and deletes their record.
func TestMemberJoinsWithKeyAndFollowsGroups(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		fleet := w.site.OpenGroup(t, "Fleet Command")
		m := w.member(t)
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)

		link := w.activate(t, m)
		q := link.Query()
		key := q.Get("token")
		if link.Scheme != "ts3server" || link.Host != "ts.example.org" || q.Get("port") != "9987" ||
			q.Get("nickname") != w.nick(t, m) || key == "" {
			t.Fatalf("join link %s; want nickname %q and a key", link, w.nick(t, m))
		}
		keys := w.ts.Keys()
		if len(keys) != 1 || keys[0].Token != key || keys[0].ID1 != w.ts.GroupID("Member") {
			t.Fatalf("keys on the server %+v", keys)
		}
		ctx := context.Background()
		var state string
		if err := w.site.DB.QueryRow(ctx, `SELECT state FROM service_accounts WHERE account_id = $1`, m.AccountID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		if state == "" || strings.Contains(state, key) {
			t.Fatalf("the key is not sealed at rest: %s", state)
		}

		dbid, _, err := w.ts.Redeem(key, w.nick(t, m))
		if err != nil {
			t.Fatal(err)
		}
		w.checkAgain(t, m)
		if got := w.ts.ClientGroups(dbid); !slices.Equal(got, []string{"Fleet Command", "Member"}) {
			t.Fatalf("groups after joining %v", got)
		}
		if l := w.link(t, m); l.Query().Get("token") != "" {
			t.Fatalf("the link still has the used key: %s", l)
		}

		if err := w.ts.SetClientGroup(dbid, w.ts.GroupID("Friends"), true); err != nil {
			t.Fatal(err)
		}
		m.Browser.LeaveGroup(t, fleet)
		w.site.SettleServices(t)
		if got := w.ts.ClientGroups(dbid); !slices.Equal(got, []string{"Friends", "Member"}) {
			t.Fatalf("groups after leaving %v", got)
		}
		m.Browser.JoinGroup(t, fleet)
		w.site.SettleServices(t)
		if got := w.ts.ClientGroups(dbid); !slices.Equal(got, []string{"Fleet Command", "Friends", "Member"}) {
			t.Fatalf("groups after joining again %v", got)
		}

		// The Guest state loses the permission: kicked and deleted.
		w.site.RevokeGuests(t, w.inst.Permission())
		if _, err := w.svc.SyncAccount(ctx, w.inst.ID, m.AccountID, "test: permission removed"); err != nil {
			t.Fatal(err)
		}
		w.site.SettleServices(t)
		if w.ts.Online(dbid) {
			t.Error("still online after losing access")
		}
		if _, ok := w.ts.ClientByDBID(dbid); ok {
			t.Error("the client record is still on the server")
		}
		var n int
		if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM service_accounts WHERE account_id = $1`, m.AccountID).Scan(&n); err != nil || n != 0 {
			t.Errorf("service accounts left: %d, %v", n, err)
		}
	})
}

// A member who deactivates before redeeming: the key is deleted on the
// server. One whose client record an admin deleted on TeamSpeak is found
// gone by verification and unlinked.
func TestDeactivateAndGone(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		m := w.member(t)
		w.activate(t, m)
		if p := m.Browser.Post(t, "/services/teamspeak/deactivate", url.Values{web.ConfirmField: {web.ConfirmYes}}); p.Status != http.StatusOK {
			t.Fatalf("deactivate: %d\n%s", p.Status, p.Body)
		}
		w.site.SettleServices(t)
		if keys := w.ts.Keys(); len(keys) != 0 {
			t.Fatalf("keys left after deactivating: %+v", keys)
		}

		o := w.member(t)
		key := w.activate(t, o).Query().Get("token")
		dbid, _, err := w.ts.Redeem(key, "Somebody")
		if err != nil {
			t.Fatal(err)
		}
		w.checkAgain(t, o)
		w.ts.DeleteClient(dbid)
		rep, err := w.svc.Verify(ctx, w.inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Gone != 1 {
			t.Fatalf("verification: %+v", rep)
		}
		if p := o.Browser.Get(t, "/services"); joinLink.MatchString(p.Body) {
			t.Error("the gone account still shows its join link")
		}
	})
}
