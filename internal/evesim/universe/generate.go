package universe

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Options size and seed a universe.
type Options struct {
	// Seed makes the universe: the same seed and size give the same world.
	Seed int64
	// Characters is the number of player characters (at least 1).
	Characters int
	// Now is the universe's clock; nil means time.Now. Tests drive it.
	Now func() time.Time
}

// staticFactions are real factions with their militia corporations.
var staticFactions = []Faction{
	{500001, "Caldari State", 1000180},
	{500002, "Minmatar Republic", 1000182},
	{500003, "Amarr Empire", 1000179},
	{500004, "Gallente Federation", 1000181},
}

// staticNPCCorporations are real NPC corporations: the militias, starter
// schools where new characters begin, and Doomheim.
var staticNPCCorporations = []Corporation{
	{ID: Doomheim, Name: "Doomheim", Ticker: "666", NPC: true},
	{ID: 1000180, Name: "State Protectorate", Ticker: "MCS", NPC: true, FactionID: 500001},
	{ID: 1000182, Name: "Tribal Liberation Force", Ticker: "TLIB", NPC: true, FactionID: 500002},
	{ID: 1000179, Name: "24th Imperial Crusade", Ticker: "24IC", NPC: true, FactionID: 500003},
	{ID: 1000181, Name: "Federal Defense Union", Ticker: "FDU", NPC: true, FactionID: 500004},
	{ID: 1000167, Name: "State War Academy", Ticker: "SWA", NPC: true, FactionID: 500001},
	{ID: 1000170, Name: "Republic Military School", Ticker: "RMS", NPC: true, FactionID: 500002},
	{ID: 1000166, Name: "Imperial Academy", Ticker: "IMPAC", NPC: true, FactionID: 500003},
	{ID: 1000168, Name: "Federal Navy Academy", Ticker: "FNA", NPC: true, FactionID: 500004},
}

// starterCorporations are where characters outside player corporations live.
var starterCorporations = []int32{1000167, 1000170, 1000166, 1000168}

var syllables = []string{
	"ka", "ri", "to", "ven", "mar", "sol", "eth", "ul", "dra", "xi", "no", "bel", "tor", "an", "is", "qua",
	"zen", "ro", "la", "mir", "ok", "sa", "thu", "vel", "yr", "gar", "hel", "im", "jo", "kes", "lun", "mo",
	"nar", "or", "pe", "ryn", "sil", "ta", "um", "va",
}

var corpWords = []string{
	"Industries", "Holdings", "Mining", "Logistics", "Tactical", "Enterprises", "Collective", "Syndicate",
	"Research", "Operations", "Expeditions", "Armada", "Foundry", "Consortium", "Brotherhood", "Corp",
}

var allianceWords = []string{"Alliance", "Coalition", "Federation", "Union", "Pact", "Legion", "Compact", "Accord"}

// Generate builds a universe: about one alliance per 300 characters and one
// player corporation per 15, most corporations in alliances, a tenth of the
// characters still in NPC starter corporations, and player accounts of one to
// three characters. 300,000 characters take well under a few seconds.
func Generate(opts Options) (*Universe, error) {
	if opts.Characters < 1 {
		return nil, fmt.Errorf("universe: %d characters: need at least 1", opts.Characters)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	n := opts.Characters
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6b6565707374))
	u := &Universe{
		seed:         opts.Seed,
		now:          opts.Now,
		factions:     map[int32]*Faction{},
		alliances:    map[int32]*Alliance{},
		corporations: map[int32]*Corporation{},
		characters:   make(map[int32]*Character, n),
		accounts:     map[int32]*Account{},
		fleets:       map[int64]*Fleet{},
		killmails:    map[int64]*Killmail{},
		members:      map[int32][]int32{},
		changed:      map[int64]time.Time{0: opts.Now().UTC().Truncate(time.Second)},
		nextFleetID:  1000000000000,
	}
	epoch := time.Date(2003, 5, 6, 0, 0, 0, 0, time.UTC)
	span := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Sub(epoch)
	randomDate := func() time.Time {
		return epoch.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)
	}
	for i := range staticFactions {
		f := staticFactions[i]
		u.factions[f.ID] = &f
	}
	for i := range staticNPCCorporations {
		c := staticNPCCorporations[i]
		c.Founded = epoch
		c.HomeStationID = 60003760
		c.Shares = 100000000
		c.TaxRate = 0.11
		c.Description = "A corporation of New Eden."
		u.corporations[c.ID] = &c
	}

	names := newNamer(r)
	tickers := map[string]bool{}
	nAlliances := max(1, n/300)
	nCorps := max(2, n/15)
	for i := range nAlliances {
		id := FirstPlayerAlliance + int32(i)*7 + 1
		name := names.unique(func() string {
			return names.word(2) + " " + allianceWords[r.IntN(len(allianceWords))]
		})
		a := &Alliance{ID: id, Name: name, Ticker: uniqueTicker(r, name, tickers), Founded: randomDate()}
		u.alliances[id] = a
		u.allianceIDs = append(u.allianceIDs, id)
	}
	corpIDs := make([]int32, nCorps)
	for i := range nCorps {
		id := FirstPlayerCorporation + int32(i)*3 + 1
		name := names.unique(func() string {
			return names.word(2) + " " + corpWords[r.IntN(len(corpWords))]
		})
		c := &Corporation{
			ID: id, Name: name, Ticker: uniqueTicker(r, name, tickers), Founded: randomDate(),
			HomeStationID: 60003760, TaxRate: float64(r.IntN(11)) / 100, Shares: 1000,
			Description: "Recruiting. Join our public channel.",
		}
		// Seven in ten corporations are in an alliance; the first corp of
		// each alliance is its executor and creator.
		if r.IntN(10) < 7 || i < nAlliances {
			a := u.alliances[u.allianceIDs[min(i, nAlliances-1)]]
			if i >= nAlliances {
				a = u.alliances[u.allianceIDs[r.IntN(nAlliances)]]
			}
			c.AllianceID = a.ID
			if a.ExecutorCorporation == 0 {
				a.ExecutorCorporation, a.CreatorCorporationID = id, id
			}
		}
		u.corporations[id] = c
		corpIDs[i] = id
	}

	// Characters: a tenth in starter corporations, the rest spread over the
	// player corporations with a skew, so some corporations are large.
	var account *Account
	for i := range n {
		id := FirstCharacter + int32(i)*2 + 1
		if account == nil || len(account.Characters) >= accountSize(r) {
			u.nextAccount++
			account = &Account{ID: u.nextAccount}
			u.accounts[account.ID] = account
		}
		corp := starterCorporations[r.IntN(len(starterCorporations))]
		if r.IntN(10) != 0 {
			// Squaring a uniform number favours the first corporations.
			f := r.Float64()
			corp = corpIDs[int(f*f*float64(nCorps))]
		}
		gender := "male"
		if r.IntN(2) == 0 {
			gender = "female"
		}
		born := randomDate()
		c := &Character{
			ID: id, Name: names.unique(func() string { return names.person() }), Birthday: born, Gender: gender,
			RaceID: []int32{1, 2, 4, 8}[r.IntN(4)], BloodlineID: int32(1 + r.IntN(14)), AncestryID: int32(1 + r.IntN(42)),
			SecurityStatus: float64(r.IntN(1001)-500) / 100, CorporationID: corp, AccountID: account.ID,
			SolarSystem: staticSystems[r.IntN(len(staticSystems))].ID, ShipTypeID: staticTypes[r.IntN(len(staticTypes))].ID,
			ShipItemID: 1000000000000 + int64(i), LastLogin: born.Add(24 * time.Hour), LastLogout: born.Add(26 * time.Hour),
			Logins: int32(1 + r.IntN(5000)), JoinedCorp: born.Add(48 * time.Hour),
		}
		c.ShipName = c.Name + "'s ship"
		u.records++
		c.History = []CorporationRecord{{RecordID: u.records, CorporationID: corp, StartDate: c.JoinedCorp.UTC()}}
		if r.IntN(3) == 0 {
			c.StationID = 60003760
		}
		account.Characters = append(account.Characters, id)
		u.characters[id] = c
		u.members[corp] = append(u.members[corp], id)
	}

	// CEOs, creators and directors come from each corporation's members.
	for _, cid := range corpIDs {
		c := u.corporations[cid]
		m := u.members[cid]
		if len(m) == 0 {
			continue
		}
		c.CEOID, c.CreatorID = m[0], m[0]
		ceo := u.characters[m[0]]
		ceo.Roles = []string{"Director"}
		for _, mid := range m[1:] {
			switch r.IntN(20) {
			case 0:
				u.characters[mid].Roles = []string{"Director"}
			case 1:
				u.characters[mid].Roles = []string{"Personnel_Manager", "Station_Manager"}
			}
		}
		if c.AllianceID != 0 {
			a := u.alliances[c.AllianceID]
			if a.CreatorCorporationID == cid {
				a.CreatorID = ceo.ID
			}
		}
	}
	for _, a := range u.alliances {
		if a.CreatorID == 0 {
			// An alliance whose executor has no members yet keeps a valid
			// creator: the first character of the universe.
			a.CreatorID = FirstCharacter + 1
		}
	}
	extra := rand.New(rand.NewPCG(uint64(opts.Seed), titleStream))
	u.generateTitles(extra, corpIDs)
	u.generateKillmails(extra, n)
	return u, nil
}

// accountSize draws how many characters a player account holds.
func accountSize(r *rand.Rand) int {
	switch x := r.IntN(20); {
	case x < 12:
		return 1
	case x < 17:
		return 2
	default:
		return 3
	}
}

// OwnerHash is the character's owner hash as EVE SSO reports it: 28
// characters of base64 that change whenever the character changes hands.
func (u *Universe) OwnerHash(c Character) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(u.seed))
	binary.BigEndian.PutUint32(b[8:], uint32(c.AccountID))
	binary.BigEndian.PutUint32(b[12:], uint32(c.ID))
	binary.BigEndian.PutUint64(b[16:], uint64(c.Transfers))
	sum := sha1.Sum(b[:])
	return base64.StdEncoding.EncodeToString(sum[:])
}

// namer makes pronounceable names and keeps them unique.
type namer struct {
	r    *rand.Rand
	seen map[string]bool
}

func newNamer(r *rand.Rand) *namer { return &namer{r: r, seen: map[string]bool{}} }

func (n *namer) word(parts int) string {
	var sb strings.Builder
	for i := range parts {
		s := syllables[n.r.IntN(len(syllables))]
		if i == 0 {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		sb.WriteString(s)
	}
	return sb.String()
}

func (n *namer) person() string {
	return n.word(2+n.r.IntN(2)) + " " + n.word(2+n.r.IntN(2))
}

// unique draws names until one is new; after a few collisions it numbers the
// name, as players do.
func (n *namer) unique(draw func() string) string {
	for range 5 {
		if s := draw(); !n.seen[s] {
			n.seen[s] = true
			return s
		}
	}
	for i := 2; ; i++ {
		s := fmt.Sprintf("%s %d", draw(), i)
		if !n.seen[s] {
			n.seen[s] = true
			return s
		}
	}
}

// uniqueTicker makes a ticker of 3 to 5 letters from a name's initials,
// adding random letters (and length) until it is unused.
func uniqueTicker(r *rand.Rand, name string, taken map[string]bool) string {
	var initials []byte
	for _, w := range strings.Fields(name) {
		initials = append(initials, strings.ToUpper(w[:1])...)
	}
	if len(initials) > 3 {
		initials = initials[:3]
	}
	for length := 3; ; length = min(length+1, 5) {
		for range 50 {
			cand := slices.Clone(initials)
			for len(cand) < length {
				cand = append(cand, byte('A'+r.IntN(26)))
			}
			if !taken[string(cand)] {
				taken[string(cand)] = true
				return string(cand)
			}
		}
	}
}
