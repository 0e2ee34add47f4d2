package notifications_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// newAccount adds a bare account row for notifications to belong to.
func newAccount(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var id int64
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRow(context.Background(), `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ('x', 'standard', TRUE, FALSE, '', '', $1, $1) RETURNING id`, time.Now()).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSendReadDeleteAndTheMaximum(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := settings.NewStore(db, settings.NewRegistry(notifications.Settings), nil, 0)
		if err := st.Set(ctx, map[string]string{notifications.SettingMaxPerUser.Name: "3"}); err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		ns := notifications.NewStore(db, st, func() time.Time { clock = clock.Add(time.Second); return clock })
		me, other := newAccount(t, db), newAccount(t, db)

		for i, title := range []string{"one", "two", "three", "four"} {
			if err := ns.Send(ctx, db, me, notifications.Notice{Level: notifications.Info, Title: title, Message: "m"}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if err := ns.Send(ctx, db, other, notifications.Notice{Level: notifications.Danger, Title: "theirs"}); err != nil {
			t.Fatal(err)
		}
		list, err := ns.List(ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, n := range list {
			titles = append(titles, n.Title)
		}
		if strings.Join(titles, ",") != "four,three,two" {
			t.Errorf("kept %v, want the newest three, newest first", titles)
		}
		if n, _ := ns.Unread(ctx, me); n != 3 {
			t.Errorf("unread %d", n)
		}
		if err := ns.MarkRead(ctx, me, list[0].ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := ns.Unread(ctx, me); n != 2 {
			t.Errorf("unread after marking one: %d", n)
		}
		// Another member's notification is out of reach.
		theirs, _ := ns.List(ctx, other)
		if err := ns.MarkRead(ctx, me, theirs[0].ID); !errors.Is(err, notifications.ErrNotFound) {
			t.Errorf("marking another's: %v", err)
		}
		if err := ns.Delete(ctx, me, theirs[0].ID); !errors.Is(err, notifications.ErrNotFound) {
			t.Errorf("deleting another's: %v", err)
		}
		if err := ns.DeleteRead(ctx, me); err != nil {
			t.Fatal(err)
		}
		if list, _ := ns.List(ctx, me); len(list) != 2 {
			t.Errorf("%d left after deleting the read one", len(list))
		}
		if err := ns.MarkAllRead(ctx, me); err != nil {
			t.Fatal(err)
		}
		if n, _ := ns.Unread(ctx, me); n != 0 {
			t.Errorf("unread after marking all: %d", n)
		}
		// A merge hands the loser's notifications to the winner.
		if err := ns.MergeAccounts(ctx, db, me, other); err != nil {
			t.Fatal(err)
		}
		if list, _ := ns.List(ctx, me); len(list) != 3 {
			t.Errorf("%d after the merge", len(list))
		}
		// Bad notices are refused.
		if err := ns.Send(ctx, db, me, notifications.Notice{Level: "loud", Title: "x"}); err == nil {
			t.Error("unknown level accepted")
		}
		if err := ns.Send(ctx, db, me, notifications.Notice{Level: notifications.Info}); err == nil {
			t.Error("notice without a title accepted")
		}
	})
}

func TestNotificationsPageAndUnreadCount(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx := context.Background()
	a := site.AccountCharacters(t, 1)
	b := site.NewBrowser(t)
	b.LogIn(t, a[0])
	c, err := site.Accounts().Character(ctx, a[0])
	if err != nil {
		t.Fatal(err)
	}
	st := settings.NewStore(site.DB, settings.NewRegistry(notifications.Settings), nil, 0)
	ns := notifications.NewStore(site.DB, st, nil)
	if err := ns.Send(ctx, site.DB, c.AccountID, notifications.Notice{Level: notifications.Warning,
		TitleKey: "accounts.notice.removed.title", MessageKey: "accounts.notice.removed.deleted-biomassed", Args: map[string]string{"Character": "Ann <Alt>"}}); err != nil {
		t.Fatal(err)
	}
	if err := ns.Send(ctx, site.DB, c.AccountID, notifications.Notice{Level: notifications.Info, Title: "Fleet at 20:00", Message: "Form up in Jita"}); err != nil {
		t.Fatal(err)
	}

	// The top bar's count, as htmx asks for it, refreshing itself.
	b.Header.Set("HX-Request", "true")
	p := b.Get(t, "/notifications/unread")
	b.Header.Del("HX-Request")
	if !strings.Contains(p.Body, `data-unread="2"`) || !strings.Contains(p.Body, `hx-trigger="every 30s"`) {
		t.Errorf("unread fragment: %s", p.Body)
	}
	if p := b.Get(t, "/notifications/unread"); p.Body != "{\"unread\":2}\n" {
		t.Errorf("unread as JSON: %q", p.Body)
	}
	// Keepstar's notices are shown in the reader's language, arguments
	// escaped.
	p = b.Get(t, "/notifications")
	if !strings.Contains(p.Body, "Ann &lt;Alt&gt; was biomassed in EVE") || !strings.Contains(p.Body, "Form up in Jita") {
		t.Fatalf("notifications page:\n%s", p.Body)
	}
	b.Header.Set("Accept-Language", "de")
	if p := b.Get(t, "/notifications"); strings.Contains(p.Body, "was biomassed in EVE") {
		t.Error("a German reader sees the English notice")
	}
	b.Header.Del("Accept-Language")
	list, err := ns.List(ctx, c.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	b.Post(t, "/notifications/"+itoa(list[1].ID)+"/read", nil)
	if n, _ := ns.Unread(ctx, c.AccountID); n != 1 {
		t.Errorf("unread after marking one read: %d", n)
	}
	b.Post(t, "/notifications/"+itoa(list[0].ID)+"/delete", nil)
	p = b.Get(t, "/api/me/notifications")
	if !strings.Contains(p.Body, `"title":"A character was removed from your account"`) || strings.Contains(p.Body, "Jita") {
		t.Errorf("JSON after delete: %s", p.Body)
	}
	// Someone else's notification cannot be touched.
	other := site.NewBrowser(t)
	other.LogIn(t, site.AccountCharacters(t, 1, a...)[0])
	if p := other.Post(t, "/notifications/"+itoa(list[1].ID)+"/delete", nil); p.Status != 404 {
		t.Errorf("deleting another member's notification: %d", p.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Past the maximum, the oldest notices are dropped, but never an unread
// security notice; notices with a coalescing key update the recipient's
// unread one instead of adding rows.
func TestSecurityNoticesStayAndCoalescedNoticesCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := settings.NewStore(db, settings.NewRegistry(notifications.Settings), nil, 0)
		if err := st.Set(ctx, map[string]string{notifications.SettingMaxPerUser.Name: "3"}); err != nil {
			t.Fatal(err)
		}
		clock := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
		ns := notifications.NewStore(db, st, func() time.Time { clock = clock.Add(time.Second); return clock })
		me, other := newAccount(t, db), newAccount(t, db)
		send := func(account int64, n notifications.Notice) {
			t.Helper()
			if err := ns.Send(ctx, db, account, n); err != nil {
				t.Fatal(err)
			}
		}
		titles := func(account int64) string {
			t.Helper()
			list, err := ns.List(ctx, account)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range list {
				s := n.Title
				if n.Count != 1 {
					s += "×" + strconv.Itoa(n.Count)
				}
				if n.Security {
					s += "!"
				}
				out = append(out, s)
			}
			return strings.Join(out, ",")
		}

		send(me, notifications.Notice{Level: notifications.Warning, Title: "moved", Security: true})
		send(me, notifications.Notice{Level: notifications.Warning, Title: "read security", Security: true})
		list, _ := ns.List(ctx, me)
		if err := ns.MarkRead(ctx, me, list[0].ID); err != nil {
			t.Fatal(err)
		}
		for _, title := range []string{"a", "b", "c", "d"} {
			send(me, notifications.Notice{Level: notifications.Info, Title: title})
		}
		// The unread security notice stays and does not count; the read
		// one is dropped as any other.
		if got := titles(me); got != "d,c,b,moved!" {
			t.Errorf("kept %s, want d,c,b,moved!", got)
		}

		// Ten requests about one group: one notice, counting them, with
		// the latest text and time; another group's is its own.
		for i := range 10 {
			send(me, notifications.Notice{Level: notifications.Info, Title: "request " + strconv.Itoa(i), Coalesce: "group_request:7"})
		}
		send(me, notifications.Notice{Level: notifications.Info, Title: "other group", Coalesce: "group_request:8"})
		if got := titles(me); got != "other group,request 9×10,d,moved!" {
			t.Errorf("after the requests: %s", got)
		}
		if n, _ := ns.Unread(ctx, me); n != 4 {
			t.Errorf("unread %d, want 4", n)
		}
		// Read, the notice is history: the next request is a new one.
		list, _ = ns.List(ctx, me)
		if err := ns.MarkRead(ctx, me, list[1].ID); err != nil {
			t.Fatal(err)
		}
		send(me, notifications.Notice{Level: notifications.Info, Title: "request 10", Coalesce: "group_request:7"})
		if got := titles(me); got != "request 10,other group,request 9×10,moved!" {
			t.Errorf("after reading and one more request: %s", got)
		}
		// A key is the recipient's own: another member's is apart.
		send(other, notifications.Notice{Level: notifications.Info, Title: "theirs", Coalesce: "group_request:7"})
		if got := titles(other); got != "theirs" {
			t.Errorf("the other member's: %s", got)
		}
		// A merge keeps both unread notices of one key, each its own.
		if err := ns.MergeAccounts(ctx, db, me, other); err != nil {
			t.Fatal(err)
		}
		if got := titles(me); got != "theirs,request 10,other group,request 9×10,moved!" {
			t.Errorf("after the merge: %s", got)
		}
		send(me, notifications.Notice{Level: notifications.Info, Title: "request 11", Coalesce: "group_request:7"})
		if got := titles(me); got != "request 11×2,theirs,other group,moved!" {
			t.Errorf("a request after the merge: %s", got)
		}
	})
}
