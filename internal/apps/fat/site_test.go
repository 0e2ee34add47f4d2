package fat_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// setUp makes the two EVE logins the settings name by default, as an
// administrator would, and gives fc fat.manage and stats
// fat.view_statistics.
func setUp(t *testing.T, site *sitetest.Site, fc, stats *sitetest.Member) {
	t.Helper()
	ctx := context.Background()
	ls := logins.NewStore(site.DB, nil)
	if _, err := ls.Create(ctx, logins.Input{Name: fat.SettingLogin.Default, Scopes: strings.Join(fat.ClickScopes, " ")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Create(ctx, logins.Input{Name: fat.SettingFleetLogin.Default, Scopes: strings.Join(fat.FleetScopes, " ")}); err != nil {
		t.Fatal(err)
	}
	if fc != nil {
		if err := site.Accounts().SetPermissions(ctx, fc.AccountID, []string{fat.PermissionManage.Name}); err != nil {
			t.Fatal(err)
		}
	}
	if stats != nil {
		if err := site.Accounts().SetPermissions(ctx, stats.AccountID, []string{fat.PermissionStatistics.Name}); err != nil {
			t.Fatal(err)
		}
	}
}

// createLink makes a fatlink on the page as fc and gives it.
func createLink(t *testing.T, site *sitetest.Site, fc *sitetest.Member, fleet string) fat.Link {
	t.Helper()
	p := fc.Browser.Post(t, "/fat/links", url.Values{"fleet": {fleet}, "duration": {"30"}})
	if p.Status != http.StatusOK || !strings.Contains(p.URL, "/fat/links/") || !strings.Contains(p.Body, "/fat/click/") {
		t.Fatalf("create link: %d at %s", p.Status, p.URL)
	}
	id, err := strconv.ParseInt(p.URL[strings.LastIndex(p.URL, "/")+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	l, err := fat.LinkByID(context.Background(), site.DB, id)
	if err != nil || l.Fleet != fleet {
		t.Fatalf("link %d: %+v, %v", id, l, err)
	}
	return l
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A fleet commander makes a fatlink; a member opens it, gives a token of
// the login fat, and is recorded with what ESI says of the character; a
// second click is refused, so is an offline character, a character of
// someone else's, an expired link, and ESI failing leaves nothing
// written. The member's own page and the statistics show the record.
func TestFatlinkLifecycle(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		u := site.Sim.Universe
		fc, member, offline, unlucky, stats := site.NewMember(t), site.NewMember(t), site.NewMember(t), site.NewMember(t), site.NewMember(t)
		setUp(t, site, fc, stats)

		// Bad input: 422 with the form's problems, nothing made.
		p := fc.Browser.Post(t, "/fat/links", url.Values{"fleet": {" "}, "duration": {"0"}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Give the fleet a name.") ||
			!strings.Contains(p.Body, "The duration is a number of minutes from 1 to 1440.") {
			t.Fatalf("empty form: %d", p.Status)
		}
		if p := fc.Browser.Post(t, "/fat/links", url.Values{"fleet": {"x"}, "duration": {"soon"}}); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("duration not a number: %d", p.Status)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM fat_links`); n != 0 {
			t.Fatalf("%d links after refused forms", n)
		}
		l := createLink(t, site, fc, "Stratop <Home defense>")
		click := "/fat/click/" + l.Hash

		// Without a token: the page sends the member to the login.
		p = member.Browser.Get(t, click)
		if p.Status != 200 || !strings.Contains(p.Body, `href="/sso/login/fat"`) || strings.Contains(p.Body, `data-action="record"`) {
			t.Fatalf("click page without a token: %d", p.Status)
		}
		form := url.Values{"character": {strconv.Itoa(int(member.Character))}}
		if p := member.Browser.Post(t, click, form); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "no valid token") {
			t.Errorf("click without a token: %d", p.Status)
		}
		for _, m := range []*sitetest.Member{member, offline, unlucky} {
			if p := m.Browser.Flow(t, "/sso/login/fat", m.Character); p.Status != 200 {
				t.Fatalf("login fat: %d", p.Status)
			}
		}
		if err := u.SetOnline(member.Character, true); err != nil {
			t.Fatal(err)
		}
		if p := member.Browser.Get(t, click); !strings.Contains(p.Body, `data-action="record"`) {
			t.Fatalf("click page with a token: no button")
		}
		// Someone else's character, a character that is no number.
		if p := member.Browser.Post(t, click, url.Values{"character": {strconv.Itoa(int(fc.Character))}}); p.Status != http.StatusBadRequest {
			t.Errorf("someone else's character: %d", p.Status)
		}
		if p := member.Browser.Post(t, click, url.Values{"character": {"me"}}); p.Status != http.StatusBadRequest {
			t.Errorf("a character that is no number: %d", p.Status)
		}
		if p := member.Browser.Post(t, "/fat/click/nosuchlink", form); p.Status != http.StatusNotFound {
			t.Errorf("unknown link: %d", p.Status)
		}

		p = member.Browser.Post(t, click, form)
		if p.Status != 200 || !strings.Contains(p.Body, "is recorded in") || !strings.Contains(p.Body, `data-field="recorded"`) {
			t.Fatalf("click: %d", p.Status)
		}
		ch, err := u.Character(member.Character)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := fat.LinkRecords(ctx, site.DB, l.ID)
		if err != nil || len(recs) != 1 {
			t.Fatalf("records: %d, %v", len(recs), err)
		}
		r := recs[0]
		if r.CharacterID != ch.ID || r.SystemID != ch.SolarSystem || r.ShipTypeID != ch.ShipTypeID || r.LocationID != int64(ch.StationID) ||
			r.SystemName == "" || r.ShipTypeName == "" || r.CorporationID != ch.CorporationID || r.Source != "link" {
			t.Errorf("record %+v of %+v", r, ch)
		}
		if ch.StationID != 0 && r.LocationName == "" {
			t.Errorf("docked in %d without a name", ch.StationID)
		}

		// One record per character and link.
		if p := member.Browser.Post(t, click, form); p.Status != http.StatusConflict || !strings.Contains(p.Body, "recorded for this fleet already") {
			t.Errorf("second click: %d", p.Status)
		}
		// Offline: refused, nothing written.
		if err := u.SetOnline(offline.Character, false); err != nil {
			t.Fatal(err)
		}
		if p := offline.Browser.Post(t, click, url.Values{"character": {strconv.Itoa(int(offline.Character))}}); p.Status != http.StatusConflict ||
			!strings.Contains(p.Body, "not logged in to EVE") {
			t.Errorf("offline: %d", p.Status)
		}
		// ESI failing every try of the location: a clear 503, nothing
		// written; it works once ESI is back.
		if err := u.SetOnline(unlucky.Character, true); err != nil {
			t.Fatal(err)
		}
		if err := site.Sim.ESI.FailNext("GET /characters/{character_id}/location", 503, 10); err != nil {
			t.Fatal(err)
		}
		uform := url.Values{"character": {strconv.Itoa(int(unlucky.Character))}}
		if p := unlucky.Browser.Post(t, click, uform); p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "Nothing was recorded") {
			t.Errorf("ESI failing: %d", p.Status)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM fat_records`); n != 1 {
			t.Errorf("%d records after refusals, want 1", n)
		}
		if n := count(t, site.DB, `SELECT COALESCE(sum(fats), 0) FROM fat_monthly`); n != 1 {
			t.Errorf("statistics count %d, want 1", n)
		}
		site.Sim.ESI.ClearFaults()
		if p := unlucky.Browser.Post(t, click, uform); p.Status != 200 {
			t.Errorf("ESI back: %d", p.Status)
		}

		// Expired: the page says so, a click is refused.
		if _, err := site.DB.Exec(ctx, `UPDATE fat_links SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Minute), l.ID); err != nil {
			t.Fatal(err)
		}
		if p := offline.Browser.Get(t, click); p.Status != 200 || !strings.Contains(p.Body, `id="link-expired"`) {
			t.Errorf("expired link's page: %d", p.Status)
		}
		if err := u.SetOnline(offline.Character, true); err != nil {
			t.Fatal(err)
		}
		if p := offline.Browser.Post(t, click, url.Values{"character": {strconv.Itoa(int(offline.Character))}}); p.Status != http.StatusGone ||
			!strings.Contains(p.Body, "has expired") {
			t.Errorf("expired link: %d", p.Status)
		}

		// The member's page; the statistics and their CSV.
		month := fat.MonthOf(time.Now()).String()
		if p := member.Browser.Get(t, "/fat"); p.Status != 200 || !strings.Contains(p.Body, `data-link="`+strconv.FormatInt(l.ID, 10)+`"`) {
			t.Errorf("personal page: %d", p.Status)
		}
		if p := member.Browser.Get(t, "/fat?month=2026-13"); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "year-month") {
			t.Errorf("bad month: %d", p.Status)
		}
		p = stats.Browser.Get(t, "/fat/stats?month="+month)
		if p.Status != 200 || !strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(member.Character))+`"`) {
			t.Errorf("statistics: %d", p.Status)
		}
		p = stats.Browser.Get(t, "/fat/stats/corporations/"+strconv.Itoa(int(ch.CorporationID))+"?month="+month)
		if p.Status != 200 || !strings.Contains(p.Body, `data-character="`+strconv.Itoa(int(member.Character))+`"`) {
			t.Errorf("corporation statistics: %d", p.Status)
		}
		res := stats.Browser.Get(t, "/fat/stats/csv?month="+month)
		rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
		if res.Status != 200 || err != nil || len(rows) < 2 || rows[0][3] != "fats" {
			t.Fatalf("CSV: %d, %v, %d rows", res.Status, err, len(rows))
		}
		sum := 0
		for _, r := range rows[1:] {
			n, _ := strconv.Atoi(r[3])
			sum += n
		}
		if sum != 2 {
			t.Errorf("CSV sums %d participations, want 2", sum)
		}
	})
}
