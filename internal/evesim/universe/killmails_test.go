package universe

import (
	"errors"
	"regexp"
	"slices"
	"testing"
	"time"
)

var hexHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

func TestKillmailsAreGeneratedDeterministically(t *testing.T) {
	a, b, c := gen(t, 4, 2000), gen(t, 4, 2000), gen(t, 5, 2000)
	ids := a.KillmailIDs()
	if len(ids) != 10 || !slices.Equal(ids, b.KillmailIDs()) {
		t.Fatalf("killmails %v and %v, want 10 of one seed alike", ids, b.KillmailIDs())
	}
	created := a.LastModified(0)
	var prev time.Time
	for _, id := range ids {
		ka, err := a.Killmail(id)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := b.Killmail(id)
		if ka.Hash != kb.Hash || !ka.Time.Equal(kb.Time) || ka.Victim != kb.Victim || !slices.Equal(ka.Attackers, kb.Attackers) {
			t.Fatalf("killmail %d differs between two universes of one seed:\n%+v\n%+v", id, ka, kb)
		}
		if kc, err := c.Killmail(id); err == nil && kc.Hash == ka.Hash {
			t.Errorf("killmail %d: another seed gave the same hash", id)
		}
		if !hexHash.MatchString(ka.Hash) {
			t.Errorf("hash %q is not 40 hex characters", ka.Hash)
		}
		if ka.Time.Before(created.Add(-31*24*time.Hour)) || ka.Time.After(created) || ka.Time.Before(prev) {
			t.Errorf("killmail %d at %s: outside the last 30 days or out of order", id, ka.Time)
		}
		prev = ka.Time
		checkKillmail(t, a, ka)
	}
	if got := gen(t, 1, 1).KillmailIDs(); len(got) != 0 {
		t.Errorf("a universe of one character has killmails %v", got)
	}
	if got := gen(t, 1, 2).KillmailIDs(); len(got) != 5 {
		t.Errorf("a universe of two characters has %d killmails, want 5", len(got))
	}
}

// checkKillmail checks what holds for every killmail of a fresh universe:
// affiliations as the characters have them, one final blow, damage adding up.
func checkKillmail(t *testing.T, u *Universe, k Killmail) {
	t.Helper()
	v, err := u.Character(k.Victim.CharacterID)
	if err != nil || v.CorporationID != k.Victim.CorporationID || u.AllianceOf(v) != k.Victim.AllianceID {
		t.Errorf("killmail %d: victim %+v does not match character %+v", k.ID, k.Victim, v)
	}
	if _, ok := FindItemType(k.Victim.ShipTypeID); !ok {
		t.Errorf("killmail %d: ship %d unknown", k.ID, k.Victim.ShipTypeID)
	}
	if _, ok := FindSolarSystem(k.SolarSystemID); !ok {
		t.Errorf("killmail %d: system %d unknown", k.ID, k.SolarSystemID)
	}
	finals, damage := 0, int32(0)
	for _, a := range k.Attackers {
		ch, err := u.Character(a.CharacterID)
		if err != nil || ch.ID == v.ID || ch.CorporationID != a.CorporationID || u.AllianceOf(ch) != a.AllianceID ||
			ch.SecurityStatus != a.SecurityStatus || ch.ShipTypeID != a.ShipTypeID {
			t.Errorf("killmail %d: attacker %+v does not match character %+v", k.ID, a, ch)
		}
		if a.FinalBlow {
			finals++
		}
		damage += a.DamageDone
	}
	if len(k.Attackers) == 0 || finals != 1 || damage != k.Victim.DamageTaken {
		t.Errorf("killmail %d: %d attackers, %d final blows, damage %d of %d", k.ID, len(k.Attackers), finals, damage, k.Victim.DamageTaken)
	}
}

func TestAddKillmail(t *testing.T) {
	u, same := gen(t, 6, 400), gen(t, 6, 400)
	ids := u.CharacterIDs()
	victim, a1, a2 := ids[1], ids[2], ids[3]
	id, hash, err := u.AddKillmail(victim, []int32{a1, a2}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if id2, hash2, err := same.AddKillmail(victim, []int32{a1, a2}, 0, 0); err != nil || id2 != id || hash2 != hash {
		t.Errorf("the same kill in a universe of the same seed: %d %s, want %d %s (%v)", id2, hash2, id, hash, err)
	}
	if !hexHash.MatchString(hash) {
		t.Errorf("hash %q", hash)
	}
	k, err := u.Killmail(id)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := u.Character(victim)
	if k.Hash != hash || !k.Time.Equal(u.Now().UTC().Truncate(time.Second)) || k.SolarSystemID != v.SolarSystem ||
		k.Victim.ShipTypeID != v.ShipTypeID || len(k.Attackers) != 2 {
		t.Errorf("killmail %+v: want now, in the victim's system and ship, two attackers", k)
	}
	checkKillmail(t, u, k)
	if got := u.KillmailIDs(); got[len(got)-1] != id {
		t.Errorf("new killmail %d not last of %v", id, got)
	}

	// Affiliations are those at the time of the kill.
	corp := v.CorporationID
	if err := u.MoveCharacter(victim, 1000167); err != nil {
		t.Fatal(err)
	}
	if k, _ := u.Killmail(id); k.Victim.CorporationID != corp {
		t.Errorf("victim corporation %d after a move, want %d as at the kill", k.Victim.CorporationID, corp)
	}

	id3, _, err := u.AddKillmail(victim, []int32{a1}, 587, 30000142)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := u.Killmail(id3); k.Victim.ShipTypeID != 587 || k.SolarSystemID != 30000142 || k.Victim.CorporationID != 1000167 {
		t.Errorf("killmail %+v: want a Rifter in Jita, victim in the starter corporation", k)
	}

	if err := u.Biomass(ids[4]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		victim    int32
		attackers []int32
		ship, sys int32
		want      error
	}{
		{"unknown victim", 1, []int32{a1}, 0, 0, ErrNoCharacter},
		{"unknown attacker", victim, []int32{1}, 0, 0, ErrNoCharacter},
		{"biomassed victim", ids[4], []int32{a1}, 0, 0, ErrBiomassed},
		{"biomassed attacker", victim, []int32{ids[4]}, 0, 0, ErrBiomassed},
		{"unknown ship", victim, []int32{a1}, 1, 0, ErrNoItemType},
		{"unknown system", victim, []int32{a1}, 0, 1, ErrNoSolarSystem},
		{"no attackers", victim, nil, 0, 0, nil},
		{"victim attacks", victim, []int32{victim}, 0, 0, nil},
		{"attacker twice", victim, []int32{a1, a1}, 0, 0, nil},
	} {
		before := len(u.KillmailIDs())
		_, _, err := u.AddKillmail(tc.victim, tc.attackers, tc.ship, tc.sys)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if len(u.KillmailIDs()) != before {
			t.Errorf("%s: a refused killmail was stored", tc.name)
		}
	}
	if _, err := u.Killmail(1); !errors.Is(err, ErrNoKillmail) {
		t.Errorf("unknown killmail: %v", err)
	}
}
