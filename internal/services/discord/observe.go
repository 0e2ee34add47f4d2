package discord

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// bulkFrom is how many accounts make Observe list the guild's members
// (1,000 a request) rather than read each (5 a second).
const bulkFrom = 20

// noIntentFor is how long Observe stops trying to list members after
// Discord refused (the application's GUILD_MEMBERS intent is off).
const noIntentFor = time.Hour

// observeWait is the longest verification waits for one rate limit.
const observeWait = time.Minute

// Observe implements services.Observer: for each account, in order, the
// member's nickname, the names of their roles Keepstar could manage, their
// role ids as State, or Gone when they are no longer in the guild. With
// many accounts it lists the guild's members, which needs the privileged
// GUILD_MEMBERS intent; without it, it reads them one at a time.
func (k *connector) Observe(ctx context.Context, accts []services.Account) ([]services.Observation, error) {
	ctx = WithMaxWait(ctx, observeWait)
	var listed map[string]Member
	if len(accts) >= bulkFrom && k.intentMayBeOn() {
		var err error
		listed, err = k.listMembers(ctx, accts)
		if errors.Is(err, ErrMissingAccess) {
			k.intentOff()
			k.logger.InfoContext(ctx, "discord: listing members refused (the GUILD_MEMBERS intent is off): reading them one at a time",
				"service", k.slug)
			listed, err = nil, nil
		}
		if err != nil {
			return nil, classify(ctx, err)
		}
	}
	list, err := k.roles.current(ctx, rolesMaxAge)
	if err != nil {
		return nil, classify(ctx, err)
	}
	out := make([]services.Observation, len(accts))
	for i, a := range accts {
		var m Member
		var found bool
		if listed != nil {
			m, found = listed[a.ExternalID]
		} else {
			m, err = k.c.Member(ctx, k.guild, a.ExternalID)
			found = err == nil
			if err != nil && !errors.Is(err, ErrUnknownMember) && !errors.Is(err, ErrUnknownUser) {
				return nil, classify(ctx, err)
			}
		}
		if !found {
			out[i] = services.Observation{Gone: true}
			continue
		}
		if list.unknown(m.Roles) {
			if list, err = k.roles.refresh(ctx, list); err != nil {
				return nil, classify(ctx, err)
			}
		}
		o := services.Observation{Name: m.Nick, Groups: list.names(m.Roles, k.guild), State: formatState(m.Roles)}
		if k.keepNicks || a.ExternalID == list.owner {
			// The nickname is not Keepstar's to set: it never reads as drift.
			o.Name = a.Name
		}
		out[i] = o
	}
	return out, nil
}

// listMembers pages through the guild's members (in ascending id) until it
// has passed the highest id among accts, and gives those of accts found.
func (k *connector) listMembers(ctx context.Context, accts []services.Account) (map[string]Member, error) {
	wanted := map[string]bool{}
	last := ""
	for _, a := range accts {
		if isSnowflake(a.ExternalID) {
			wanted[a.ExternalID] = true
			if last == "" || lessID(last, a.ExternalID) {
				last = a.ExternalID
			}
		}
	}
	found := map[string]Member{}
	after := ""
	for len(found) < len(wanted) {
		page, err := k.c.ListMembers(ctx, k.guild, after, MaxMembersPage)
		if err != nil {
			return nil, err
		}
		for _, m := range page {
			if wanted[m.User.ID] {
				found[m.User.ID] = m
			}
		}
		if len(page) < MaxMembersPage {
			break
		}
		after = page[len(page)-1].User.ID
		if !lessID(after, last) {
			break
		}
	}
	return found, nil
}

func (k *connector) intentMayBeOn() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.now().Before(k.noIntentUntil)
}

func (k *connector) intentOff() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.noIntentUntil = k.now().Add(noIntentFor)
}

// Groups implements services.GroupLister: the roles Keepstar could
// manage, highest first as Discord lists them, each name once.
func (k *connector) Groups(ctx context.Context) ([]string, error) {
	ctx = WithMaxWait(ctx, linkWait)
	list, err := k.roles.refresh(ctx, nil)
	if err != nil {
		return nil, classify(ctx, err)
	}
	out := []string{}
	seen := map[string]bool{}
	for _, r := range list.all {
		if list.assignable(r, k.guild) && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	return out, nil
}

// AdminLinks implements services.AdminLinker: the link that adds the bot
// to the guild with the least permissions it needs (not Alliance Auth's
// Administrator).
func (k *connector) AdminLinks() []services.AdminLink {
	q := url.Values{"client_id": {k.clientID}, "scope": {"bot"}, "permissions": {strconv.FormatUint(PermConnector, 10)},
		"guild_id": {k.guild}, "disable_guild_select": {"true"}}
	return []services.AdminLink{{Label: "services.discord.admin.add_bot", URL: k.apiURL + "/oauth2/authorize?" + q.Encode()}}
}
