package services_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// world is a site with the in-memory service as instance "chat", open to
// Guests, and a member logged in.
type world struct {
	site    *sitetest.Site
	mem     *memoryservice.Server
	svc     *services.Services
	inst    services.Instance
	browser *sitetest.Browser
	account int64
	char    int32
}

// eachEngine runs fn on each engine, side by side.
var eachEngine = storetest.EachDialect

func newWorld(t *testing.T, d config.Dialect) *world {
	t.Helper()
	ctx := context.Background()
	mem := memoryservice.New()
	logs := &sitetest.LogBuffer{}
	site := sitetest.Start(t, sitetest.Options{Dialect: d, ServiceTypes: []services.TypeConstructor{mem.Type}, Log: logs})
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	w := &world{site: site, mem: mem, svc: site.Services(t, mem.Type)}
	inst, err := w.svc.Create(ctx, services.Input{Slug: "chat", Type: memoryservice.TypeName, Name: "Chat"})
	if err != nil {
		t.Fatal(err)
	}
	if w.inst, err = w.svc.Update(ctx, inst.ID, services.Input{Name: "Chat", Enabled: true, MapByName: true}); err != nil {
		t.Fatal(err)
	}
	// Before anyone links: the state's permissions need no sync yet.
	if _, err := site.DB.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, $1 FROM states WHERE guest UNION SELECT id, 'groups.request' FROM states WHERE guest`, inst.Permission()); err != nil {
		t.Fatal(err)
	}
	w.char = site.AccountCharacters(t, 1)[0]
	w.browser = site.NewBrowser(t)
	w.browser.LogIn(t, w.char)
	c, err := site.Accounts().Character(ctx, w.char)
	if err != nil {
		t.Fatal(err)
	}
	w.account = c.AccountID
	return w
}

// activate makes the member's account on the service through the page,
// and gives its id there.
func (w *world) activate(t *testing.T) string {
	t.Helper()
	p := w.browser.Post(t, "/services/chat/activate", url.Values{})
	if p.Status != http.StatusOK || !strings.Contains(p.Body, `id="credentials-password"`) {
		t.Fatalf("activate: %d\n%s", p.Status, p.Body)
	}
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the password may be cached: Cache-Control %q", p.Header.Get("Cache-Control"))
	}
	acct, err := w.svc.AccountOf(context.Background(), w.inst.ID, w.account)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := w.mem.Account(acct.ExternalID)
	if !ok {
		t.Fatal("no account made on the service")
	}
	if !strings.Contains(p.Body, got.Password) || len(got.Password) < 16 {
		t.Errorf("the page does not show the password set (%q)", got.Password)
	}
	return acct.ExternalID
}

// group makes an open group the member may join.
func (w *world) group(t *testing.T, name string) int64 {
	t.Helper()
	g, err := groups.New(w.site.DB, groups.Options{Queue: w.site.Queue()}).Create(context.Background(), groups.Input{Name: name, Open: true, Public: true})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// settle waits until no sync or verification is waiting or running.
func (w *world) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := w.site.DB.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind IN ('services_sync', 'services_verify')
			AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d service jobs still waiting after a minute", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *world) groupsThere(t *testing.T, id string) []string {
	t.Helper()
	a, ok := w.mem.Account(id)
	if !ok {
		t.Fatalf("account %s is not on the service", id)
	}
	return a.Groups
}

func (w *world) audit(t *testing.T) []services.Entry {
	t.Helper()
	es, err := w.svc.Audit(context.Background(), services.AuditFilter{InstanceID: w.inst.ID})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestJoiningAndLeavingAGroupFollowOnTheService(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		id := w.activate(t)
		fleet := w.group(t, "Fleet")
		if p := w.browser.Post(t, "/groups/"+strconv.FormatInt(fleet, 10)+"/join", url.Values{}); p.Status != http.StatusOK {
			t.Fatalf("join: %d", p.Status)
		}
		w.settle(t)
		if got := w.groupsThere(t, id); !slices.Equal(got, []string{"Fleet"}) {
			t.Errorf("after joining: groups there %q, want [Fleet]", got)
		}
		if p := w.browser.Post(t, "/groups/"+strconv.FormatInt(fleet, 10)+"/leave", url.Values{}); p.Status != http.StatusOK {
			t.Fatalf("leave: %d", p.Status)
		}
		w.settle(t)
		if got := w.groupsThere(t, id); len(got) != 0 {
			t.Errorf("after leaving: groups there %q, want none", got)
		}
		// Every change is in the log, with why.
		var updates []string
		for _, e := range w.audit(t) {
			if e.Action == services.ActionUpdate {
				updates = append(updates, e.Detail+" ("+e.Reason+")")
			}
		}
		if len(updates) != 2 || !strings.Contains(updates[1], "+Fleet") || !strings.Contains(updates[0], "−Fleet") {
			t.Errorf("audit log updates %q, want +Fleet then −Fleet", updates)
		}
		// Nothing was asked of the service that it already had: one
		// create and one apply per change.
		applies := 0
		for _, c := range w.mem.Calls() {
			if c.Op == "apply" && c.Account == id {
				applies++
			}
		}
		if applies != 2 {
			t.Errorf("%d applies for two changes", applies)
		}
	})
}

func TestASyncIsQueuedInTheChangesTransactionAndCoalesced(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		w.activate(t)
		w.settle(t)
		// Stop the site's workers: the jobs queued stay to be counted.
		w.site.Stop()
		ctx := context.Background()
		follow := w.svc.Follower()
		for _, why := range []string{"group-added", "group-added"} {
			if err := w.site.DB.InTx(ctx, func(tx *store.Tx) error { return follow(ctx, tx, []int64{w.account}, why) }); err != nil {
				t.Fatal(err)
			}
		}
		var jobs int
		if err := w.site.DB.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'services_sync' AND state = 'available'`).Scan(&jobs); err != nil {
			t.Fatal(err)
		}
		if jobs != 1 {
			t.Errorf("%d sync jobs waiting after two changes, want one", jobs)
		}
		var wanted, synced int64
		if err := w.site.DB.QueryRow(ctx, `SELECT wanted, synced FROM service_accounts WHERE account_id = $1`, w.account).Scan(&wanted, &synced); err != nil {
			t.Fatal(err)
		}
		if wanted <= synced {
			t.Errorf("wanted %d, synced %d: the changes are not marked as pending", wanted, synced)
		}
		// A change rolled back leaves no job and no mark.
		before := wanted
		err := w.site.DB.InTx(ctx, func(tx *store.Tx) error {
			if err := follow(ctx, tx, []int64{w.account}, "test"); err != nil {
				return err
			}
			return errRollback
		})
		if err != errRollback {
			t.Fatal(err)
		}
		if err := w.site.DB.QueryRow(ctx, `SELECT wanted FROM service_accounts WHERE account_id = $1`, w.account).Scan(&wanted); err != nil {
			t.Fatal(err)
		}
		if wanted != before {
			t.Errorf("a rolled back change raised wanted from %d to %d", before, wanted)
		}
	})
}

var errRollback = fmt.Errorf("roll back")

func TestVerificationRepairsDriftAndForgetsAccountsGoneFromTheService(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		id := w.activate(t)
		w.settle(t)
		// By hand on the service: a group Keepstar manages, and one the
		// instance leaves alone.
		w.mem.AddGroup(id, "Hand")
		w.mem.AddGroup(id, "Friends")
		inst := w.inst
		if _, err := w.svc.Update(ctx, inst.ID, services.Input{Name: inst.Name, Enabled: true, MapByName: true, Unmanaged: []string{"friends"}}); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: inst.ID})
		w.settle(t)
		if got := w.groupsThere(t, id); !slices.Equal(got, []string{"Friends"}) {
			t.Errorf("after verification: groups there %q, want the unmanaged [Friends] only", got)
		}
		v, err := w.svc.InstanceByID(ctx, inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.VerifiedAt.IsZero() || v.VerifyError != "" {
			t.Errorf("verification not recorded: at %v, error %q", v.VerifiedAt, v.VerifyError)
		}
		// Deleted by hand on the service: the link is forgotten.
		w.mem.Delete(id)
		w.site.RunJob(t, services.VerifyArgs{Instance: inst.ID})
		if _, err := w.svc.AccountOf(ctx, inst.ID, w.account); err != services.ErrNoAccount {
			t.Errorf("account gone from the service: AccountOf gives %v, want ErrNoAccount", err)
		}
		if es := w.audit(t); !slices.ContainsFunc(es, func(e services.Entry) bool { return e.Action == services.ActionUnlink }) {
			t.Errorf("no unlink in the audit log: %+v", es)
		}
	})
}

func TestLosingAccessRemovesTheAccountOnTheService(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		id := w.activate(t)
		w.settle(t)
		// Taken away without any change being told (by hand in the
		// database): verification finds it.
		if _, err := w.site.DB.Exec(ctx, `DELETE FROM state_permissions WHERE permission = $1`, w.inst.Permission()); err != nil {
			t.Fatal(err)
		}
		w.site.RunJob(t, services.VerifyArgs{Instance: w.inst.ID})
		w.settle(t)
		if _, ok := w.mem.Account(id); ok {
			t.Error("the account is still on the service")
		}
		if _, err := w.svc.AccountOf(ctx, w.inst.ID, w.account); err != services.ErrNoAccount {
			t.Errorf("AccountOf gives %v, want ErrNoAccount", err)
		}
		if p := w.browser.Get(t, "/services"); strings.Contains(p.Body, `data-service="chat"`) {
			t.Error("the Services page still offers the service")
		}
		if p := w.browser.Post(t, "/services/chat/activate", url.Values{}); p.Status != http.StatusForbidden {
			t.Errorf("activate without the permission: %d, want 403", p.Status)
		}
	})
}

func TestAServiceDownLosesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		id := w.activate(t)
		w.settle(t)
		w.mem.SetDown(true)
		var gids []int64
		for i := range 3 {
			g := w.group(t, fmt.Sprintf("Wing %d", i))
			gids = append(gids, g)
			if p := w.browser.Post(t, "/groups/"+strconv.FormatInt(g, 10)+"/join", url.Values{}); p.Status != http.StatusOK {
				t.Fatalf("join: %d", p.Status)
			}
		}
		// The sync ran and was refused: the account says so, and the
		// change waits.
		deadline := time.Now().Add(30 * time.Second)
		for {
			acct, err := w.svc.AccountOf(ctx, w.inst.ID, w.account)
			if err != nil {
				t.Fatal(err)
			}
			if acct.Status == services.StatusError {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the failed sync is not recorded")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if p := w.browser.Get(t, "/services"); !strings.Contains(p.Body, `data-field="problem"`) {
			t.Error("the Services page does not tell the member their account is not up to date")
		}
		w.mem.SetDown(false)
		w.settle(t)
		if got := w.groupsThere(t, id); !slices.Equal(got, []string{"Wing 0", "Wing 1", "Wing 2"}) {
			t.Errorf("after the service came back: groups there %q", got)
		}
		acct, err := w.svc.AccountOf(ctx, w.inst.ID, w.account)
		if err != nil {
			t.Fatal(err)
		}
		if acct.Status != services.StatusOK {
			t.Errorf("status %q after the service came back", acct.Status)
		}
	})
}

func TestMembersSetResetAndDeactivateTheirAccount(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		id := w.activate(t)
		before, _ := w.mem.Account(id)
		p := w.browser.Post(t, "/services/chat/password", url.Values{"reset": {"1"}})
		after, _ := w.mem.Account(id)
		if p.Status != http.StatusOK || after.Password == before.Password || !strings.Contains(p.Body, after.Password) {
			t.Errorf("reset: %d, password changed %v, shown %v", p.Status, after.Password != before.Password, strings.Contains(p.Body, after.Password))
		}
		p = w.browser.Post(t, "/services/chat/password", url.Values{"password": {"correct horse battery"}})
		if a, _ := w.mem.Account(id); p.Status != http.StatusOK || a.Password != "correct horse battery" {
			t.Errorf("set: %d, password there %q", p.Status, a.Password)
		}
		for _, bad := range []string{"short", strings.Repeat("x", 65)} {
			if p := w.browser.Post(t, "/services/chat/password", url.Values{"password": {bad}}); p.Status != http.StatusBadRequest {
				t.Errorf("password of %d characters: %d, want 400", len(bad), p.Status)
			}
		}
		if p := w.browser.Post(t, "/services/chat/deactivate", url.Values{}); p.Status != http.StatusBadRequest {
			t.Errorf("deactivate without confirming: %d, want 400", p.Status)
		}
		if _, ok := w.mem.Account(id); !ok {
			t.Fatal("an unconfirmed deactivation removed the account")
		}
		if p := w.browser.Post(t, "/services/chat/deactivate", url.Values{"confirm": {"yes"}}); p.Status != http.StatusOK {
			t.Errorf("deactivate: %d", p.Status)
		}
		if _, ok := w.mem.Account(id); ok {
			t.Error("the account is still on the service after deactivation")
		}
		es := w.audit(t)
		actions := make([]string, len(es))
		for i, e := range es {
			actions[i] = e.Action
		}
		if !slices.Equal(actions[:4], []string{"remove", "password", "password", "link"}) {
			t.Errorf("audit log, newest first: %q", actions)
		}
	})
}
