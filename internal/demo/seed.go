package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/states"
)

// The demo's groups, by name: data of the demo, named as an alliance
// would name them (a member's language does not rename a group).
const (
	GroupOpen       = "Social"
	GroupRequest    = "Fleet Commanders"
	GroupRestricted = "Leadership"
)

// Guide is what the demo seeded, named as the simulated universe names it,
// for the hints that guide a visitor.
type Guide struct {
	// Alliance is the Member state's alliance; Member one of its
	// characters, to log in with.
	Alliance string
	Member   string
	// Blue names what the Blue state takes (an alliance, else a
	// corporation); BlueMember one of its characters. Empty when the
	// universe has nothing outside the first alliance.
	Blue       string
	BlueMember string
	// Corporation is the corporation whose members the group CorpGroup
	// holds by itself.
	Corporation string
	CorpGroup   string
	// TeamSpeakPage is the simulated TeamSpeak server's page, where a
	// visitor redeems their key ("" when the demo has none).
	TeamSpeakPage string
	// DiscoursePage is the simulated Discourse forum's page ("" when the
	// demo has none).
	DiscoursePage string
	// XenForoPage is the simulated XenForo forum's page ("" when the demo
	// has none).
	XenForoPage string
	// OpenfirePage is the simulated Openfire's page, where a visitor
	// tries their XMPP password and sees their groups ("" when none).
	OpenfirePage string
	// Director is the character whose core.tracking token reads the
	// member tracking of Corporation (SeedMembers); MailSender the one
	// sending EVE mail, and MailsPage the simulator's list of the mails
	// it received.
	Director, MailSender, MailsPage string
	// Watchlist is the demo's watchlist, and Watched the alliance or
	// corporation (WatchedKind, watchlists.KindAlliance or
	// KindCorporation) it watches; "" when the universe has none to watch.
	Watchlist, Watched, WatchedKind string

	// corporationID is Corporation's, and blueAlliance the Blue state's
	// alliance (0 when it takes corporations, blueCorporations).
	corporationID, blueAlliance int32
	blueCorporations            []int32
}

// Seed gives a fresh demo database its rules: the universe's first alliance
// as the Member state, a second alliance (or corporations outside the
// first) as the Blue state, and four groups: open, by request, mapped to a
// corporation of the alliance, restricted. It goes through the stores, so
// every rule applies and the accounts are recomputed. It is idempotent: on
// a kept folder, a state that has members already and a group whose name
// exists are left as they are (an admin may have changed them).
func Seed(ctx context.Context, st *states.Store, gs *groups.Store, u *universe.Universe) (Guide, error) {
	var g Guide
	alliances := u.Alliances()
	if len(alliances) == 0 {
		return g, errors.New("demo: the universe has no alliance")
	}
	first, err := u.Alliance(alliances[0])
	if err != nil {
		return g, fmt.Errorf("demo: %w", err)
	}
	g.Alliance = first.Name
	corps, err := u.AllianceCorporations(first.ID)
	if err != nil {
		return g, fmt.Errorf("demo: %w", err)
	}
	corp, err := u.Corporation(first.ExecutorCorporation)
	if err != nil {
		return g, fmt.Errorf("demo: %w", err)
	}
	g.Corporation, g.CorpGroup, g.corporationID = corp.Name, corp.Name, corp.ID
	// The character to log in with is of the corporation (not its CEO,
	// whose account the demo seeds: SeedMembers): the corporation's group
	// makes them a viewer of its member tracking.
	g.Member = memberName(u, append([]int32{corp.ID}, corps...), corp.CEOID)

	member := states.Input{Alliances: []int32{first.ID}}
	var blue states.Input
	if len(alliances) > 1 {
		a, err := u.Alliance(alliances[1])
		if err != nil {
			return g, fmt.Errorf("demo: %w", err)
		}
		blue.Alliances = []int32{a.ID}
		g.Blue, g.blueAlliance = a.Name, a.ID
		if cs, err := u.AllianceCorporations(a.ID); err == nil {
			g.BlueMember = memberName(u, cs)
		}
	} else if c, ok := outsider(u); ok {
		blue.Corporations = []int32{c.ID}
		g.Blue, g.blueCorporations = c.Name, []int32{c.ID}
		g.BlueMember = memberName(u, []int32{c.ID})
	}
	ids := map[string]int64{}
	for _, s := range []struct {
		name     string
		priority int
		in       states.Input
	}{{"Member", 100, member}, {"Blue", 50, blue}} {
		if len(s.in.Alliances)+len(s.in.Corporations) == 0 {
			continue
		}
		id, err := seedState(ctx, st, s.name, s.priority, s.in)
		if err != nil {
			return g, err
		}
		ids[s.name] = id
	}

	existing, err := gs.List(ctx)
	if err != nil {
		return g, fmt.Errorf("demo: %w", err)
	}
	named := map[string]int64{}
	for _, e := range existing {
		named[strings.ToLower(e.Name)] = e.ID
	}
	members := []int64{ids["Member"]}
	if ids["Blue"] != 0 {
		members = append(members, ids["Blue"])
	}
	for _, in := range []groups.Input{
		{Name: GroupOpen, Description: "Open to the Member and Blue states: joining takes a click.", Open: true, AllowedStates: members},
		{Name: GroupRequest, Description: "For the Member state, by request: its managers (or a superuser) accept.", AllowedStates: []int64{ids["Member"]}},
		{Name: g.CorpGroup, Description: "Every member of " + corp.Name + ", by itself: it follows the characters.", Corporations: []int32{corp.ID}},
		{Name: GroupRestricted, Description: "Restricted: only superusers add members, and only members of " + g.CorpGroup + ".", Restricted: true},
	} {
		if _, ok := named[strings.ToLower(in.Name)]; ok {
			continue
		}
		if id := named[strings.ToLower(g.CorpGroup)]; in.Restricted && id != 0 {
			in.Required = []int64{id}
		}
		made, err := gs.Create(ctx, in)
		if err != nil {
			return g, fmt.Errorf("demo: group %s: %w", in.Name, err)
		}
		named[strings.ToLower(made.Name)] = made.ID
	}
	return g, nil
}

// seedState gives the state of that name its members, unless it has some
// already; a missing state is made. It returns the state's id.
func seedState(ctx context.Context, st *states.Store, name string, priority int, in states.Input) (int64, error) {
	list, err := st.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	for _, s := range list {
		if !strings.EqualFold(s.Name, name) {
			continue
		}
		if len(s.Characters)+len(s.Corporations)+len(s.Alliances)+len(s.Factions) > 0 {
			return s.ID, nil
		}
		in.Name, in.Priority, in.Public, in.Permissions = s.Name, s.Priority, s.Public, s.Permissions
		if err := st.Update(ctx, s.ID, in); err != nil {
			return 0, fmt.Errorf("demo: state %s: %w", name, err)
		}
		return s.ID, nil
	}
	in.Name, in.Priority, in.Permissions = name, priority, []string{access.RequestPermission}
	id, err := st.Create(ctx, in)
	if err != nil {
		return 0, fmt.Errorf("demo: state %s: %w", name, err)
	}
	return id, nil
}

// memberName gives the name of a character of the first of corps that has
// one, but none of skip, to log in with.
func memberName(u *universe.Universe, corps []int32, skip ...int32) string {
	for _, c := range corps {
		ms, err := u.Members(c)
		if err != nil {
			continue
		}
		for _, id := range ms {
			if ch, err := u.Character(id); err == nil && !ch.Biomassed && !slices.Contains(skip, id) {
				return ch.Name
			}
		}
	}
	return ""
}

// outsider finds a player corporation in no alliance, with members.
func outsider(u *universe.Universe) (universe.Corporation, bool) {
	for _, id := range u.CorporationIDs() {
		c, err := u.Corporation(id)
		if err == nil && !c.NPC && c.AllianceID == 0 && u.MemberCount(id) > 0 {
			return c, true
		}
	}
	return universe.Corporation{}, false
}
