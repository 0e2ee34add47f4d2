package srp_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// Raven is the hull the tests lose: the simulator's static market has
// its price.
const raven = 638

func ravenPrice(t *testing.T) float64 {
	t.Helper()
	for _, p := range universe.MarketPrices() {
		if p.TypeID == raven {
			return p.AveragePrice
		}
	}
	t.Fatal("no price of the Raven")
	return 0
}

func grant(t *testing.T, site *sitetest.Site, m *sitetest.Member, perms ...string) {
	t.Helper()
	if err := site.Accounts().SetPermissions(context.Background(), m.AccountID, perms); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openFleet opens a fleet on the page as the officer and gives its id.
func openFleet(t *testing.T, officer *sitetest.Member, name string) int64 {
	t.Helper()
	p := officer.Browser.Post(t, "/srp/fleets", url.Values{"name": {name}, "doctrine": {"Ravens"},
		"commander": {"Boss"}, "fleet_time": {"2026-12-01T19:00"}})
	if p.Status != http.StatusOK || !strings.Contains(p.URL, "/srp/fleets/") || !strings.Contains(p.Body, `id="srp-code"`) {
		t.Fatalf("open fleet: %d at %s %s", p.Status, p.URL, p.Body)
	}
	id, err := strconv.ParseInt(p.URL[strings.LastIndex(p.URL, "/")+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// lose records a killmail of victim's Raven in the simulator.
func lose(t *testing.T, site *sitetest.Site, victim, attacker int32) (int64, string) {
	t.Helper()
	id, hash, err := site.Sim.Universe.AddKillmail(victim, []int32{attacker}, raven, 30000142)
	if err != nil {
		t.Fatal(err)
	}
	return id, hash
}

// A member files a loss with an ESI link and it shows with the Raven's
// value; someone else's loss, the same loss twice, a wrong hash and
// links that are no killmail's are refused with a message, nothing
// written; an officer approves and rejects, the members are notified, the
// totals add up and the CSV holds the approved payout.
func TestRequestLifecycle(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		officer, member, other, outsider := site.NewMember(t), site.NewMember(t), site.NewMember(t), site.NewMember(t)
		grant(t, site, officer, srp.PermissionManage.Name)
		grant(t, site, member, srp.PermissionAccess.Name)
		grant(t, site, other, srp.PermissionAccess.Name)

		// Bad fleet input: 422 with the problems, nothing made.
		p := officer.Browser.Post(t, "/srp/fleets", url.Values{"name": {" "}, "doctrine": {"x"}, "commander": {"y"}, "fleet_time": {"soon"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Give the fleet a name") ||
			!strings.Contains(p.Body, "(EVE time) as date and time") {
			t.Fatalf("bad fleet: %d", p.Status)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM srp_fleets`); n != 0 {
			t.Fatalf("%d fleets after a refused form", n)
		}
		fleet := openFleet(t, officer, "Stratop <Jita>")
		fleetPath := "/srp/fleets/" + strconv.FormatInt(fleet, 10)
		if p := member.Browser.Get(t, "/srp"); p.Status != 200 || !strings.Contains(p.Body, "Stratop &lt;Jita&gt;") {
			t.Fatalf("member's list: %d", p.Status)
		}

		kill, hash := lose(t, site, member.Character, other.Character)
		esiLink := fmt.Sprintf("https://esi.evetech.net/latest/killmails/%d/%s/", kill, hash)

		// Someone else's loss.
		p = other.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {esiLink}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "was not flown by one of your characters") {
			t.Fatalf("someone else's loss: %d", p.Status)
		}
		// Malformed links and a wrong hash.
		for _, bad := range []string{"", "kill 123", "https://example.com/killmails/1/" + hash, fmt.Sprintf("https://esi.evetech.net/killmails/%d/xyz/", kill)} {
			if p := member.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {bad}}); p.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(p.Body, "Give a killmail link") {
				t.Errorf("link %q: %d", bad, p.Status)
			}
		}
		wrong := fmt.Sprintf("https://esi.evetech.net/killmails/%d/%s", kill, strings.Repeat("a", 40))
		if p := member.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {wrong}}); p.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.Body, "ESI does not know a killmail") {
			t.Errorf("wrong hash: %d", p.Status)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM srp_requests`); n != 0 {
			t.Fatalf("%d requests after refusals", n)
		}

		// The member's own loss, accepted with the Raven's value.
		p = member.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {esiLink}, "additional": {"=cmd|calc"}})
		if p.Status != 200 || !strings.Contains(p.Body, "Your request is filed.") || !strings.Contains(p.Body, "Raven") ||
			!strings.Contains(p.Body, srp.ISK(ravenPrice(t))) {
			t.Fatalf("file: %d %s", p.Status, p.URL)
		}
		// Twice: refused, in any fleet.
		fleet2 := openFleet(t, officer, "Second")
		if p := member.Browser.Post(t, "/srp/fleets/"+strconv.FormatInt(fleet2, 10)+"/requests", url.Values{"link": {esiLink}}); p.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.Body, "already been filed") {
			t.Fatalf("twice: %d", p.Status)
		}
		var reqID int64
		var value float64
		if err := site.DB.QueryRow(context.Background(), `SELECT id, loss_value FROM srp_requests WHERE killmail_id = $1`, kill).Scan(&reqID, &value); err != nil {
			t.Fatal(err)
		}
		if value != ravenPrice(t) {
			t.Errorf("value %v, want %v", value, ravenPrice(t))
		}
		// A second member's loss, to reject.
		kill2, hash2 := lose(t, site, other.Character, member.Character)
		if p := other.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {fmt.Sprintf("https://esi.evetech.net/v1/killmails/%d/%s", kill2, hash2)}}); p.Status != 200 {
			t.Fatalf("other's request: %d", p.Status)
		}
		var req2 int64
		if err := site.DB.QueryRow(context.Background(), `SELECT id FROM srp_requests WHERE killmail_id = $1`, kill2).Scan(&req2); err != nil {
			t.Fatal(err)
		}
		// A member sees only their own requests on the fleet's page.
		if p := member.Browser.Get(t, fleetPath); strings.Contains(p.Body, fmt.Sprintf(`data-request="%d"`, req2)) ||
			!strings.Contains(p.Body, fmt.Sprintf(`data-request="%d"`, reqID)) {
			t.Error("member's view of the fleet")
		}

		// Decisions: bad ones refused, then approve and reject.
		decide := func(id int64) string { return "/srp/requests/" + strconv.FormatInt(id, 10) + "/decide" }
		for _, bad := range []url.Values{{"decision": {"maybe"}}, {"decision": {"approve"}, "payout": {"lots"}},
			{"decision": {"approve"}, "payout": {"-5"}}, {"decision": {"approve"}}} {
			if p := officer.Browser.Post(t, decide(reqID), bad); p.Status < 400 || p.Status > 499 {
				t.Errorf("decision %v: %d", bad, p.Status)
			}
		}
		if p := officer.Browser.Post(t, decide(999999), url.Values{"decision": {"reject"}}); p.Status != http.StatusNotFound {
			t.Errorf("unknown request: %d", p.Status)
		}
		if p := officer.Browser.Post(t, decide(reqID), url.Values{"decision": {"approve"}, "payout": {"150,000,000"}, "comment": {"+good fight"}}); p.Status != 200 ||
			!strings.Contains(p.Body, "150,000,000") {
			t.Fatalf("approve: %d", p.Status)
		}
		if p := officer.Browser.Post(t, decide(req2), url.Values{"decision": {"reject"}, "payout": {"1000"}, "comment": {"not doctrine"}}); p.Status != 200 {
			t.Fatalf("reject: %d", p.Status)
		}
		if p := member.Browser.Get(t, "/notifications"); !strings.Contains(p.Body, "is approved: 150,000,000 ISK") {
			t.Error("member not notified of the approval")
		}
		if p := other.Browser.Get(t, "/notifications"); !strings.Contains(p.Body, "is rejected") || !strings.Contains(p.Body, "not doctrine") {
			t.Error("other not notified of the rejection")
		}
		if n := count(t, site.DB, `SELECT count(*) FROM srp_requests WHERE id = $1 AND status = 'rejected' AND payout = 0`, req2); n != 1 {
			t.Error("a rejection keeps no payout")
		}

		// Totals, per fleet and per member.
		p = officer.Browser.Get(t, fleetPath)
		if !strings.Contains(p.Body, "Requests: 2; approved: 150,000,000 ISK") {
			t.Errorf("fleet total missing")
		}
		if !strings.Contains(p.Body, fmt.Sprintf(`<tr data-account="%d"><td class="text-break">`, member.AccountID)) {
			t.Errorf("member's total missing")
		}
		totals, err := srp.NewSRP(srp.Deps{DB: site.DB}).MemberTotals(context.Background(), 0)
		if err != nil || len(totals) != 2 || totals[0].AccountID != member.AccountID || totals[0].Payout != 150e6 ||
			totals[1].Approved != 0 || totals[1].Requests != 1 {
			t.Errorf("totals %+v, %v", totals, err)
		}

		// CSV: the approved request, formula-safe.
		p = officer.Browser.Get(t, fleetPath+"/csv")
		rows, err := csv.NewReader(strings.NewReader(p.Body)).ReadAll()
		if p.Status != 200 || err != nil || len(rows) != 2 || rows[1][0] != member.Name || rows[1][2] != "Raven" ||
			rows[1][5] != "150000000.00" || rows[1][6] != "'+good fight" {
			t.Errorf("csv: %d %v %q", p.Status, err, rows)
		}

		// Completing the fleet: members no longer see it nor file in it.
		if p := officer.Browser.Post(t, fleetPath+"/status", url.Values{"status": {"completed"}}); p.Status != 200 {
			t.Fatalf("complete: %d", p.Status)
		}
		if p := officer.Browser.Post(t, fleetPath+"/status", url.Values{"status": {"gone"}}); p.Status != http.StatusBadRequest {
			t.Errorf("bad status: %d", p.Status)
		}
		if p := member.Browser.Get(t, fleetPath); p.Status != http.StatusNotFound {
			t.Errorf("completed fleet for a member: %d", p.Status)
		}
		kill3, hash3 := lose(t, site, member.Character, other.Character)
		if p := officer.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {fmt.Sprintf("https://esi.evetech.net/killmails/%d/%s/", kill3, hash3)}}); p.Status != http.StatusConflict {
			t.Errorf("request in a completed fleet: %d", p.Status)
		}

		// Permissions: the outsider sees nothing; a member decides nothing.
		for _, path := range []string{"/srp", fleetPath, fleetPath + "/csv"} {
			if p := outsider.Browser.Get(t, path); p.Status != http.StatusForbidden {
				t.Errorf("outsider GET %s: %d", path, p.Status)
			}
		}
		if p := member.Browser.Get(t, fleetPath+"/csv"); p.Status != http.StatusForbidden {
			t.Errorf("member csv: %d", p.Status)
		}
		for path, form := range map[string]url.Values{
			"/srp/fleets":         {"name": {"x"}, "doctrine": {"x"}, "commander": {"x"}, "fleet_time": {"2026-12-01T19:00"}},
			decide(req2):          {"decision": {"approve"}, "payout": {"1"}},
			fleetPath + "/status": {"status": {"open"}},
			"/srp/fleets/" + strconv.FormatInt(fleet2, 10) + "/requests": {"link": {esiLink}},
		} {
			if p := outsider.Browser.Post(t, path, form); p.Status != http.StatusForbidden {
				t.Errorf("outsider POST %s: %d", path, p.Status)
			}
			if path != "/srp/fleets/"+strconv.FormatInt(fleet2, 10)+"/requests" {
				if p := member.Browser.Post(t, path, form); p.Status != http.StatusForbidden {
					t.Errorf("member POST %s: %d", path, p.Status)
				}
			}
		}
	})
}

// A zKillboard link is kept with the id and the page says to add the ESI
// link; another member may not add it; the member's ESI link of another
// killmail is refused, the right one reads the killmail.
func TestZKillboardLink(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		officer, member, other := site.NewMember(t), site.NewMember(t), site.NewMember(t)
		grant(t, site, officer, srp.PermissionManage.Name)
		grant(t, site, member, srp.PermissionAccess.Name)
		grant(t, site, other, srp.PermissionAccess.Name)
		fleetPath := "/srp/fleets/" + strconv.FormatInt(openFleet(t, officer, "Roam"), 10)
		kill, hash := lose(t, site, member.Character, other.Character)

		p := member.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {fmt.Sprintf("https://zkillboard.com/kill/%d/", kill)}})
		if p.Status != 200 || !strings.Contains(p.Body, "Keepstar cannot reach zKillboard") || !strings.Contains(p.Body, "Waiting for the ESI link") {
			t.Fatalf("zKillboard link: %d", p.Status)
		}
		var id int64
		var stored string
		if err := site.DB.QueryRow(context.Background(), `SELECT id, killmail_hash FROM srp_requests WHERE killmail_id = $1`, kill).Scan(&id, &stored); err != nil || stored != "" {
			t.Fatalf("stored %q, %v", stored, err)
		}
		// Not approvable yet.
		decide := "/srp/requests/" + strconv.FormatInt(id, 10) + "/decide"
		if p := officer.Browser.Post(t, decide, url.Values{"decision": {"approve"}, "payout": {"1"}}); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("approve unresolved: %d", p.Status)
		}
		linkPath := "/srp/requests/" + strconv.FormatInt(id, 10) + "/link"
		esiLink := fmt.Sprintf("https://esi.evetech.net/killmails/%d/%s/", kill, hash)
		if p := other.Browser.Post(t, linkPath, url.Values{"link": {esiLink}}); p.Status != http.StatusNotFound {
			t.Errorf("other adds the link: %d", p.Status)
		}
		otherKill, otherHash := lose(t, site, member.Character, other.Character)
		if p := member.Browser.Post(t, linkPath, url.Values{"link": {fmt.Sprintf("https://esi.evetech.net/killmails/%d/%s/", otherKill, otherHash)}}); p.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(p.Body, strconv.FormatInt(kill, 10)) {
			t.Errorf("another killmail's link: %d", p.Status)
		}
		if p := member.Browser.Post(t, linkPath, url.Values{"link": {esiLink}}); p.Status != 200 || !strings.Contains(p.Body, "Raven") {
			t.Fatalf("add link: %d", p.Status)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM srp_requests WHERE id = $1 AND killmail_hash = $2 AND loss_value = $3`, id, hash, ravenPrice(t)); n != 1 {
			t.Error("the link did not resolve the request")
		}
		// A zKillboard link of a killmail filed already is refused too.
		if p := other.Browser.Post(t, fleetPath+"/requests", url.Values{"link": {fmt.Sprintf("https://zkillboard.com/kill/%d/", kill)}}); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("zKillboard duplicate: %d", p.Status)
		}
	})
}

// Asking zKillboard is off by default; when on, a zKillboard link's hash
// comes from its API (a local server in its answer's shape) and the
// killmail is read from ESI at once.
func TestZKillboardSetting(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.SQLite})
	officer, member, other := site.NewMember(t), site.NewMember(t), site.NewMember(t)
	grant(t, site, officer, srp.PermissionManage.Name)
	grant(t, site, member, srp.PermissionAccess.Name)
	if srp.SettingZKillboard.Default != "false" {
		t.Fatalf("zKillboard setting on by default: %q", srp.SettingZKillboard.Default)
	}
	kill, hash := lose(t, site, member.Character, other.Character)
	asked := 0
	zkb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		if r.URL.Path != fmt.Sprintf("/api/killID/%d/", kill) {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode([]map[string]any{{"killmail_id": kill, "zkb": map[string]any{"hash": hash, "totalValue": 1.0}}})
	}))
	defer zkb.Close()
	st := settings.NewStore(site.DB, settings.NewRegistry([]settings.Definition{srp.SettingZKillboard, srp.SettingZKillboardURL}), nil, 0)
	if err := st.Set(context.Background(), map[string]string{srp.SettingZKillboardURL.Name: zkb.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	fleetPath := "/srp/fleets/" + strconv.FormatInt(openFleet(t, officer, "Roam"), 10)
	zLink := url.Values{"link": {fmt.Sprintf("https://zkillboard.com/kill/%d/", kill)}}
	// Off: zKillboard is not asked.
	if p := member.Browser.Post(t, fleetPath+"/requests", zLink); p.Status != 200 || asked != 0 || !strings.Contains(p.Body, "Waiting for the ESI link") {
		t.Fatalf("off: %d, asked %d", p.Status, asked)
	}
	if _, err := site.DB.Exec(context.Background(), `DELETE FROM srp_requests`); err != nil {
		t.Fatal(err)
	}
	if err := st.Set(context.Background(), map[string]string{srp.SettingZKillboard.Name: "true"}); err != nil {
		t.Fatal(err)
	}
	p := member.Browser.Post(t, fleetPath+"/requests", zLink)
	if p.Status != 200 || asked != 1 || !strings.Contains(p.Body, "Your request is filed.") || !strings.Contains(p.Body, "Raven") {
		t.Fatalf("on: %d, asked %d", p.Status, asked)
	}
	if n := count(t, site.DB, `SELECT count(*) FROM srp_requests WHERE killmail_hash = $1`, hash); n != 1 {
		t.Error("hash not stored")
	}
}

// ParseLink understands ESI's links under every prefix and zKillboard's,
// and nothing else.
func TestParseLink(t *testing.T) {
	h := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		in   string
		ok   bool
		hash string
	}{
		{"https://esi.evetech.net/killmails/123/" + h + "/", true, h},
		{"https://esi.evetech.net/latest/killmails/123/" + h + "/?datasource=tranquility", true, h},
		{"https://esi.evetech.net/v1/killmails/123/" + strings.ToUpper(h), true, h},
		{"https://zkillboard.com/kill/123/", true, ""},
		{"https://zkillboard.com/kill/123", true, ""},
		{"https://zkillboard.com/kill/abc/", false, ""},
		{"https://evil.example/killmails/123/" + h, false, ""},
		{"https://esi.evetech.net/killmails/123/short/", false, ""},
		{"https://esi.evetech.net/killmails/0/" + h, false, ""},
		{"javascript:alert(1)", false, ""},
	} {
		l, ok := srp.ParseLink(tc.in)
		if ok != tc.ok || ok && (l.ID != 123 || l.Hash != tc.hash) {
			t.Errorf("%q: %+v %v", tc.in, l, ok)
		}
	}
}
