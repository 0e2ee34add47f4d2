package discord

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
)

// linkWait is the longest a member's link waits for a rate limit: they
// are looking at the page.
const linkWait = 10 * time.Second

// AuthorizeURL implements services.Linker: Discord's consent page for
// scopes identify (who the member is) and guilds.join (joining them to the
// guild), with state bound to the member's session. prompt=consent asks
// every time, so a member linking a second Discord account can choose it.
func (k *connector) AuthorizeURL(state, callback string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {k.clientID}, "scope": {"identify guilds.join"},
		"state": {state}, "redirect_uri": {callback}, "prompt": {"consent"}}
	return k.apiURL + "/oauth2/authorize?" + q.Encode()
}

// Link implements services.Linker: it exchanges the code, reads who the
// member is on Discord, and joins them to the guild with their roles and
// nickname (or, when they are in it already, sets those). Its errors are
// *i18n.InvalidError values whose message the member's page shows, each
// wrapping the cause (errors.Is finds services.ErrUnavailable, ErrBanned…).
func (k *connector) Link(ctx context.Context, code, callback string, want services.Want) (services.Account, error) {
	ctx = WithMaxWait(withReason(ctx, want.Reason), linkWait)
	tok, err := k.c.ExchangeCode(ctx, code, callback)
	if err != nil {
		return services.Account{}, linkError(ctx, err)
	}
	// Keepstar keeps no Discord user token: the access token serves this
	// link only (who the member is, joining them) and is revoked when it is
	// done. A stored token would be a liability and nothing needs it later:
	// the bot does the rest.
	defer k.revoke(ctx, tok.AccessToken)
	user, err := k.c.CurrentUser(ctx, tok.AccessToken)
	if errors.Is(err, ErrUnauthorized) {
		return services.Account{}, i18n.Problems{{Message: i18n.M("services.discord.link.error.token")}}.Err(err)
	}
	if err != nil {
		return services.Account{}, linkError(ctx, err)
	}
	m, err := k.join(ctx, user.ID, tok.AccessToken, want, nil)
	if errors.Is(err, ErrUnknownRole) || errors.Is(err, ErrInvalidRole) {
		var list *roleList
		if list, err = k.roles.refresh(ctx, nil); err == nil {
			m, err = k.join(ctx, user.ID, tok.AccessToken, want, list)
		}
	}
	if err != nil {
		return services.Account{}, linkError(ctx, err)
	}
	return services.Account{ExternalID: user.ID, ExternalName: displayName(user), State: formatState(m.Roles)}, nil
}

// join puts the user in the guild with the wanted roles and nickname. A
// user already there (204: Discord ignores the body) is read and updated:
// their roles become the wanted ones and those Keepstar leaves alone.
func (k *connector) join(ctx context.Context, user, token string, want services.Want, list *roleList) (Member, error) {
	var err error
	if list == nil {
		if list, err = k.roles.current(ctx, rolesMaxAge); err != nil {
			return Member{}, err
		}
	}
	wanted, list, err := k.roles.resolve(ctx, list, want.Groups)
	if err != nil {
		return Member{}, err
	}
	nick := ""
	if !k.keepNicks && user != list.owner {
		nick = want.Name
	}
	m, added, err := k.c.AddMember(ctx, k.guild, user, token, nick, wanted)
	if err != nil || added {
		return m, err
	}
	if m, err = k.c.Member(ctx, k.guild, user); err != nil {
		return m, err
	}
	if list.unknown(m.Roles) {
		if list, err = k.roles.refresh(ctx, list); err != nil {
			return m, err
		}
	}
	roles := k.merge(list, wanted, m.Roles, want.Keep)
	var setRoles []string
	if !slices.Equal(roles, normal(m.Roles)) {
		setRoles = roles
	}
	setNick := k.nick(list, user, m.Nick, want.Name)
	if setRoles == nil && setNick == nil {
		return m, nil
	}
	return k.c.UpdateMember(ctx, k.guild, user, setRoles, setNick)
}

// revoke ends the member's authorization, even when the link failed or
// its request was cancelled.
func (k *connector) revoke(ctx context.Context, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), linkWait)
	defer cancel()
	if err := k.c.RevokeToken(ctx, token); err != nil {
		k.logger.WarnContext(ctx, "discord: revoking a member's OAuth2 token failed", "service", k.slug, "error", err)
	}
}

// linkError gives a link's error the message its member reads.
func linkError(ctx context.Context, err error) error {
	cause := classify(ctx, err)
	id := "services.discord.link.error.failed"
	switch {
	case errors.Is(err, ErrInvalidGrant):
		id = "services.discord.link.error.code"
	case errors.Is(err, ErrInvalidOAuthToken):
		id = "services.discord.link.error.token"
	case errors.Is(err, ErrMaxGuilds):
		id = "services.discord.link.error.max_guilds"
	case errors.Is(err, ErrBanned):
		id = "services.discord.link.error.banned"
	case errors.Is(cause, services.ErrUnavailable):
		id = "services.discord.link.error.unavailable"
	case errors.Is(err, errRoleSetup), errors.Is(err, ErrMissingPermissions), errors.Is(err, ErrMissingAccess),
		errors.Is(err, ErrUnknownGuild), errors.Is(err, ErrUnauthorized), errors.Is(err, ErrMaxRoles), errors.Is(err, errNoClient):
		id = "services.discord.link.error.setup"
	}
	return i18n.Problems{{Message: i18n.M(id)}}.Err(cause)
}
