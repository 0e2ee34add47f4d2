package access

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// The access engine: a pure function from what is known of an account
// (Facts) and the site's rules (Config) to what the account is and may do
// (Result). Recompute loads the facts of many accounts at once, runs it for
// each, and writes back only what changed.

// Character is what the engine knows of a character.
type Character struct {
	ID            int32
	CorporationID int32
	AllianceID    int32
	FactionID     int32
}

// Token is what the engine knows of a character's core.default token.
type Token struct {
	CharacterID int32
	// Present is false when the character has no token.
	Present bool
	// Valid and scoped: a token without scopes counts as no token.
	Valid     bool
	HasScopes bool
	// InvalidSince is when EVE refused it; zero while valid.
	InvalidSince time.Time
}

// Facts are what the engine knows of one account.
type Facts struct {
	AccountID int64
	Managed   bool // status "managed": no automatic or default groups
	Active    bool // false: deactivated by an admin
	// Main is the main character; nil when the account has none.
	Main       *Character
	Characters []Character
	// Groups are the account's current groups.
	Groups      []int64
	Permissions []string // given to the account itself
	Roles       []string // given to the account itself
	Tokens      []Token
}

// State is a state as the engine uses it.
type State struct {
	ID       int64
	Priority int
	// Public states are open to every main character; Guest is the
	// catch-all.
	Public, Guest bool
	Characters    map[int32]bool
	Corporations  map[int32]bool
	Alliances     map[int32]bool
	Factions      map[int32]bool
	Permissions   []string
}

// admits reports whether the state is open to a main character.
func (s *State) admits(c *Character) bool {
	return s.Public || s.Characters[c.ID] || s.Corporations[c.CorporationID] ||
		c.AllianceID != 0 && s.Alliances[c.AllianceID] || c.FactionID != 0 && s.Factions[c.FactionID]
}

// Group is a group as the engine uses it.
type Group struct {
	ID int64
	// Alliance Auth's flags.
	Internal, Hidden, Open, Public, Restricted bool
	// Default groups go to every standard account (Neucore).
	Default bool
	// AllowedStates: accounts of other states may not be members (none:
	// any state).
	AllowedStates map[int64]bool
	// Required: a member of at least one; Forbidden: of none (Neucore).
	Required, Forbidden []int64
	// Corporations and Alliances map the group: accounts with any
	// character in them are members, and no other account (Neucore).
	Corporations, Alliances map[int32]bool
	Permissions             []string
	// Autogroup is set on Alliance Auth's automatic groups.
	Autogroup *AutogroupKey
}

// mapped reports whether membership follows corporations or alliances.
func (g *Group) mapped() bool { return len(g.Corporations) > 0 || len(g.Alliances) > 0 }

// automatic reports whether the engine alone decides who is a member of
// the group for standard accounts: mapped groups and autogroups.
func (g *Group) automatic() bool { return g.mapped() || g.Autogroup != nil }

// requestable reports whether the group is one members join by request,
// the groups the request permission governs: not public, not internal
// (managed by admins), not given by the engine.
func (g *Group) requestable() bool { return !g.Public && !g.Internal && !g.automatic() && !g.Default }

// AutogroupKey names an automatic group of Alliance Auth: the group of one
// corporation or alliance in one configuration.
type AutogroupKey struct {
	Config   int64
	Kind     string // "corporation" or "alliance"
	EntityID int32
}

// Autogroups is one automatic groups configuration.
type Autogroups struct {
	ID           int64
	States       map[int64]bool
	Corporations bool
	Alliances    bool
}

// Deactivation is Neucore's group deactivation for invalid tokens.
type Deactivation struct {
	Enabled bool
	Delay   time.Duration
	// Alliances and Corporations limit it to accounts with a character in
	// them; both empty: every account.
	Alliances, Corporations map[int32]bool
}

// Deactivated tells whether an account's groups are deactivated for apps
// and services.
type Deactivated string

const (
	NotDeactivated  Deactivated = "no"
	SoonDeactivated Deactivated = "soon"
	YesDeactivated  Deactivated = "yes"
)

// Config is the site's rules, compiled once for many accounts.
type Config struct {
	// States in any order; Compile sorts them by priority.
	States     []State
	Groups     []Group
	Autogroups []Autogroups
	// RoleRequirements: a role needs the account to be in one of the
	// groups, and is taken away otherwise.
	RoleRequirements map[string][]int64
	// RequestPermission is the permission needed to stay in groups joined
	// by request (Alliance Auth's request_groups).
	RequestPermission string
	Deactivation      Deactivation
	Now               time.Time
	// Problems are what is wrong in the stored rules, and what the engine
	// does instead (a broken deactivation list turns deactivation off):
	// the recomputation job logs them.
	Problems []string

	states     []*State
	guest      *State
	groups     map[int64]*Group
	defaults   []int64
	byCorp     map[int32][]int64
	byAlliance map[int32][]int64
	autogroup  map[AutogroupKey]int64
	// roleRequired: the groups some role requires (guarded).
	roleRequired map[int64]bool
}

// Compile indexes the configuration; the engine calls it when needed.
func (c *Config) Compile() {
	c.states = make([]*State, len(c.States))
	for i := range c.States {
		c.states[i] = &c.States[i]
		if c.States[i].Guest {
			c.guest = &c.States[i]
		}
	}
	slices.SortFunc(c.states, func(a, b *State) int { return cmp.Compare(b.Priority, a.Priority) })
	c.groups = make(map[int64]*Group, len(c.Groups))
	c.byCorp, c.byAlliance = map[int32][]int64{}, map[int32][]int64{}
	c.autogroup = map[AutogroupKey]int64{}
	c.defaults = nil
	c.roleRequired = map[int64]bool{}
	for _, ids := range c.RoleRequirements {
		for _, id := range ids {
			c.roleRequired[id] = true
		}
	}
	for i := range c.Groups {
		g := &c.Groups[i]
		c.groups[g.ID] = g
		if g.Default {
			c.defaults = append(c.defaults, g.ID)
		}
		for corp := range g.Corporations {
			c.byCorp[corp] = append(c.byCorp[corp], g.ID)
		}
		for alliance := range g.Alliances {
			c.byAlliance[alliance] = append(c.byAlliance[alliance], g.ID)
		}
		if g.Autogroup != nil {
			c.autogroup[*g.Autogroup] = g.ID
		}
	}
}

// Group gives a group of the configuration, or nil.
func (c *Config) Group(id int64) *Group {
	if c.groups == nil {
		c.Compile()
	}
	return c.groups[id]
}

// Result is what an account is and may do.
type Result struct {
	// StateID is 0 only when the configuration has no guest state.
	StateID     int64
	Groups      []int64  // sorted
	Roles       []string // sorted: the given roles that keep their groups
	Permissions []string // sorted: the account's, its state's and its groups'
	Deactivated Deactivated
	// MissingAutogroups are automatic groups the account belongs in that
	// do not exist yet; their creator computes the account again after.
	MissingAutogroups []AutogroupKey
}

// Compute decides an account's state, groups, roles, permissions and group
// deactivation.
//
// The state is the highest-priority state open to the main character, else
// the guest state; a deactivated account, or one without a main (without
// characters), is guest.
//
// The groups start from the account's current groups. For standard
// accounts, the groups the engine decides (mapped by corporation or
// alliance of any character, and the autogroups of the main's corporation
// and alliance in the autogroup configurations of the state) are replaced
// by what applies now, and default groups are added; managed accounts keep
// their groups as they are. Then rules take away what may not stay, until
// nothing changes:
//   - a group whose allowed states do not include the state (unless the
//     group is public);
//   - a group joined by request while the account lacks the request
//     permission (from the account, its state, or its remaining groups);
//   - a group none of whose required groups remain;
//   - then, all at once, every group one of whose forbidden groups remains,
//     and the rules above again.
//
// The outcome, computed again from it, is the same (Compute is repeated
// until it is), and no order of states, groups or rules changes it:
// every step works on sets. A deactivated account has no groups.
func Compute(f Facts, c *Config) Result {
	if c.groups == nil {
		c.Compile()
	}
	var r Result
	state := c.guest
	if f.Active && f.Main != nil {
		for _, s := range c.states {
			if s.admits(f.Main) {
				state = s
				break
			}
		}
	}
	if state != nil {
		r.StateID = state.ID
	}

	current := set(f.Groups)
	if !f.Active {
		current = map[int64]bool{}
	}
	for range len(c.Groups) + 2 {
		next, missing := c.once(f, state, current)
		r.MissingAutogroups = missing
		if maps.Equal(next, current) {
			break
		}
		current = next
	}
	r.Groups = sorted(current)
	slices.SortFunc(r.MissingAutogroups, func(a, b AutogroupKey) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.EntityID, b.EntityID))
	})

	held := set(r.Groups)
	for _, role := range f.Roles {
		req, ok := c.RoleRequirements[role]
		if !ok || len(req) == 0 || slices.ContainsFunc(req, func(g int64) bool { return held[g] }) {
			r.Roles = append(r.Roles, role)
		}
	}
	slices.Sort(r.Roles)
	r.Roles = slices.Compact(r.Roles)
	r.Permissions = sortedStrings(c.permissions(f, state, held))
	r.Deactivated = c.deactivation(f)
	return r
}

// once is one round: the candidates, then the rules.
func (c *Config) once(f Facts, state *State, current map[int64]bool) (map[int64]bool, []AutogroupKey) {
	cand := map[int64]bool{}
	var missing []AutogroupKey
	for id := range current {
		g := c.groups[id]
		if g == nil {
			continue // deleted meanwhile
		}
		if !f.Managed && g.automatic() {
			continue // decided below
		}
		cand[id] = true
	}
	if !f.Managed && f.Active {
		for _, id := range c.defaults {
			cand[id] = true
		}
		for _, ch := range f.Characters {
			for _, id := range c.byCorp[ch.CorporationID] {
				cand[id] = true
			}
			if ch.AllianceID != 0 {
				for _, id := range c.byAlliance[ch.AllianceID] {
					cand[id] = true
				}
			}
		}
		if f.Main != nil && state != nil {
			for _, ag := range c.Autogroups {
				if !ag.States[state.ID] {
					continue
				}
				var keys []AutogroupKey
				if ag.Corporations && f.Main.CorporationID != 0 {
					keys = append(keys, AutogroupKey{ag.ID, "corporation", f.Main.CorporationID})
				}
				if ag.Alliances && f.Main.AllianceID != 0 {
					keys = append(keys, AutogroupKey{ag.ID, "alliance", f.Main.AllianceID})
				}
				for _, k := range keys {
					if id, ok := c.autogroup[k]; ok {
						cand[id] = true
					} else {
						missing = append(missing, k)
					}
				}
			}
		}
	}
	return c.rules(f, state, cand), missing
}

// rules takes away, until nothing changes, what may not stay; forbidden
// groups last and all at once.
func (c *Config) rules(f Facts, state *State, set map[int64]bool) map[int64]bool {
	for {
		c.supported(f, state, set)
		var drop []int64
		for id := range set {
			if slices.ContainsFunc(c.groups[id].Forbidden, func(o int64) bool { return set[o] }) {
				drop = append(drop, id)
			}
		}
		if len(drop) == 0 {
			return set
		}
		for _, id := range drop {
			delete(set, id)
		}
	}
}

// supported removes, until nothing changes, the groups whose state,
// request permission or required groups are missing. Each removal only
// takes support away from others, so the outcome is the largest set that
// keeps all three, whatever the order.
func (c *Config) supported(f Facts, state *State, set map[int64]bool) {
	for changed := true; changed; {
		changed = false
		mayRequest := c.RequestPermission == "" || c.permissions(f, state, set)[c.RequestPermission]
		for id := range set {
			g := c.groups[id]
			ok := true
			switch {
			case !g.Public && len(g.AllowedStates) > 0 && (state == nil || !g.AllowedStates[state.ID]):
				ok = false
			case !mayRequest && g.requestable():
				ok = false
			case len(g.Required) > 0 && !slices.ContainsFunc(g.Required, func(o int64) bool { return set[o] }):
				ok = false
			}
			if !ok {
				delete(set, id)
				changed = true
			}
		}
	}
}

// permissions are the account's own, its state's and its groups'.
func (c *Config) permissions(f Facts, state *State, groups map[int64]bool) map[string]bool {
	p := set(f.Permissions)
	if state != nil {
		for _, x := range state.Permissions {
			p[x] = true
		}
	}
	for id := range groups {
		for _, x := range c.groups[id].Permissions {
			p[x] = true
		}
	}
	return p
}

// deactivation applies Neucore's group deactivation: an account whose
// core.default tokens are missing or invalid loses its groups in the eyes
// of apps and services, after a delay for invalid ones. Managed accounts
// never do.
func (c *Config) deactivation(f Facts) Deactivated {
	d := c.Deactivation
	if !d.Enabled || f.Managed || !f.Active || len(f.Characters) == 0 {
		return NotDeactivated
	}
	if len(d.Alliances)+len(d.Corporations) > 0 && !slices.ContainsFunc(f.Characters, func(ch Character) bool {
		return d.Corporations[ch.CorporationID] || ch.AllianceID != 0 && d.Alliances[ch.AllianceID]
	}) {
		return NotDeactivated
	}
	tokens := map[int32]Token{}
	for _, t := range f.Tokens {
		tokens[t.CharacterID] = t
	}
	out := NotDeactivated
	for _, ch := range f.Characters {
		t := tokens[ch.ID]
		switch {
		case !t.Present || t.Valid && !t.HasScopes:
			return YesDeactivated
		case !t.Valid:
			if t.InvalidSince.IsZero() || !c.Now.Before(t.InvalidSince.Add(d.Delay)) {
				return YesDeactivated
			}
			out = SoonDeactivated
		}
	}
	return out
}

func set[T comparable](xs []T) map[T]bool {
	m := make(map[T]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sorted(m map[int64]bool) []int64 {
	out := slices.Collect(maps.Keys(m))
	slices.Sort(out)
	return out
}

func sortedStrings(m map[string]bool) []string {
	out := slices.Collect(maps.Keys(m))
	slices.Sort(out)
	return out
}

// Refusal says why an account may not join a group; empty: it may.
type Refusal string

const (
	RefusedUnknown    Refusal = "unknown"    // no such group
	RefusedInternal   Refusal = "internal"   // internal groups are for admins to fill
	RefusedAutomatic  Refusal = "automatic"  // the engine decides who is in it
	RefusedRestricted Refusal = "restricted" // superusers only
	RefusedGrants     Refusal = "grants"     // it grants permissions: superusers only
	RefusedRole       Refusal = "role"       // a role requires it: superusers only
	RefusedState      Refusal = "state"      // the account's state is not allowed
	RefusedPermission Refusal = "permission" // the request permission is missing
	RefusedRequired   Refusal = "required"   // none of its required groups is held
	RefusedForbidden  Refusal = "forbidden"  // a forbidden group is held
	RefusedRules      Refusal = "rules"      // the rules would take it away again
)

// MayJoin tells whether an account, with facts f and as r says it is now,
// may be put in a group by a request, a manager or an admin: the rules the
// engine applies, checked first one by one to say why not, then by
// computing the account with the group, so that nothing joined is taken
// away at the next recomputation and joining costs no group held.
// superuser lifts the group's guard (the restricted flag, the permissions
// it grants, a role requiring it).
func (c *Config) MayJoin(f Facts, r Result, groupID int64, superuser bool) Refusal {
	if c.groups == nil {
		c.Compile()
	}
	g := c.groups[groupID]
	held := set(r.Groups)
	perms := set(r.Permissions)
	switch {
	case g == nil:
		return RefusedUnknown
	case g.automatic():
		return RefusedAutomatic
	case !superuser && c.Guard(groupID) != Unguarded:
		return c.Guard(groupID).Refusal()
	case !g.Public && len(g.AllowedStates) > 0 && !g.AllowedStates[r.StateID]:
		return RefusedState
	case g.requestable() && c.RequestPermission != "" && !perms[c.RequestPermission]:
		return RefusedPermission
	case len(g.Required) > 0 && !slices.ContainsFunc(g.Required, func(o int64) bool { return held[o] }):
		return RefusedRequired
	case slices.ContainsFunc(g.Forbidden, func(o int64) bool { return held[o] || o == groupID }):
		return RefusedForbidden
	}
	with := f
	with.Groups = append(slices.Clone(r.Groups), groupID)
	after := set(Compute(with, c).Groups)
	if !after[groupID] {
		return RefusedRules
	}
	// Nor may joining cost a group held (one that forbids the new one).
	for _, id := range r.Groups {
		if !after[id] {
			return RefusedForbidden
		}
	}
	return ""
}
