package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/store"
)

// WatchlistName is the demo's watchlist.
const WatchlistName = "Hostiles"

// activeMembers is how many members of the tracked corporation the seed
// has play today in the simulated game: the others last logged on when the
// simulator made them, years ago, so the tracking page's "inactive for N
// days" filter has both kinds to tell apart.
const activeMembers = 3

// constructedAccounts bounds the accounts the seed builds with alts in the
// watched alliance.
const constructedAccounts = 3

// SeedMembers shows member tracking, watchlists and EVE mail working
// without a visitor doing anything first (issue 18's apps). The CEO of the
// Member state's corporation (g.Corporation) is made Director in the
// simulated game and gets an account with a core.tracking and a core.mail
// token issued by the simulated SSO; the corporation's tracking group is
// its own group (g.CorpGroup), so every member of it sees the list; the CEO
// is EVE mail's sender; and the tracking job's first pass runs before the
// site serves. The watchlist Hostiles watches the alliance (or the
// corporation in none) where most simulated players of the Member alliance
// have alts, and a few of those players get accounts with both
// characters, so its warning list shows them. The simulator is new at every start: a
// kept folder's seeded tokens are issued again, and what exists already
// (accounts, the watchlist, the groups, the sender an admin chose) is left
// as it is.
func SeedMembers(ctx context.Context, c *core.Core, sim *evesim.Sim, g *Guide) error {
	u := sim.Universe
	corpID := g.corporationID
	corp, err := u.Corporation(corpID)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	members, err := u.Members(corpID)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// The director is the CEO, or while the CEO cannot log in another
	// member; never the character the guide tells the visitor to log in
	// with, whose account is the visitor's.
	var ceo universe.Character
	for _, id := range append([]int32{corp.CEOID}, members...) {
		if ch, err := u.Character(id); err == nil && !ch.Biomassed && ch.Name != g.Member && ch.CorporationID == corpID {
			ceo = ch
			break
		}
	}
	if ceo.ID == 0 {
		return fmt.Errorf("demo: %s has no member to be its director", corp.Name)
	}
	if err := u.SetRoles(ceo.ID, []string{"Director"}); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	played := 0
	for _, id := range members {
		if id == ceo.ID || played == activeMembers {
			continue
		}
		if err := u.SetOnline(id, true); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if played%2 == 0 { // some still online, some logged off again
			if err := u.SetOnline(id, false); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
		played++
	}
	if _, err := seedAccount(ctx, c, sim, []int32{ceo.ID}); err != nil {
		return err
	}
	for _, login := range []string{logins.Tracking, logins.Mail} {
		l, err := c.Logins.Get(ctx, login)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		tok, err := simToken(sim, ceo.ID, l.Scopes)
		if err != nil {
			return err
		}
		err = c.DB.InTx(ctx, func(tx *store.Tx) error {
			if _, err := c.Tokens.Save(ctx, tx, tok, login); err != nil {
				return err
			}
			if len(l.Roles) == 0 {
				return nil
			}
			return c.Tokens.SetHasRoles(ctx, tx, ceo.ID, login, true)
		})
		if err != nil {
			return fmt.Errorf("demo: %s token: %w", login, err)
		}
	}
	g.Director = ceo.Name
	g.MailSender = ceo.Name

	mailer := evemail.NewMailer(evemail.Deps{DB: c.DB, Logger: c.Logger})
	if s, err := mailer.Sender(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	} else if s.CharacterID == 0 {
		if _, err := mailer.SetSender(ctx, ceo.ID, 0); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	} else {
		g.MailSender = s.Name
	}

	// The first pass, before the site serves: the corporation is then
	// tracked (its groups refer to it) and its page full at the first
	// visit. One corporation's pass is a few calls to the local simulator.
	tr := tracking.NewTracking(tracking.Deps{DB: c.DB, ESI: c.ESI, Settings: c.Settings, Groups: c.Groups, Logger: c.Logger})
	if _, err := tr.Update(ctx); err != nil {
		return fmt.Errorf("demo: the first tracking pass: %w", err)
	}
	groupID, err := groupNamed(ctx, c, g.CorpGroup)
	if err != nil {
		return err
	}
	err = c.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tracking.CorporationByID(ctx, tx, corpID); err != nil {
			return err
		}
		have, err := tracking.GroupsOf(ctx, tx, corpID)
		if err != nil || len(have) > 0 {
			return err
		}
		return tracking.SetGroups(ctx, tx, corpID, []int64{groupID})
	})
	if err != nil {
		return fmt.Errorf("demo: tracking groups: %w", err)
	}
	return seedWatchlist(ctx, c, sim, g, []int32{ceo.ID})
}

// seedWatchlist makes the watchlist and the accounts on its warning list;
// skip are characters already on an account of the seed's.
func seedWatchlist(ctx context.Context, c *core.Core, sim *evesim.Sim, g *Guide, skip []int32) error {
	u := sim.Universe
	alliances := u.Alliances()
	if len(alliances) == 0 {
		return nil // no home for the watchlist's accounts
	}
	home := alliances[0]
	// entity is what the watchlist may watch: an alliance, or a player
	// corporation in none.
	type entity struct {
		kind string
		id   int32
	}
	entityOf := func(id int32) (entity, bool) {
		ch, err := u.Character(id)
		if err != nil || ch.Biomassed {
			return entity{}, false
		}
		co, err := u.Corporation(ch.CorporationID)
		if err != nil || co.NPC {
			return entity{}, false
		}
		if co.AllianceID != 0 {
			return entity{watchlists.KindAlliance, co.AllianceID}, true
		}
		return entity{watchlists.KindCorporation, co.ID}, true
	}
	friends := func(e entity) bool {
		return e.kind == watchlists.KindAlliance && (e.id == home || e.id == g.blueAlliance) ||
			e.kind == watchlists.KindCorporation && slices.Contains(g.blueCorporations, e.id)
	}
	// The players with a character at home and one elsewhere (not Blue):
	// by where.
	pairs := map[entity][][2]int32{}
	for id := int32(1); id <= int32(u.Accounts()); id++ {
		acct, ok := u.Account(id)
		// Neither the seed's director nor the guide's character, whose
		// account is the visitor's (and the demo's superuser).
		if !ok || slices.ContainsFunc(acct.Characters, func(c int32) bool {
			ch, err := u.Character(c)
			return slices.Contains(skip, c) || err == nil && ch.Name == g.Member
		}) {
			continue
		}
		var main int32
		for _, ch := range acct.Characters {
			if e, ok := entityOf(ch); ok && e == (entity{watchlists.KindAlliance, home}) {
				main = ch
				break
			}
		}
		if main == 0 {
			continue
		}
		for _, ch := range acct.Characters {
			if e, ok := entityOf(ch); ok && !friends(e) {
				pairs[e] = append(pairs[e], [2]int32{main, ch})
				break
			}
		}
	}
	var watched entity
	for e, ps := range pairs {
		if n, best := len(ps), len(pairs[watched]); n > best || n == best && (e.kind < watched.kind || e.kind == watched.kind && e.id < watched.id) {
			watched = e
		}
	}
	if watched.id == 0 {
		return nil
	}
	g.Watchlist, g.Watched = WatchlistName, ""
	if watched.kind == watchlists.KindAlliance {
		if a, err := u.Alliance(watched.id); err == nil {
			g.Watched = a.Name
		}
	} else if co, err := u.Corporation(watched.id); err == nil {
		g.Watched = co.Name
	}
	g.WatchedKind = watched.kind

	for _, p := range pairs[watched][:min(constructedAccounts, len(pairs[watched]))] {
		if _, err := seedAccount(ctx, c, sim, p[:]); err != nil {
			return err
		}
	}
	lists, err := watchlists.All(ctx, c.DB)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if slices.ContainsFunc(lists, func(w watchlists.Watchlist) bool { return strings.EqualFold(w.Name, WatchlistName) }) {
		return nil
	}
	leaders, err := groupNamed(ctx, c, GroupRestricted)
	if err != nil {
		return err
	}
	err = c.DB.InTx(ctx, func(tx *store.Tx) error {
		w, err := watchlists.Create(ctx, tx, WatchlistName)
		if err != nil {
			return err
		}
		for _, manager := range []bool{false, true} {
			if err := watchlists.SetGroups(ctx, tx, w.ID, manager, []int64{leaders}); err != nil {
				return err
			}
		}
		return watchlists.AddEntity(ctx, tx, w.ID, watchlists.ListWatched, watched.kind, int64(watched.id))
	})
	if err != nil {
		return fmt.Errorf("demo: watchlist: %w", err)
	}
	return nil
}

// seedAccount gives the characters an account, the first its main, as
// logging in and adding the others would, with core.default tokens the
// simulated SSO issued, and records their corporations and alliances from
// the universe. A character on an account already keeps it. An account the
// seed makes is never the demo's superuser: that is the visitor's first.
func seedAccount(ctx context.Context, c *core.Core, sim *evesim.Sim, chars []int32) (int64, error) {
	def, err := c.Logins.Get(ctx, logins.Default)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	var account int64
	var affs []esi.Affiliation
	for i, id := range chars {
		tok, err := simToken(sim, id, def.Scopes)
		if err != nil {
			return 0, err
		}
		if known, err := c.Accounts.Character(ctx, id); err == nil {
			// A kept folder's: its token is issued again, as the
			// simulator that issued the last one is gone.
			if i == 0 {
				account = known.AccountID
			}
			if _, err := c.Tokens.Save(ctx, c.DB, tok, logins.Default); err != nil {
				return 0, fmt.Errorf("demo: %w", err)
			}
			continue
		} else if !errors.Is(err, accounts.ErrNotFound) {
			return 0, fmt.Errorf("demo: %w", err)
		}
		var res accounts.Result
		if i == 0 {
			res, err = c.Accounts.Login(ctx, accounts.LoginRequest{Token: tok, TokenLogin: logins.Default})
			account = res.AccountID
		} else {
			res, err = c.Accounts.AddCharacter(ctx, account, tok, logins.Default)
		}
		if err != nil {
			return 0, fmt.Errorf("demo: account of %s: %w", tok.Claims.Name, err)
		}
		ch, _ := sim.Universe.Character(id)
		co, _ := sim.Universe.Corporation(ch.CorporationID)
		affs = append(affs, esi.Affiliation{CharacterID: id, CorporationID: ch.CorporationID, AllianceID: co.AllianceID})
	}
	if len(affs) > 0 {
		if _, err := c.Accounts.ApplyAffiliations(ctx, affs); err != nil {
			return 0, fmt.Errorf("demo: %w", err)
		}
	}
	a, err := c.Accounts.Get(ctx, account)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	if a.Superuser {
		if _, _, err := c.Accounts.RevokeSuperuser(ctx, strconv.Itoa(int(chars[0]))); err != nil {
			return 0, fmt.Errorf("demo: %w", err)
		}
	}
	return account, nil
}

// simToken is a token of the character for the scopes, as the simulated
// SSO would give the demo's application: its access token expired, so the
// first use refreshes it.
func simToken(sim *evesim.Sim, id int32, scopes []string) (sso.Token, error) {
	ch, err := sim.Universe.Character(id)
	if err != nil {
		return sso.Token{}, fmt.Errorf("demo: %w", err)
	}
	rt, err := sim.SSO.IssueRefreshToken(SimClientID, id, scopes)
	if err != nil {
		return sso.Token{}, fmt.Errorf("demo: %w", err)
	}
	return sso.Token{AccessToken: "seeded-" + strconv.Itoa(int(id)), RefreshToken: rt, Expiry: time.Now().Add(-time.Minute),
		Claims: sso.Claims{CharacterID: id, Name: ch.Name, Owner: sim.Universe.OwnerHash(ch), Scopes: slices.Clone(scopes)}}, nil
}

// groupNamed finds the group of that name.
func groupNamed(ctx context.Context, c *core.Core, name string) (int64, error) {
	gs, err := c.Groups.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	for _, gr := range gs {
		if strings.EqualFold(gr.Name, name) {
			return gr.ID, nil
		}
	}
	return 0, fmt.Errorf("demo: no group %q", name)
}
