package esi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestKillmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := f.u.KillmailIDs()
	if len(ids) < 5 {
		t.Fatalf("%d killmails generated, want at least 5", len(ids))
	}
	k, err := f.u.Killmail(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/killmails/%d/%s", k.ID, k.Hash)
	got := f.do("GET", path, "", nil).want(t, 200)
	var body killmail
	got.json(t, &body)
	if body.KillmailID != k.ID || !body.KillmailTime.Equal(k.Time) || body.SolarSystemID != k.SolarSystemID ||
		body.Victim.CharacterID != k.Victim.CharacterID || body.Victim.CorporationID != k.Victim.CorporationID ||
		body.Victim.DamageTaken != k.Victim.DamageTaken || len(body.Attackers) != len(k.Attackers) {
		t.Errorf("killmail %+v does not match %+v", body, k)
	}
	for i, a := range body.Attackers {
		w := k.Attackers[i]
		if a.CharacterID != w.CharacterID || a.DamageDone != w.DamageDone || a.FinalBlow != w.FinalBlow || a.WeaponTypeID != w.WeaponTypeID {
			t.Errorf("attacker %d: %+v, want %+v", i, a, w)
		}
	}
	if cc := got.header.Get("Cache-Control"); cc != "public, max-age=2592000" {
		t.Errorf("Cache-Control %q", cc)
	}
	if lm := got.header.Get("Last-Modified"); lm != k.Time.UTC().Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q, want the kill time %s", lm, k.Time)
	}
	if g := got.header.Get("X-Ratelimit-Group"); g != "killmail" {
		t.Errorf("X-Ratelimit-Group %q, want killmail", g)
	}

	// A wrong hash and an unknown id answer alike, so ids cannot be probed.
	for _, p := range []string{
		fmt.Sprintf("/killmails/%d/%s", k.ID, strings.Repeat("0", 40)),
		fmt.Sprintf("/killmails/%d/%s", k.ID, strings.ToUpper(k.Hash)),
		fmt.Sprintf("/killmails/%d/%s", k.ID+1000000, k.Hash),
	} {
		if e := f.do("GET", p, "", nil).want(t, 422).errorText(t); e != "Invalid killmail_id and/or killmail_hash" {
			t.Errorf("%s: error %q", p, e)
		}
	}
	f.do("GET", "/killmails/0/"+k.Hash, "", nil).want(t, 400)
	f.do("GET", "/killmails/x/"+k.Hash, "", nil).want(t, 400)

	// A kill made now is served at once, with the affiliations of the moment.
	chars := f.u.CharacterIDs()
	f.clock.Advance(time.Hour)
	id, hash, err := f.u.AddKillmail(chars[7], []int32{chars[8]}, 603, 30002187)
	if err != nil {
		t.Fatal(err)
	}
	f.do("GET", fmt.Sprintf("/killmails/%d/%s", id, hash), "", nil).want(t, 200).json(t, &body)
	victim, _ := f.u.Character(chars[7])
	if body.Victim.ShipTypeID != 603 || body.SolarSystemID != 30002187 || body.Victim.CorporationID != victim.CorporationID ||
		!body.KillmailTime.Equal(f.clock.Now().Truncate(time.Second)) || len(body.Attackers) != 1 || !body.Attackers[0].FinalBlow {
		t.Errorf("new killmail %+v", body)
	}
}
