package universe

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// FirstKillmail starts the killmail ids the universe hands out; Tranquility's
// ids passed a hundred million long ago.
const FirstKillmail int64 = 120000000

// Killmail is the record of a ship's destruction, as ESI serves it. ESI
// gives it only to who knows both its id and its hash.
type Killmail struct {
	ID            int64
	Hash          string // 40 lowercase hex characters
	Time          time.Time
	SolarSystemID int32
	Victim        Victim
	Attackers     []Attacker
}

// Victim is the pilot who lost the ship, with the affiliations they had
// at the time of the kill.
type Victim struct {
	CharacterID   int32
	CorporationID int32
	AllianceID    int32 // 0: none
	ShipTypeID    int32
	DamageTaken   int32
	Position      Position // where the ship died, in metres from the sun
}

// Position is a point of a solar system, in metres from its sun.
type Position struct {
	X, Y, Z float64
}

// Attacker is a pilot on a killmail, with the affiliations and security
// status they had at the time of the kill. The universe models ships but
// no modules, so the weapon is the attacker's ship, as ESI reports for
// kills made by a ship's own damage (drones, bombs…).
type Attacker struct {
	CharacterID    int32
	CorporationID  int32
	AllianceID     int32 // 0: none
	ShipTypeID     int32
	WeaponTypeID   int32
	DamageDone     int32
	FinalBlow      bool
	SecurityStatus float64
}

// generateKillmails makes one killmail per 200 characters (at least five),
// spread over the 30 days before the universe's creation, oldest first,
// among the chars characters the generator made. A kill needs two.
func (u *Universe) generateKillmails(r *rand.Rand, chars int) {
	if chars < 2 {
		return
	}
	pick := func() int32 { return FirstCharacter + int32(r.IntN(chars))*2 + 1 }
	n := max(5, chars/200)
	end := u.changed[0]
	step := 30 * 24 * time.Hour / time.Duration(n)
	for i := range n {
		victim := pick()
		attackers := make([]int32, 0, 5)
		for range 1 + r.IntN(5) {
			if a := pick(); a != victim && !slices.Contains(attackers, a) {
				attackers = append(attackers, a)
			}
		}
		if len(attackers) == 0 {
			// Every draw was the victim: take the next character instead.
			next := victim + 2
			if _, ok := u.characters[next]; !ok {
				next = FirstCharacter + 1
			}
			attackers = append(attackers, next)
		}
		at := end.Add(-30*24*time.Hour + time.Duration(i)*step + time.Duration(r.Int64N(int64(step))))
		ship := staticTypes[r.IntN(len(staticTypes))].ID
		system := staticSystems[r.IntN(len(staticSystems))].ID
		u.addKillmail(at.Truncate(time.Second), victim, attackers, ship, system)
	}
}

// AddKillmail records the destruction of the victim's ship (shipTypeID;
// 0: the ship they fly) in a solar system (0: the one they are in) by the
// attackers, now, and gives the killmail's id and hash. The victim's
// current ship is not replaced: the universe does not follow what pilots
// fly after a loss.
func (u *Universe) AddKillmail(victimID int32, attackerIDs []int32, shipTypeID, systemID int32) (int64, string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	victim, err := u.character(victimID)
	if err != nil {
		return 0, "", err
	}
	if victim.Biomassed {
		return 0, "", fmt.Errorf("%w: victim %d", ErrBiomassed, victimID)
	}
	if len(attackerIDs) == 0 {
		return 0, "", fmt.Errorf("universe: a killmail needs at least one attacker")
	}
	for i, id := range attackerIDs {
		a, err := u.character(id)
		if err != nil {
			return 0, "", err
		}
		if a.Biomassed {
			return 0, "", fmt.Errorf("%w: attacker %d", ErrBiomassed, id)
		}
		if id == victimID || slices.Contains(attackerIDs[:i], id) {
			return 0, "", fmt.Errorf("universe: attacker %d is the victim or listed twice", id)
		}
	}
	if shipTypeID == 0 {
		shipTypeID = victim.ShipTypeID
	}
	if _, ok := FindItemType(shipTypeID); !ok {
		return 0, "", fmt.Errorf("%w: %d", ErrNoItemType, shipTypeID)
	}
	if systemID == 0 {
		systemID = victim.SolarSystem
	}
	if _, ok := FindSolarSystem(systemID); !ok {
		return 0, "", fmt.Errorf("%w: %d", ErrNoSolarSystem, systemID)
	}
	k := u.addKillmail(u.now().UTC().Truncate(time.Second), victimID, attackerIDs, shipTypeID, systemID)
	return k.ID, k.Hash, nil
}

// addKillmail builds and stores a killmail from characters known to exist;
// the caller holds the write lock (or is generating). Damage and position
// come from a stream of the seed and the id, so they are deterministic.
func (u *Universe) addKillmail(at time.Time, victimID int32, attackerIDs []int32, shipTypeID, systemID int32) *Killmail {
	u.nextKillmailID++
	id := FirstKillmail + u.nextKillmailID
	r := rand.New(rand.NewPCG(uint64(u.seed), uint64(id)))
	v := u.characters[victimID]
	k := &Killmail{
		ID: id, Hash: u.killmailHash(id), Time: at.UTC(), SolarSystemID: systemID,
		Victim: Victim{
			CharacterID: v.ID, CorporationID: v.CorporationID, AllianceID: u.corporations[v.CorporationID].AllianceID,
			ShipTypeID: shipTypeID,
			Position:   Position{X: (r.Float64() - 0.5) * 1e12, Y: (r.Float64() - 0.5) * 1e11, Z: (r.Float64() - 0.5) * 1e12},
		},
		Attackers: make([]Attacker, len(attackerIDs)),
	}
	final := r.IntN(len(attackerIDs))
	for i, aid := range attackerIDs {
		a := u.characters[aid]
		damage := int32(100 + r.IntN(5000))
		k.Attackers[i] = Attacker{
			CharacterID: a.ID, CorporationID: a.CorporationID, AllianceID: u.corporations[a.CorporationID].AllianceID,
			ShipTypeID: a.ShipTypeID, WeaponTypeID: a.ShipTypeID, DamageDone: damage, FinalBlow: i == final,
			SecurityStatus: a.SecurityStatus,
		}
		k.Victim.DamageTaken += damage
	}
	u.killmails[id] = k
	u.killmailIDs = append(u.killmailIDs, id)
	return k
}

// killmailHash is a killmail's hash: 40 hex characters from the seed and
// the id, as stable as the universe.
func (u *Universe) killmailHash(id int64) string {
	var b [17]byte
	b[0] = 'k'
	binary.BigEndian.PutUint64(b[1:], uint64(u.seed))
	binary.BigEndian.PutUint64(b[9:], uint64(id))
	sum := sha1.Sum(b[:])
	return hex.EncodeToString(sum[:])
}

// Killmail gives a copy of a killmail.
func (u *Universe) Killmail(id int64) (Killmail, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	k, ok := u.killmails[id]
	if !ok {
		return Killmail{}, fmt.Errorf("%w: %d", ErrNoKillmail, id)
	}
	out := *k
	out.Attackers = slices.Clone(k.Attackers)
	return out, nil
}

// KillmailIDs lists every killmail id, oldest first.
func (u *Universe) KillmailIDs() []int64 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return slices.Clone(u.killmailIDs)
}
