// Package universe is the simulated EVE Online universe behind Keepstar's SSO
// and ESI simulator: factions, alliances, corporations and characters
// generated deterministically from a seed and a size, with corporation titles
// and a few killmails, the player accounts that own the characters (and so
// their owner hashes), and the changes a test or demo makes to them (moves,
// transfers, biomassing, roles, titles, fleets, killmails). It
// knows nothing of HTTP; the sso and esi simulators serve it.
package universe

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Well-known ids of the real universe.
const (
	// Doomheim is the NPC corporation of biomassed (deleted) characters.
	Doomheim int32 = 1000001
	// FirstPlayerCorporation and FirstPlayerAlliance start the id ranges the
	// generator hands out, as on Tranquility.
	FirstPlayerCorporation int32 = 98000000
	FirstPlayerAlliance    int32 = 99000000
	FirstCharacter         int32 = 90000000
)

// Errors of lookups and changes.
var (
	ErrNoCharacter   = errors.New("universe: no such character")
	ErrNoCorporation = errors.New("universe: no such corporation")
	ErrNoAlliance    = errors.New("universe: no such alliance")
	ErrNoFleet       = errors.New("universe: no such fleet")
	ErrBiomassed     = errors.New("universe: character is biomassed")
	ErrNoTitle       = errors.New("universe: no such title")
	ErrNoKillmail    = errors.New("universe: no such killmail")
	ErrNoItemType    = errors.New("universe: no such item type")
	ErrNoSolarSystem = errors.New("universe: no such solar system")
)

// Faction is one of the empire or pirate factions.
type Faction struct {
	ID            int32
	Name          string
	CorporationID int32 // its NPC corporation
}

// Alliance is a player alliance.
type Alliance struct {
	ID                   int32
	Name                 string
	Ticker               string
	CreatorID            int32
	CreatorCorporationID int32
	ExecutorCorporation  int32
	Founded              time.Time
	FactionID            int32 // 0: none
}

// Corporation is a player or NPC corporation.
type Corporation struct {
	ID            int32
	Name          string
	Ticker        string
	CEOID         int32
	CreatorID     int32
	AllianceID    int32 // 0: none
	FactionID     int32 // NPC corporations belong to a faction
	NPC           bool
	Founded       time.Time
	HomeStationID int32
	TaxRate       float64
	Shares        int64
	Description   string
	URL           string
	// Titles are the titles members can hold, in id order; NPC
	// corporations have none.
	Titles []Title
}

// Character is a pilot.
type Character struct {
	ID             int32
	Name           string
	Birthday       time.Time
	Gender         string // "male" or "female"
	RaceID         int32
	BloodlineID    int32
	AncestryID     int32
	SecurityStatus float64
	Description    string
	CorporationID  int32
	// AccountID is the player account holding the character; the owner
	// hash follows from it and the character's transfer count.
	AccountID int32
	// Transfers counts the times the character changed hands; each gives a
	// new owner hash.
	Transfers int
	// TokenGeneration increases when the player changes their password or
	// revokes the application: refresh tokens of older generations die.
	TokenGeneration int
	Biomassed       bool
	// Roles are the in-game corporation roles (Director, Personnel_Manager…).
	Roles []string
	// TitleIDs are the corporation titles the character holds, sorted;
	// leaving the corporation loses them.
	TitleIDs    []int32
	SolarSystem int32
	StationID   int32 // 0 when in space
	ShipTypeID  int32
	ShipItemID  int64
	ShipName    string
	Online      bool
	LastLogin   time.Time
	LastLogout  time.Time
	Logins      int32
	JoinedCorp  time.Time
	// History is the character's corporation history, oldest first: the
	// corporation it was generated in, then every move (Biomass's to
	// Doomheim included), as ESI's corporationhistory lists them.
	History   []CorporationRecord
	FleetID   int64 // 0 when not in a fleet
	FleetRole string
	WingID    int64
	SquadID   int64
}

// CorporationRecord is one entry of a character's corporation history.
// RecordID increases across the universe, so that it orders records as
// ESI's does when their dates are equal.
type CorporationRecord struct {
	RecordID      int64
	CorporationID int32
	StartDate     time.Time
}

// Account is a player's EVE account: the characters on it share an owner.
type Account struct {
	ID         int32
	Characters []int32
}

// Fleet is an in-game fleet.
type Fleet struct {
	ID           int64
	BossID       int32
	MOTD         string
	FreeMove     bool
	Registered   bool
	VoiceEnabled bool
	Wings        []Wing
	nextSubID    int64
}

// Wing is a fleet wing with its squads.
type Wing struct {
	ID     int64
	Name   string
	Squads []Squad
}

// Squad is a squad of a wing.
type Squad struct {
	ID   int64
	Name string
}

// Universe is the whole simulated world. It is safe for concurrent use.
type Universe struct {
	mu           sync.RWMutex
	seed         int64
	now          func() time.Time
	factions     map[int32]*Faction
	alliances    map[int32]*Alliance
	corporations map[int32]*Corporation
	characters   map[int32]*Character
	accounts     map[int32]*Account
	fleets       map[int64]*Fleet
	// members lists each corporation's characters, kept in step with moves.
	members map[int32][]int32
	// records numbers the corporation history's records.
	records int64
	// allianceIDs and characterIDs keep the generation order for listings.
	allianceIDs []int32
	// changed records when an entity last changed, for Last-Modified.
	changed     map[int64]time.Time
	nextFleetID int64
	nextAccount int32
	// killmails are never changed once made; killmailIDs keeps their order.
	killmails      map[int64]*Killmail
	killmailIDs    []int64
	nextKillmailID int64
}

// Now gives the universe's clock, which tests may drive.
func (u *Universe) Now() time.Time { return u.now() }

// Seed gives the seed the universe was generated from.
func (u *Universe) Seed() int64 { return u.seed }

// Character gives a copy of a character.
func (u *Universe) Character(id int32) (Character, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	c, ok := u.characters[id]
	if !ok {
		return Character{}, ErrNoCharacter
	}
	out := *c
	out.Roles = slices.Clone(c.Roles)
	out.TitleIDs = slices.Clone(c.TitleIDs)
	return out, nil
}

// CharacterByName finds a character by exact name.
func (u *Universe) CharacterByName(name string) (Character, error) {
	u.mu.RLock()
	var id int32
	for _, c := range u.characters {
		if c.Name == name {
			id = c.ID
			break
		}
	}
	u.mu.RUnlock()
	if id == 0 {
		return Character{}, ErrNoCharacter
	}
	return u.Character(id)
}

// Corporation gives a copy of a corporation.
func (u *Universe) Corporation(id int32) (Corporation, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	c, ok := u.corporations[id]
	if !ok {
		return Corporation{}, ErrNoCorporation
	}
	out := *c
	out.Titles = slices.Clone(c.Titles)
	return out, nil
}

// Alliance gives a copy of an alliance.
func (u *Universe) Alliance(id int32) (Alliance, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	a, ok := u.alliances[id]
	if !ok {
		return Alliance{}, ErrNoAlliance
	}
	return *a, nil
}

// Faction gives a faction, if id is one.
func (u *Universe) Faction(id int32) (Faction, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	f, ok := u.factions[id]
	if !ok {
		return Faction{}, false
	}
	return *f, true
}

// Alliances lists every alliance id in creation order.
func (u *Universe) Alliances() []int32 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return slices.Clone(u.allianceIDs)
}

// AllianceCorporations lists the corporations of an alliance, sorted.
func (u *Universe) AllianceCorporations(id int32) ([]int32, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if _, ok := u.alliances[id]; !ok {
		return nil, ErrNoAlliance
	}
	var out []int32
	for _, c := range u.corporations {
		if c.AllianceID == id {
			out = append(out, c.ID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Members lists a corporation's characters, sorted.
func (u *Universe) Members(corpID int32) ([]int32, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if _, ok := u.corporations[corpID]; !ok {
		return nil, ErrNoCorporation
	}
	out := slices.Clone(u.members[corpID])
	slices.Sort(out)
	return out, nil
}

// MemberCount gives the number of characters in a corporation.
func (u *Universe) MemberCount(corpID int32) int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.members[corpID])
}

// AllianceOf gives the alliance of a character's corporation (0: none).
func (u *Universe) AllianceOf(c Character) int32 {
	corp, err := u.Corporation(c.CorporationID)
	if err != nil {
		return 0
	}
	return corp.AllianceID
}

// Account gives a copy of a player account.
func (u *Universe) Account(id int32) (Account, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	a, ok := u.accounts[id]
	if !ok {
		return Account{}, false
	}
	return Account{ID: a.ID, Characters: slices.Clone(a.Characters)}, true
}

// Accounts gives the number of player accounts; their ids run from 1.
func (u *Universe) Accounts() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.accounts)
}

// CharacterIDs lists every character id, sorted.
func (u *Universe) CharacterIDs() []int32 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]int32, 0, len(u.characters))
	for id := range u.characters {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// CorporationIDs lists every corporation id (player and NPC), sorted.
func (u *Universe) CorporationIDs() []int32 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	out := make([]int32, 0, len(u.corporations))
	for id := range u.corporations {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// LastModified gives when an entity (character, corporation or alliance id,
// or fleet id) last changed; the universe's creation time if never.
func (u *Universe) LastModified(id int64) time.Time {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if t, ok := u.changed[id]; ok {
		return t
	}
	return u.changed[0]
}

// touch records a change; the caller holds the write lock.
func (u *Universe) touch(ids ...int64) {
	now := u.now().UTC().Truncate(time.Second)
	for _, id := range ids {
		u.changed[id] = now
	}
}

// Fleet gives a copy of a fleet.
func (u *Universe) Fleet(id int64) (Fleet, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	f, ok := u.fleets[id]
	if !ok {
		return Fleet{}, ErrNoFleet
	}
	out := *f
	out.Wings = slices.Clone(f.Wings)
	for i := range out.Wings {
		out.Wings[i].Squads = slices.Clone(f.Wings[i].Squads)
	}
	return out, nil
}

// FleetMembers lists the characters in a fleet, sorted by id.
func (u *Universe) FleetMembers(id int64) ([]Character, error) {
	u.mu.RLock()
	if _, ok := u.fleets[id]; !ok {
		u.mu.RUnlock()
		return nil, ErrNoFleet
	}
	var ids []int32
	for _, c := range u.characters {
		if c.FleetID == id {
			ids = append(ids, c.ID)
		}
	}
	u.mu.RUnlock()
	slices.Sort(ids)
	out := make([]Character, 0, len(ids))
	for _, cid := range ids {
		c, err := u.Character(cid)
		if err == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

func (u *Universe) character(id int32) (*Character, error) {
	c, ok := u.characters[id]
	if !ok {
		return nil, fmt.Errorf("%w: %d", ErrNoCharacter, id)
	}
	return c, nil
}
