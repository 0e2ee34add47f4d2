package universe

import (
	"errors"
	"testing"
	"time"
)

func gen(t testing.TB, seed int64, n int) *Universe {
	t.Helper()
	u, err := Generate(Options{Seed: seed, Characters: n, Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSameSeedSameUniverse(t *testing.T) {
	a, b, c := gen(t, 7, 2000), gen(t, 7, 2000), gen(t, 8, 2000)
	same, differ := 0, 0
	for _, id := range a.CharacterIDs() {
		ca, _ := a.Character(id)
		cb, err := b.Character(id)
		if err != nil || ca.Name != cb.Name || ca.CorporationID != cb.CorporationID || a.OwnerHash(ca) != b.OwnerHash(cb) {
			t.Fatalf("character %d differs between two universes of one seed", id)
		}
		if cc, err := c.Character(id); err == nil && cc.Name == ca.Name {
			same++
		} else {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed gave the same names")
	}
}

func TestShapeOfTheUniverse(t *testing.T) {
	u := gen(t, 1, 3000)
	if got := len(u.CharacterIDs()); got != 3000 {
		t.Fatalf("%d characters", got)
	}
	if len(u.Alliances()) != 10 {
		t.Errorf("%d alliances, want 10", len(u.Alliances()))
	}
	names := map[string]bool{}
	hashes := map[string]bool{}
	multi := 0
	for _, id := range u.CharacterIDs() {
		c, _ := u.Character(id)
		if names[c.Name] {
			t.Fatalf("duplicate name %q", c.Name)
		}
		names[c.Name] = true
		h := u.OwnerHash(c)
		if len(h) != 28 || hashes[h] {
			t.Fatalf("owner hash %q: wrong length or shared", h)
		}
		hashes[h] = true
		corp, err := u.Corporation(c.CorporationID)
		if err != nil {
			t.Fatalf("character %d in unknown corporation %d", id, c.CorporationID)
		}
		if a, _ := u.Account(c.AccountID); len(a.Characters) > 1 {
			multi++
		}
		_ = corp
	}
	if multi == 0 {
		t.Error("no account holds several characters")
	}
	for _, aid := range u.Alliances() {
		a, _ := u.Alliance(aid)
		corps, _ := u.AllianceCorporations(aid)
		if len(corps) == 0 || a.ExecutorCorporation == 0 || a.Ticker == "" {
			t.Errorf("alliance %+v has no corporations or executor", a)
		}
	}
}

func TestChanges(t *testing.T) {
	u := gen(t, 3, 500)
	ids := u.CharacterIDs()
	c, _ := u.Character(ids[10])
	target := u.CorporationIDs()[len(u.CorporationIDs())-1]
	if err := u.MoveCharacter(c.ID, target); err != nil {
		t.Fatal(err)
	}
	m, _ := u.Members(target)
	old, _ := u.Members(c.CorporationID)
	moved, _ := u.Character(c.ID)
	if moved.CorporationID != target || !contains(m, c.ID) || contains(old, c.ID) {
		t.Fatal("member lists not kept in step with the move")
	}

	hash := u.OwnerHash(moved)
	acc, err := u.TransferCharacter(c.ID, 0)
	if err != nil || acc == moved.AccountID {
		t.Fatal(err)
	}
	after, _ := u.Character(c.ID)
	if u.OwnerHash(after) == hash || after.TokenGeneration == moved.TokenGeneration {
		t.Error("transfer kept the owner hash or the tokens")
	}

	if err := u.Biomass(c.ID); err != nil {
		t.Fatal(err)
	}
	dead, _ := u.Character(c.ID)
	if dead.CorporationID != Doomheim || !dead.Biomassed {
		t.Errorf("biomassed character in %d", dead.CorporationID)
	}
	if err := u.MoveCharacter(c.ID, target); !errors.Is(err, ErrBiomassed) {
		t.Errorf("moving a biomassed character: %v", err)
	}
	if err := u.MoveCharacter(1, target); !errors.Is(err, ErrNoCharacter) {
		t.Errorf("unknown character: %v", err)
	}

	fleet, err := u.CreateFleet(ids[20])
	if err != nil {
		t.Fatal(err)
	}
	if err := u.JoinFleet(fleet, ids[21]); err != nil {
		t.Fatal(err)
	}
	members, _ := u.FleetMembers(fleet)
	if len(members) != 2 {
		t.Fatalf("fleet members %d", len(members))
	}
	if err := u.LeaveFleet(ids[20]); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Fleet(fleet); !errors.Is(err, ErrNoFleet) {
		t.Error("fleet survives its boss leaving")
	}
	if c, _ := u.Character(ids[21]); c.FleetID != 0 {
		t.Error("member still in a closed fleet")
	}
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// BenchmarkGenerate300k: go test ./internal/evesim/universe -run '^$' -bench Generate -benchtime 3x
func BenchmarkGenerate300k(b *testing.B) {
	for b.Loop() {
		gen(b, 1, 300000)
	}
}
