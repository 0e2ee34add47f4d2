package access_test

import (
	"cmp"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
)

// The property test of the engine: random configurations and accounts,
// checked for idempotence, independence from the order of every list, and
// the invariants the rules promise. A failing case is shrunk (groups,
// rules, states, characters… dropped one at a time while it still fails)
// and printed.

const (
	propCases   = 6000
	propRequest = "groups.request"
)

var propNow = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// propCase is one random input. Its configuration is never computed with:
// every use clones it, since Compile caches indexes.
type propCase struct {
	cfg   access.Config
	facts access.Facts
}

// propFailure is a broken property: kind names it, detail shows how.
type propFailure struct{ kind, detail string }

func TestComputeProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20260801, 42))
	seen := map[string]bool{}
	for i := range propCases {
		pc := propGenerate(r)
		for _, f := range propCheck(pc) {
			if seen[f.kind] {
				continue
			}
			seen[f.kind] = true
			small := propShrink(pc, f.kind)
			detail := f.detail
			for _, g := range propCheck(small) {
				if g.kind == f.kind {
					detail = g.detail
				}
			}
			t.Errorf("case %d: %s\n%s\nsmallest failing input:\n%s", i, f.kind, detail, propDescribe(small))
		}
	}
}

// TestMayJoinKeepsWhatItAllows: a group MayJoin lets an account join is
// still the account's when it is computed again (MayJoin's promise).
// Deactivated accounts are left out: they join nothing. Groups that forbid
// themselves, default groups and the others are told apart, so that one
// failure does not hide another.
func TestMayJoinKeepsWhatItAllows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20260801, 43))
	for _, kind := range []string{"forbids itself", "default", "other, beside a group that forbids itself", "other, no group forbids itself"} {
		for i := range propCases {
			pc := propGenerate(r)
			pc.facts.Active = true
			fails := func(c propCase) bool { _, ok := propJoinTakenAway(c, kind); return ok }
			if fails(pc) {
				small := propShrinkWhile(pc, fails)
				id, _ := propJoinTakenAway(small, kind)
				t.Errorf("case %d: MayJoin allows group %d (%s), and computed again the account no longer has it\n"+
					"smallest failing input:\n%s", i, id, kind, propDescribe(small))
				break
			}
		}
	}
}

// propJoinKind sorts the groups of TestMayJoinKeepsWhatItAllows.
func propJoinKind(c *access.Config, g access.Group) string {
	switch {
	case slices.Contains(g.Forbidden, g.ID):
		return "forbids itself"
	case g.Default:
		return "default"
	case slices.ContainsFunc(c.Groups, func(o access.Group) bool { return slices.Contains(o.Forbidden, o.ID) }):
		return "other, beside a group that forbids itself"
	}
	return "other, no group forbids itself"
}

// propJoinTakenAway finds a group of a kind that MayJoin allows (to a
// superuser) and Compute takes away again.
func propJoinTakenAway(pc propCase, kind string) (int64, bool) {
	if !pc.facts.Active {
		return 0, false
	}
	cfg := propCloneConfig(&pc.cfg)
	res := access.Compute(propCloneFacts(pc.facts), cfg)
	for _, g := range pc.cfg.Groups {
		if propJoinKind(&pc.cfg, g) != kind || slices.Contains(res.Groups, g.ID) || cfg.MayJoin(propCloneFacts(pc.facts), res, g.ID, true) != "" {
			continue
		}
		f := propCloneFacts(pc.facts)
		f.Groups = append(slices.Clone(res.Groups), g.ID)
		if !slices.Contains(access.Compute(f, cfg).Groups, g.ID) {
			return g.ID, true
		}
	}
	return 0, false
}

// propGenerate makes a random configuration of 2–4 states and 5–12 groups
// and a random account.
func propGenerate(r *rand.Rand) propCase {
	chance := func(p float64) bool { return r.Float64() < p }
	corps := []int32{101, 102, 103, 104, 105}
	alliances := []int32{201, 202, 203}
	factions := []int32{301, 302}
	charIDs := []int32{1, 2, 3, 4, 5, 6}
	perms := []string{propRequest, "p.a", "p.b", "p.c"}
	roles := []string{"r.a", "r.b", "r.c", "r.d"}

	var pc propCase
	c := &pc.cfg
	c.Now = propNow
	c.RequestPermission = propRequest
	if chance(0.1) {
		c.RequestPermission = ""
	}

	nStates := 2 + r.IntN(3)
	priorities := r.Perm(10) // priorities are unique (states.priority is UNIQUE)
	guest := r.IntN(nStates) // one guest (states_one_guest)
	for i := range nStates {
		s := access.State{ID: int64(i + 1), Priority: priorities[i] * 10, Guest: i == guest, Public: chance(0.2),
			Characters: propPick32(r, charIDs, 0.15), Corporations: propPick32(r, corps, 0.25),
			Alliances: propPick32(r, alliances, 0.25), Factions: propPick32(r, factions, 0.2)}
		if chance(0.1) {
			s.Alliances[0], s.Factions[0] = true, true
		}
		s.Permissions = propListOf(propPickStr(r, perms, 0.2))
		c.States = append(c.States, s)
	}
	stateIDs := make([]int64, nStates)
	for i := range stateIDs {
		stateIDs[i] = int64(i + 1)
	}

	nAutogroups := r.IntN(3)
	for i := range nAutogroups {
		a := access.Autogroups{ID: int64(i + 1), States: propPick64(r, stateIDs, 0.5), Corporations: chance(0.7), Alliances: chance(0.6)}
		c.Autogroups = append(c.Autogroups, a)
	}

	// Without forbidden groups the rules keep the largest set they allow,
	// which propInvariants checks.
	forbidding := chance(0.7)
	nGroups := 5 + r.IntN(8)
	groupIDs := make([]int64, nGroups)
	for i := range groupIDs {
		groupIDs[i] = int64(i + 1)
	}
	others := func(max int) []int64 { // distinct group ids, sometimes unknown ones
		n := 1 + r.IntN(max)
		var out []int64
		for _, k := range r.Perm(nGroups)[:min(n, nGroups)] {
			out = append(out, groupIDs[k])
		}
		if chance(0.05) {
			out = append(out, 99)
		}
		return out
	}
	usedKeys := map[access.AutogroupKey]bool{}
	for i := range nGroups {
		g := access.Group{ID: groupIDs[i], Internal: chance(0.2), Hidden: chance(0.2), Open: chance(0.2), Public: chance(0.2),
			Restricted: chance(0.1), Default: chance(0.15)}
		if chance(0.3) {
			g.AllowedStates = propPick64(r, append(slices.Clone(stateIDs), 98), 0.4)
		}
		if chance(0.35) {
			g.Required = others(3)
		}
		if forbidding && chance(0.3) {
			g.Forbidden = others(2)
		}
		if chance(0.2) {
			g.Corporations, g.Alliances = propPick32(r, corps, 0.3), propPick32(r, alliances, 0.3)
		}
		if chance(0.3) {
			g.Permissions = propListOf(propPickStr(r, perms, 0.4))
		}
		if chance(0.25) {
			cfg := int64(1 + r.IntN(nAutogroups+1)) // sometimes a configuration that is gone
			k := access.AutogroupKey{Config: cfg, Kind: "corporation", EntityID: corps[r.IntN(len(corps))]}
			if chance(0.4) {
				k = access.AutogroupKey{Config: cfg, Kind: "alliance", EntityID: alliances[r.IntN(len(alliances))]}
			}
			if !usedKeys[k] { // groups_autogroup is UNIQUE
				usedKeys[k] = true
				g.Autogroup = &k
			}
		}
		c.Groups = append(c.Groups, g)
	}

	c.RoleRequirements = map[string][]int64{}
	for _, role := range roles {
		if chance(0.4) {
			c.RoleRequirements[role] = others(2)
		}
	}
	if chance(0.6) {
		c.Deactivation = access.Deactivation{Enabled: true, Delay: time.Duration(r.IntN(4)) * time.Hour}
		if chance(0.3) {
			c.Deactivation.Corporations = propPick32(r, corps, 0.4)
		}
		if chance(0.3) {
			c.Deactivation.Alliances = propPick32(r, alliances, 0.4)
		}
	}

	f := &pc.facts
	f.AccountID = 1
	f.Active = chance(0.85)
	f.Managed = chance(0.2)
	for _, k := range r.Perm(len(charIDs))[:r.IntN(5)] {
		ch := access.Character{ID: charIDs[k], CorporationID: corps[r.IntN(len(corps))]}
		if chance(0.7) {
			ch.AllianceID = alliances[r.IntN(len(alliances))]
		}
		if chance(0.3) {
			ch.FactionID = factions[r.IntN(len(factions))]
		}
		f.Characters = append(f.Characters, ch)
		if chance(0.85) { // one core.default token a character at most
			tok := access.Token{CharacterID: ch.ID, Present: chance(0.85), Valid: chance(0.6), HasScopes: chance(0.85)}
			if !tok.Valid && chance(0.8) {
				tok.InvalidSince = propNow.Add(time.Duration(r.IntN(9)-4) * time.Hour)
			}
			f.Tokens = append(f.Tokens, tok)
		}
	}
	if len(f.Characters) > 0 && chance(0.85) {
		m := f.Characters[r.IntN(len(f.Characters))]
		f.Main = &m
	}
	for _, id := range groupIDs {
		if chance(0.35) {
			f.Groups = append(f.Groups, id)
		}
	}
	if chance(0.1) {
		f.Groups = append(f.Groups, 99) // deleted meanwhile
	}
	f.Permissions = propListOf(propPickStr(r, perms, 0.25))
	f.Roles = propListOf(propPickStr(r, roles, 0.5))
	return pc
}

func propPick32(r *rand.Rand, from []int32, p float64) map[int32]bool {
	m := map[int32]bool{}
	for _, x := range from {
		if r.Float64() < p {
			m[x] = true
		}
	}
	return m
}

func propPick64(r *rand.Rand, from []int64, p float64) map[int64]bool {
	m := map[int64]bool{}
	for _, x := range from {
		if r.Float64() < p {
			m[x] = true
		}
	}
	return m
}

// propPickStr picks strings as a set; lists are made from it where needed.
func propPickStr(r *rand.Rand, from []string, p float64) map[string]bool {
	m := map[string]bool{}
	for _, x := range from {
		if r.Float64() < p {
			m[x] = true
		}
	}
	return m
}

// propListOf lists a set of strings, sorted.
func propListOf(m map[string]bool) []string { return slices.Sorted(maps.Keys(m)) }

// propCloneConfig copies what the engine reads, uncompiled. Maps are shared:
// the engine only reads them, and shrinking replaces rather than edits them.
func propCloneConfig(c *access.Config) *access.Config {
	out := &access.Config{
		States:            make([]access.State, len(c.States)),
		Groups:            make([]access.Group, len(c.Groups)),
		Autogroups:        slices.Clone(c.Autogroups),
		RoleRequirements:  map[string][]int64{},
		RequestPermission: c.RequestPermission,
		Deactivation:      c.Deactivation,
		Now:               c.Now,
	}
	for i, s := range c.States {
		s.Permissions = slices.Clone(s.Permissions)
		out.States[i] = s
	}
	for i, g := range c.Groups {
		g.Required, g.Forbidden, g.Permissions = slices.Clone(g.Required), slices.Clone(g.Forbidden), slices.Clone(g.Permissions)
		out.Groups[i] = g
	}
	for role, groups := range c.RoleRequirements {
		out.RoleRequirements[role] = slices.Clone(groups)
	}
	return out
}

func propCloneFacts(f access.Facts) access.Facts {
	if f.Main != nil {
		m := *f.Main
		f.Main = &m
	}
	f.Characters, f.Groups = slices.Clone(f.Characters), slices.Clone(f.Groups)
	f.Permissions, f.Roles, f.Tokens = slices.Clone(f.Permissions), slices.Clone(f.Roles), slices.Clone(f.Tokens)
	return f
}

func propClone(pc propCase) propCase {
	return propCase{cfg: *propCloneConfig(&pc.cfg), facts: propCloneFacts(pc.facts)}
}

// propShuffle permutes a list at random, or reverses it.
func propShuffle[T any](r *rand.Rand, s []T) {
	if r == nil {
		slices.Reverse(s)
		return
	}
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// propShuffled is the case with every list in another order: reversed
// when r is nil.
func propShuffled(pc propCase, r *rand.Rand) (*access.Config, access.Facts) {
	c, f := propCloneConfig(&pc.cfg), propCloneFacts(pc.facts)
	propShuffle(r, c.States)
	propShuffle(r, c.Groups)
	propShuffle(r, c.Autogroups)
	for i := range c.States {
		propShuffle(r, c.States[i].Permissions)
	}
	for i := range c.Groups {
		propShuffle(r, c.Groups[i].Required)
		propShuffle(r, c.Groups[i].Forbidden)
		propShuffle(r, c.Groups[i].Permissions)
	}
	for _, groups := range c.RoleRequirements {
		propShuffle(r, groups)
	}
	propShuffle(r, f.Characters)
	propShuffle(r, f.Groups)
	propShuffle(r, f.Permissions)
	propShuffle(r, f.Roles)
	propShuffle(r, f.Tokens)
	return c, f
}

func propEqual(a, b access.Result) bool {
	return a.StateID == b.StateID && a.Deactivated == b.Deactivated && slices.Equal(a.Groups, b.Groups) &&
		slices.Equal(a.Roles, b.Roles) && slices.Equal(a.Permissions, b.Permissions) &&
		slices.Equal(a.MissingAutogroups, b.MissingAutogroups)
}

// propSameButMissingOrder reports whether a and b differ only in the order
// of MissingAutogroups.
func propSameButMissingOrder(a, b access.Result) bool {
	a.MissingAutogroups = slices.SortedFunc(slices.Values(a.MissingAutogroups), propCompareKeys)
	b.MissingAutogroups = slices.SortedFunc(slices.Values(b.MissingAutogroups), propCompareKeys)
	return propEqual(a, b)
}

func propCompareKeys(a, b access.AutogroupKey) int {
	return cmp.Or(cmp.Compare(a.Config, b.Config), strings.Compare(a.Kind, b.Kind), cmp.Compare(a.EntityID, b.EntityID))
}

// propCheck computes the case and lists every property it breaks, one
// failure a kind.
func propCheck(pc propCase) []propFailure {
	var out []propFailure
	fail := func(kind, format string, args ...any) {
		for _, f := range out {
			if f.kind == kind {
				return
			}
		}
		out = append(out, propFailure{kind, fmt.Sprintf(format, args...)})
	}
	cfg, f := propCloneConfig(&pc.cfg), propCloneFacts(pc.facts)
	res := access.Compute(f, cfg)
	if !reflect.DeepEqual(f, pc.facts) || !reflect.DeepEqual(cfg.States, pc.cfg.States) || !reflect.DeepEqual(cfg.Groups, pc.cfg.Groups) ||
		!reflect.DeepEqual(cfg.Autogroups, pc.cfg.Autogroups) || !reflect.DeepEqual(cfg.RoleRequirements, pc.cfg.RoleRequirements) {
		fail("Compute leaves its inputs alone", "facts before %+v\nafter %+v", pc.facts, f)
	}

	// Idempotent: computed again from its groups, with the same compiled
	// configuration, nothing changes.
	again := propCloneFacts(pc.facts)
	again.Groups = slices.Clone(res.Groups)
	if res2 := access.Compute(again, cfg); !propEqual(res, res2) {
		fail("idempotent", "first:  %+v\nagain:  %+v", res, res2)
	}

	// Order-independent: reversed, then three random orders.
	for k := range 4 {
		var r *rand.Rand
		if k > 0 {
			r = rand.New(rand.NewPCG(uint64(k), 7))
		}
		c2, f2 := propShuffled(pc, r)
		res2 := access.Compute(f2, c2)
		switch {
		case propEqual(res, res2):
		case propSameButMissingOrder(res, res2):
			fail("order-independent: MissingAutogroups order", "in order: %v\nshuffled: %v", res.MissingAutogroups, res2.MissingAutogroups)
		default:
			fail("order-independent", "in order: %+v\nshuffled: %+v\nshuffled config groups: %v states: %v",
				res, res2, propGroupOrder(c2), propStateOrder(c2))
		}
	}

	propInvariants(pc, res, fail)
	return out
}

func propGroupOrder(c *access.Config) []int64 {
	var ids []int64
	for _, g := range c.Groups {
		ids = append(ids, g.ID)
	}
	return ids
}

func propStateOrder(c *access.Config) []int64 {
	var ids []int64
	for _, s := range c.States {
		ids = append(ids, s.ID)
	}
	return ids
}

// propInvariants checks what every result must satisfy, from the
// specification alone.
func propInvariants(pc propCase, res access.Result, fail func(kind, format string, args ...any)) {
	c, f := &pc.cfg, pc.facts
	groups := map[int64]*access.Group{}
	for i := range c.Groups {
		groups[c.Groups[i].ID] = &c.Groups[i]
	}
	held := map[int64]bool{}
	for _, id := range res.Groups {
		held[id] = true
	}
	current := map[int64]bool{}
	for _, id := range f.Groups {
		current[id] = true
	}
	var guest *access.State
	states := map[int64]*access.State{}
	for i := range c.States {
		states[c.States[i].ID] = &c.States[i]
		if c.States[i].Guest {
			guest = &c.States[i]
		}
	}

	// Sorted, no duplicates.
	if !propStrictlySorted(res.Groups) || !propStrictlySorted(res.Roles) || !propStrictlySorted(res.Permissions) ||
		!slices.IsSortedFunc(res.MissingAutogroups, propCompareKeys) || len(slices.Compact(slices.Clone(res.MissingAutogroups))) != len(res.MissingAutogroups) {
		fail("results sorted without duplicates", "%+v", res)
	}

	// The state: the highest-priority state open to the main, else guest.
	want := int64(0)
	if guest != nil {
		want = guest.ID
	}
	if f.Active && f.Main != nil {
		best := -1
		for i := range c.States {
			s := &c.States[i]
			m := f.Main
			open := s.Public || s.Characters[m.ID] || s.Corporations[m.CorporationID] ||
				m.AllianceID != 0 && s.Alliances[m.AllianceID] || m.FactionID != 0 && s.Factions[m.FactionID]
			if open && (best < 0 || s.Priority > best) {
				best, want = s.Priority, s.ID
			}
		}
	}
	if res.StateID != want {
		fail("state", "state %d, want %d", res.StateID, want)
	}
	state := states[res.StateID]

	perms := map[string]bool{}
	for _, p := range f.Permissions {
		perms[p] = true
	}
	if state != nil {
		for _, p := range state.Permissions {
			perms[p] = true
		}
	}
	for _, id := range res.Groups {
		g := groups[id]
		if g == nil {
			fail("every result group exists", "group %d is not in the configuration", id)
			continue
		}
		for _, p := range g.Permissions {
			perms[p] = true
		}
	}
	if want := slices.Sorted(maps.Keys(perms)); !slices.Equal(res.Permissions, want) {
		fail("permissions: own ∪ state's ∪ groups'", "permissions %v, want %v", res.Permissions, want)
	}
	for _, p := range f.Permissions {
		if !slices.Contains(res.Permissions, p) {
			fail("permissions include the account's own", "%q missing from %v", p, res.Permissions)
		}
	}

	for _, id := range res.Groups {
		g := groups[id]
		if g == nil {
			continue
		}
		if slices.ContainsFunc(g.Forbidden, func(o int64) bool { return held[o] }) {
			fail("no forbidden group beside its forbidder", "group %d forbids %v; result %v", id, g.Forbidden, res.Groups)
		}
		if len(g.Required) > 0 && !slices.ContainsFunc(g.Required, func(o int64) bool { return held[o] }) {
			fail("a required group is held", "group %d requires one of %v; result %v", id, g.Required, res.Groups)
		}
		if !g.Public && len(g.AllowedStates) > 0 && !g.AllowedStates[res.StateID] {
			fail("allowed states", "group %d allows states %v, state %d", id, propKeys(g.AllowedStates), res.StateID)
		}
		mapped := len(g.Corporations) > 0 || len(g.Alliances) > 0
		automatic := mapped || g.Autogroup != nil
		requestable := !g.Public && !g.Internal && !automatic && !g.Default
		if c.RequestPermission != "" && requestable && !perms[c.RequestPermission] {
			fail("requestable groups need the request permission", "group %d held without %q", id, c.RequestPermission)
		}
		if f.Managed {
			continue
		}
		// A default group is every standard account's, mapped or not.
		if automatic && !g.Default && !propQualifies(c, f, state, g) {
			fail("standard accounts: automatic groups only when they qualify", "group %d held; characters %v main %v", id, f.Characters, f.Main)
		}
		if !automatic && !g.Default && !current[id] {
			fail("standard accounts: other groups only from current ones", "group %d added; current %v", id, f.Groups)
		}
	}
	if !f.Active {
		if len(res.Groups) > 0 {
			fail("deactivated accounts have no groups", "groups %v", res.Groups)
		}
		if guest != nil && res.StateID != guest.ID {
			fail("deactivated accounts are guests", "state %d", res.StateID)
		}
	}
	if f.Managed {
		for _, id := range res.Groups {
			if !current[id] {
				fail("managed accounts: groups ⊆ current groups", "group %d added; current %v", id, f.Groups)
			}
		}
	}

	// Without forbidden groups, the rules only take away what may not
	// stay: no candidate left out could come back on its own.
	if !slices.ContainsFunc(c.Groups, func(g access.Group) bool { return len(g.Forbidden) > 0 }) {
		for _, id := range propCandidates(c, f, state) {
			if held[id] {
				continue
			}
			g := groups[id]
			with := maps.Clone(held)
			with[id] = true
			mayRequest := c.RequestPermission == "" || perms[c.RequestPermission] || slices.Contains(g.Permissions, c.RequestPermission)
			automatic := len(g.Corporations) > 0 || len(g.Alliances) > 0 || g.Autogroup != nil
			requestable := !g.Public && !g.Internal && !automatic && !g.Default
			blocked := !g.Public && len(g.AllowedStates) > 0 && !g.AllowedStates[res.StateID] ||
				requestable && !mayRequest ||
				len(g.Required) > 0 && !slices.ContainsFunc(g.Required, func(o int64) bool { return with[o] })
			if !blocked {
				fail("without forbidden groups, nothing is taken away that may stay", "group %d could stay beside %v", id, res.Groups)
			}
		}
	}

	var wantRoles []string
	for _, role := range f.Roles {
		req := c.RoleRequirements[role]
		if len(req) == 0 || slices.ContainsFunc(req, func(g int64) bool { return held[g] }) {
			wantRoles = append(wantRoles, role)
		}
	}
	slices.Sort(wantRoles)
	wantRoles = slices.Compact(wantRoles)
	for _, role := range res.Roles {
		if !slices.Contains(f.Roles, role) {
			fail("roles ⊆ given roles", "role %q was not given", role)
		}
	}
	if !slices.Equal(res.Roles, wantRoles) {
		fail("roles: given minus those whose groups are all missing", "roles %v, want %v", res.Roles, wantRoles)
	}

	if want := propDeactivation(c, f); res.Deactivated != want {
		fail("deactivation", "deactivated %q, want %q", res.Deactivated, want)
	}

	var wantMissing []access.AutogroupKey
	if f.Active && !f.Managed && f.Main != nil && state != nil {
		for _, key := range propAutogroupKeys(c, f.Main, state) {
			if !slices.ContainsFunc(c.Groups, func(g access.Group) bool { return g.Autogroup != nil && *g.Autogroup == key }) {
				wantMissing = append(wantMissing, key)
			}
		}
	}
	slices.SortFunc(wantMissing, propCompareKeys)
	if got := slices.SortedFunc(slices.Values(res.MissingAutogroups), propCompareKeys); !slices.Equal(got, wantMissing) {
		fail("missing autogroups", "missing %v, want %v", res.MissingAutogroups, wantMissing)
	}
}

// propCandidates are the groups an account may keep or get before the
// rules: its current groups that exist; for active standard accounts, not
// the automatic ones among them but the defaults and the automatic groups
// it qualifies for.
func propCandidates(c *access.Config, f access.Facts, state *access.State) []int64 {
	if !f.Active {
		return nil
	}
	var out []int64
	for i := range c.Groups {
		g := &c.Groups[i]
		automatic := len(g.Corporations) > 0 || len(g.Alliances) > 0 || g.Autogroup != nil
		switch {
		case f.Managed:
			if slices.Contains(f.Groups, g.ID) {
				out = append(out, g.ID)
			}
		case g.Default, automatic && propQualifies(c, f, state, g), !automatic && slices.Contains(f.Groups, g.ID):
			out = append(out, g.ID)
		}
	}
	return out
}

// propQualifies reports whether an account qualifies for an automatic
// group: a character in its corporations or alliances, or the main's
// autogroup in a configuration of the state.
func propQualifies(c *access.Config, f access.Facts, state *access.State, g *access.Group) bool {
	for _, ch := range f.Characters {
		if g.Corporations[ch.CorporationID] || ch.AllianceID != 0 && g.Alliances[ch.AllianceID] {
			return true
		}
	}
	return g.Autogroup != nil && f.Main != nil && state != nil && slices.Contains(propAutogroupKeys(c, f.Main, state), *g.Autogroup)
}

// propAutogroupKeys are the autogroups a main in a state belongs in.
func propAutogroupKeys(c *access.Config, main *access.Character, state *access.State) []access.AutogroupKey {
	var keys []access.AutogroupKey
	for _, ag := range c.Autogroups {
		if !ag.States[state.ID] {
			continue
		}
		if ag.Corporations && main.CorporationID != 0 {
			keys = append(keys, access.AutogroupKey{Config: ag.ID, Kind: "corporation", EntityID: main.CorporationID})
		}
		if ag.Alliances && main.AllianceID != 0 {
			keys = append(keys, access.AutogroupKey{Config: ag.ID, Kind: "alliance", EntityID: main.AllianceID})
		}
	}
	return keys
}

// propDeactivation is Neucore's group deactivation, from the brief.
func propDeactivation(c *access.Config, f access.Facts) access.Deactivated {
	d := c.Deactivation
	if !d.Enabled || f.Managed || !f.Active || len(f.Characters) == 0 {
		return access.NotDeactivated
	}
	if len(d.Corporations) > 0 || len(d.Alliances) > 0 {
		in := false
		for _, ch := range f.Characters {
			in = in || d.Corporations[ch.CorporationID] || ch.AllianceID != 0 && d.Alliances[ch.AllianceID]
		}
		if !in {
			return access.NotDeactivated
		}
	}
	yes, soon := false, false
	for _, ch := range f.Characters {
		i := slices.IndexFunc(f.Tokens, func(t access.Token) bool { return t.CharacterID == ch.ID })
		switch {
		case i < 0 || !f.Tokens[i].Present:
			yes = true
		case f.Tokens[i].Valid && !f.Tokens[i].HasScopes:
			yes = true
		case !f.Tokens[i].Valid:
			t := f.Tokens[i]
			if t.InvalidSince.IsZero() || !c.Now.Before(t.InvalidSince.Add(d.Delay)) {
				yes = true
			} else {
				soon = true
			}
		}
	}
	switch {
	case yes:
		return access.YesDeactivated
	case soon:
		return access.SoonDeactivated
	}
	return access.NotDeactivated
}

func propStrictlySorted[T int64 | string](s []T) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] >= s[i] {
			return false
		}
	}
	return true
}

func propKeys[K int32 | int64](m map[K]bool) []K {
	var out []K
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// propShrink makes a failing case as small as it can while it still breaks
// the property kind.
func propShrink(pc propCase, kind string) propCase {
	return propShrinkWhile(pc, func(c propCase) bool {
		return slices.ContainsFunc(propCheck(c), func(f propFailure) bool { return f.kind == kind })
	})
}

// propShrinkWhile makes a case as small as it can while fails holds.
func propShrinkWhile(pc propCase, fails func(propCase) bool) propCase {
	for changed := true; changed; {
		changed = false
		for _, smaller := range propSmaller(pc) {
			if fails(smaller) {
				pc, changed = smaller, true
				break
			}
		}
	}
	return pc
}

// propSmaller lists the cases one step simpler than pc.
func propSmaller(pc propCase) []propCase {
	var out []propCase
	try := func(change func(*propCase)) {
		c := propClone(pc)
		change(&c)
		out = append(out, c)
	}
	without64 := func(s []int64, x int64) []int64 {
		return slices.DeleteFunc(slices.Clone(s), func(y int64) bool { return y == x })
	}
	withoutKey64 := func(m map[int64]bool, x int64) map[int64]bool {
		if !m[x] {
			return m
		}
		out := maps.Clone(m)
		delete(out, x)
		return out
	}

	// Groups, with the rules and facts that name them.
	for i, g := range pc.cfg.Groups {
		id := g.ID
		try(func(c *propCase) {
			c.cfg.Groups = slices.Delete(c.cfg.Groups, i, i+1)
			for j := range c.cfg.Groups {
				c.cfg.Groups[j].Required = without64(c.cfg.Groups[j].Required, id)
				c.cfg.Groups[j].Forbidden = without64(c.cfg.Groups[j].Forbidden, id)
			}
			for role, req := range c.cfg.RoleRequirements {
				c.cfg.RoleRequirements[role] = without64(req, id)
			}
			c.facts.Groups = without64(c.facts.Groups, id)
		})
	}
	for i, g := range pc.cfg.Groups {
		for _, o := range g.Required {
			try(func(c *propCase) { c.cfg.Groups[i].Required = without64(c.cfg.Groups[i].Required, o) })
		}
		for _, o := range g.Forbidden {
			try(func(c *propCase) { c.cfg.Groups[i].Forbidden = without64(c.cfg.Groups[i].Forbidden, o) })
		}
		if len(g.AllowedStates) > 0 {
			try(func(c *propCase) { c.cfg.Groups[i].AllowedStates = nil })
		}
		if len(g.Corporations)+len(g.Alliances) > 0 {
			try(func(c *propCase) { c.cfg.Groups[i].Corporations, c.cfg.Groups[i].Alliances = nil, nil })
		}
		if len(g.Permissions) > 0 {
			try(func(c *propCase) { c.cfg.Groups[i].Permissions = nil })
		}
		if g.Autogroup != nil {
			try(func(c *propCase) { c.cfg.Groups[i].Autogroup = nil })
		}
		for _, flag := range []func(*access.Group) *bool{
			func(g *access.Group) *bool { return &g.Internal }, func(g *access.Group) *bool { return &g.Hidden },
			func(g *access.Group) *bool { return &g.Open }, func(g *access.Group) *bool { return &g.Public },
			func(g *access.Group) *bool { return &g.Restricted }, func(g *access.Group) *bool { return &g.Default },
		} {
			if *flag(&g) {
				try(func(c *propCase) { *flag(&c.cfg.Groups[i]) = false })
			}
		}
	}

	// States (never the guest), with what names them.
	for i, s := range pc.cfg.States {
		id := s.ID
		if !s.Guest {
			try(func(c *propCase) {
				c.cfg.States = slices.Delete(c.cfg.States, i, i+1)
				for j := range c.cfg.Groups {
					c.cfg.Groups[j].AllowedStates = withoutKey64(c.cfg.Groups[j].AllowedStates, id)
				}
				for j := range c.cfg.Autogroups {
					c.cfg.Autogroups[j].States = withoutKey64(c.cfg.Autogroups[j].States, id)
				}
			})
		}
		if s.Public {
			try(func(c *propCase) { c.cfg.States[i].Public = false })
		}
		if len(s.Characters) > 0 {
			try(func(c *propCase) { c.cfg.States[i].Characters = nil })
		}
		if len(s.Corporations) > 0 {
			try(func(c *propCase) { c.cfg.States[i].Corporations = nil })
		}
		if len(s.Alliances) > 0 {
			try(func(c *propCase) { c.cfg.States[i].Alliances = nil })
		}
		if len(s.Factions) > 0 {
			try(func(c *propCase) { c.cfg.States[i].Factions = nil })
		}
		if len(s.Permissions) > 0 {
			try(func(c *propCase) { c.cfg.States[i].Permissions = nil })
		}
	}

	for i, a := range pc.cfg.Autogroups {
		try(func(c *propCase) { c.cfg.Autogroups = slices.Delete(c.cfg.Autogroups, i, i+1) })
		if a.Corporations {
			try(func(c *propCase) { c.cfg.Autogroups[i].Corporations = false })
		}
		if a.Alliances {
			try(func(c *propCase) { c.cfg.Autogroups[i].Alliances = false })
		}
	}
	for role := range pc.cfg.RoleRequirements {
		try(func(c *propCase) { delete(c.cfg.RoleRequirements, role) })
	}
	if pc.cfg.Deactivation.Enabled {
		try(func(c *propCase) { c.cfg.Deactivation = access.Deactivation{} })
	}
	if len(pc.cfg.Deactivation.Corporations)+len(pc.cfg.Deactivation.Alliances) > 0 {
		try(func(c *propCase) { c.cfg.Deactivation.Corporations, c.cfg.Deactivation.Alliances = nil, nil })
	}

	// Facts.
	for i, ch := range pc.facts.Characters {
		try(func(c *propCase) {
			c.facts.Characters = slices.Delete(c.facts.Characters, i, i+1)
			c.facts.Tokens = slices.DeleteFunc(c.facts.Tokens, func(t access.Token) bool { return t.CharacterID == ch.ID })
			if c.facts.Main != nil && c.facts.Main.ID == ch.ID {
				c.facts.Main = nil
			}
		})
	}
	if pc.facts.Main != nil {
		try(func(c *propCase) { c.facts.Main = nil })
	}
	for i := range pc.facts.Groups {
		try(func(c *propCase) { c.facts.Groups = slices.Delete(c.facts.Groups, i, i+1) })
	}
	for i := range pc.facts.Permissions {
		try(func(c *propCase) { c.facts.Permissions = slices.Delete(c.facts.Permissions, i, i+1) })
	}
	for i := range pc.facts.Roles {
		try(func(c *propCase) { c.facts.Roles = slices.Delete(c.facts.Roles, i, i+1) })
	}
	for i := range pc.facts.Tokens {
		try(func(c *propCase) { c.facts.Tokens = slices.Delete(c.facts.Tokens, i, i+1) })
	}
	if pc.facts.Managed {
		try(func(c *propCase) { c.facts.Managed = false })
	}
	if !pc.facts.Active {
		try(func(c *propCase) { c.facts.Active = true })
	}
	return out
}

// propDescribe prints a case compactly: only what is set.
func propDescribe(pc propCase) string {
	var b strings.Builder
	c, f := &pc.cfg, pc.facts
	fmt.Fprintf(&b, "  config: RequestPermission=%q Now=%s\n", c.RequestPermission, c.Now.Format(time.RFC3339))
	for _, s := range c.States {
		fmt.Fprintf(&b, "    state %d priority=%d", s.ID, s.Priority)
		propFlags(&b, map[string]bool{"guest": s.Guest, "public": s.Public})
		propSet(&b, "characters", s.Characters)
		propSet(&b, "corporations", s.Corporations)
		propSet(&b, "alliances", s.Alliances)
		propSet(&b, "factions", s.Factions)
		if len(s.Permissions) > 0 {
			fmt.Fprintf(&b, " permissions=%v", s.Permissions)
		}
		b.WriteString("\n")
	}
	for _, g := range c.Groups {
		fmt.Fprintf(&b, "    group %d", g.ID)
		propFlags(&b, map[string]bool{"internal": g.Internal, "hidden": g.Hidden, "open": g.Open, "public": g.Public,
			"restricted": g.Restricted, "default": g.Default})
		if len(g.AllowedStates) > 0 {
			fmt.Fprintf(&b, " allowedStates=%v", propKeys(g.AllowedStates))
		}
		if len(g.Required) > 0 {
			fmt.Fprintf(&b, " required=%v", g.Required)
		}
		if len(g.Forbidden) > 0 {
			fmt.Fprintf(&b, " forbidden=%v", g.Forbidden)
		}
		propSet(&b, "corporations", g.Corporations)
		propSet(&b, "alliances", g.Alliances)
		if len(g.Permissions) > 0 {
			fmt.Fprintf(&b, " permissions=%v", g.Permissions)
		}
		if g.Autogroup != nil {
			fmt.Fprintf(&b, " autogroup=%+v", *g.Autogroup)
		}
		b.WriteString("\n")
	}
	for _, a := range c.Autogroups {
		fmt.Fprintf(&b, "    autogroups %d states=%v", a.ID, propKeys(a.States))
		propFlags(&b, map[string]bool{"corporations": a.Corporations, "alliances": a.Alliances})
		b.WriteString("\n")
	}
	for _, role := range slices.Sorted(maps.Keys(c.RoleRequirements)) {
		fmt.Fprintf(&b, "    role %s requires one of %v\n", role, c.RoleRequirements[role])
	}
	if d := c.Deactivation; d.Enabled {
		fmt.Fprintf(&b, "    deactivation delay=%s", d.Delay)
		propSet(&b, "corporations", d.Corporations)
		propSet(&b, "alliances", d.Alliances)
		b.WriteString("\n")
	}
	b.WriteString("  facts:")
	propFlags(&b, map[string]bool{"active": f.Active, "managed": f.Managed})
	if f.Main != nil {
		fmt.Fprintf(&b, " main=%+v", *f.Main)
	}
	b.WriteString("\n")
	for _, ch := range f.Characters {
		fmt.Fprintf(&b, "    character %+v\n", ch)
	}
	for _, t := range f.Tokens {
		fmt.Fprintf(&b, "    token character=%d present=%t valid=%t scopes=%t", t.CharacterID, t.Present, t.Valid, t.HasScopes)
		if !t.InvalidSince.IsZero() {
			fmt.Fprintf(&b, " invalidSince=Now%+s", t.InvalidSince.Sub(c.Now))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "    groups=%v permissions=%v roles=%v\n", f.Groups, f.Permissions, f.Roles)
	res := access.Compute(propCloneFacts(f), propCloneConfig(c))
	fmt.Fprintf(&b, "  result: %+v", res)
	return b.String()
}

func propFlags(b *strings.Builder, flags map[string]bool) {
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		if flags[name] {
			b.WriteString(" " + name)
		}
	}
}

func propSet[K int32 | int64](b *strings.Builder, name string, m map[K]bool) {
	if len(m) > 0 {
		fmt.Fprintf(b, " %s=%v", name, propKeys(m))
	}
}
