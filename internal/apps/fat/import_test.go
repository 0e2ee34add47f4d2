package fat_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/fat"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// formFleet makes boss the boss of a fleet of n other characters of the
// universe (none biomassed), giving their ids.
func formFleet(t testing.TB, u *universe.Universe, boss int32, n int, skip ...int32) []int32 {
	t.Helper()
	fleet, err := u.CreateFleet(boss)
	if err != nil {
		t.Fatal(err)
	}
	var members []int32
outer:
	for _, id := range u.CharacterIDs() {
		if len(members) == n {
			break
		}
		if id == boss {
			continue
		}
		for _, s := range skip {
			if id == s {
				continue outer
			}
		}
		if c, err := u.Character(id); err != nil || c.Biomassed {
			continue
		}
		if err := u.JoinFleet(fleet, id); err != nil {
			t.Fatal(err)
		}
		members = append(members, id)
	}
	if len(members) != n {
		t.Fatalf("%d characters for a fleet of %d", len(members), n)
	}
	return members
}

// The ESI fleet import of a 250-member fleet: every member recorded with
// the system and ship ESI lists, in one click, with three ESI calls (the
// boss's fleet, its members, one POST /universe/names for the members
// Keepstar does not know and the places and ships); a second import adds
// nothing; a character that is no boss and a member without fat.manage are
// refused.
func TestFleetImport(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d, Characters: 400})
		u := site.Sim.Universe
		fc, member, stats := site.NewMember(t), site.NewMember(t), site.NewMember(t)
		setUp(t, site, fc, stats)
		l := createLink(t, site, fc, "Fleet import")
		linkPath := "/fat/links/" + strconv.FormatInt(l.ID, 10)
		form := url.Values{"character": {strconv.Itoa(int(fc.Character))}}

		// Without a token of the login fat-fleet: the page links to it.
		if p := fc.Browser.Get(t, linkPath); p.Status != 200 || !strings.Contains(p.Body, `href="/sso/login/fat-fleet"`) {
			t.Fatalf("link page without a token: %d", p.Status)
		}
		if p := fc.Browser.Post(t, linkPath+"/import", form); p.Status != http.StatusBadRequest {
			t.Errorf("import without a token: %d", p.Status)
		}
		if p := fc.Browser.Flow(t, "/sso/login/fat-fleet", fc.Character); p.Status != 200 {
			t.Fatalf("login fat-fleet: %d", p.Status)
		}
		// In no fleet: refused with a message.
		if p := fc.Browser.Post(t, linkPath+"/import", form); p.Status != http.StatusConflict || !strings.Contains(p.Body, "not the boss of a fleet") {
			t.Errorf("import out of a fleet: %d", p.Status)
		}
		members := formFleet(t, u, fc.Character, 250, member.Character, stats.Character)
		// Members refused: no permission.
		if p := member.Browser.Post(t, linkPath+"/import", url.Values{"character": {strconv.Itoa(int(member.Character))}}); p.Status != http.StatusForbidden {
			t.Errorf("import by a member: %d", p.Status)
		}

		before := site.Sim.ESI.Requests()
		p := fc.Browser.Post(t, linkPath+"/import", form)
		if p.Status != 200 || !strings.Contains(p.Body, "251 members in the fleet, 251 newly recorded") {
			t.Fatalf("import: %d", p.Status)
		}
		after := site.Sim.ESI.Requests()
		calls := map[string]int{}
		total := 0
		for route, n := range after {
			if n -= before[route]; n > 0 {
				calls[route] = n
				total += n
			}
		}
		want := map[string]int{"GET /characters/{character_id}/fleet": 1, "GET /fleets/{fleet_id}/members": 1, "POST /universe/names": 1}
		if total != 3 || calls["GET /characters/{character_id}/fleet"] != 1 || calls["GET /fleets/{fleet_id}/members"] != 1 || calls["POST /universe/names"] != 1 {
			t.Errorf("ESI calls %v, want %v", calls, want)
		}
		recs, err := fat.LinkRecords(ctx, site.DB, l.ID)
		if err != nil || len(recs) != 251 {
			t.Fatalf("%d records, %v; want 251", len(recs), err)
		}
		recorded := map[int32]bool{}
		for _, r := range recs {
			recorded[r.CharacterID] = true
			c, err := u.Character(r.CharacterID)
			if err != nil {
				t.Fatal(err)
			}
			if r.CharacterName != c.Name || r.SystemID != c.SolarSystem || r.ShipTypeID != c.ShipTypeID || r.SystemName == "" ||
				r.ShipTypeName == "" || r.Source != "fleet" || r.LocationID != int64(c.StationID) {
				t.Errorf("record %+v of %+v", r, c)
			}
		}
		for _, id := range append(members, fc.Character) {
			if !recorded[id] {
				t.Errorf("member %d not recorded", id)
			}
		}

		// Again: nothing new, no duplicate; the names are known now.
		before = site.Sim.ESI.Requests()
		if p := fc.Browser.Post(t, linkPath+"/import", form); p.Status != 200 || !strings.Contains(p.Body, "251 members in the fleet, 0 newly recorded") {
			t.Errorf("second import: %d", p.Status)
		}
		if n := site.Sim.ESI.Requests()["POST /universe/names"] - before["POST /universe/names"]; n != 1 {
			// The members unknown to Keepstar are asked again: their names
			// are not kept (see names).
			t.Logf("names asked %d times on the second import", n)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM fat_records WHERE link_id = $1`, l.ID); n != 251 {
			t.Errorf("%d records after a second import", n)
		}

		// An expired link imports nothing, without asking ESI.
		if _, err := site.DB.Exec(ctx, `UPDATE fat_links SET expires_at = $1 WHERE id = $2`, time.Now().Add(-time.Second), l.ID); err != nil {
			t.Fatal(err)
		}
		before = site.Sim.ESI.Requests()
		if p := fc.Browser.Post(t, linkPath+"/import", form); p.Status != http.StatusGone {
			t.Errorf("import on an expired link: %d", p.Status)
		}
		if n := site.Sim.ESI.Requests()["GET /fleets/{fleet_id}/members"] - before["GET /fleets/{fleet_id}/members"]; n != 0 {
			t.Errorf("an expired link asked ESI for the members %d times", n)
		}

		// The statistics sum to the records, per corporation and in all.
		m := int(l.Month)
		if n := count(t, site.DB, `SELECT COALESCE(sum(fats), 0) FROM fat_corp_monthly WHERE month = $1`, m); n != 251 {
			t.Errorf("corporations' statistics sum to %d, want 251", n)
		}
		if n := count(t, site.DB, `SELECT count(*) FROM (SELECT corporation_id, count(*) AS n FROM fat_records WHERE month = $1 GROUP BY corporation_id) r
			LEFT JOIN fat_corp_monthly s ON s.month = $1 AND s.corporation_id = r.corporation_id
			WHERE s.fats IS NULL OR s.fats <> r.n OR s.characters <> r.n`, m); n != 0 {
			t.Errorf("%d corporations whose statistics differ from their records", n)
		}
		if p := stats.Browser.Get(t, "/fat/stats?month="+l.Month.String()); p.Status != 200 || !strings.Contains(p.Body, "Participations: 251") {
			t.Errorf("statistics page: %d", p.Status)
		}
	})
}
