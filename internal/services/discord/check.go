package discord

import (
	"context"
	"errors"
	"strconv"

	"github.com/keepstar/keepstar/internal/services"
)

// needed are the permissions Check looks for, each with the message that
// says what lacking it breaks.
var needed = []struct {
	bit     uint64
	message string
}{
	{PermCreateInstantInvite, "services.discord.problem.permission.create_instant_invite"},
	{PermKickMembers, "services.discord.problem.permission.kick_members"},
	{PermManageRoles, "services.discord.problem.permission.manage_roles"},
	{PermManageNicknames, "services.discord.problem.permission.manage_nicknames"},
}

// Check implements services.Checker: what stops the instance working as
// its admins set it up. It reads the bot user, the guild's roles and the
// bot's membership: whether the bot token is good, the guild known and the
// bot in it; whether the bot has the permissions Keepstar needs; whether
// each role Keepstar manages (managed: the names of those that exist on
// Discord count) sits below the bot's highest role, as Discord's hierarchy
// requires for the bot to grant it; and whether the member list can be
// read (the GUILD_MEMBERS intent).
func (k *connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	ctx = WithMaxWait(ctx, linkWait) // an admin's page waits for it
	bot, err := k.c.BotUser(ctx)
	if errors.Is(err, ErrUnauthorized) {
		return []services.Problem{{Message: "services.discord.problem.token"}}, nil
	}
	if err != nil {
		return nil, classify(ctx, err)
	}
	list, err := k.roles.refresh(ctx, nil)
	switch {
	case errors.Is(err, ErrUnknownGuild):
		return []services.Problem{{Message: "services.discord.problem.guild_unknown", Args: map[string]any{"Guild": k.guild}}}, nil
	case errors.Is(err, ErrMissingAccess):
		return []services.Problem{{Message: "services.discord.problem.not_in_guild"}}, nil
	case err != nil:
		return nil, classify(ctx, err)
	}
	me, err := k.c.Member(ctx, k.guild, bot.ID)
	if errors.Is(err, ErrUnknownMember) {
		return []services.Problem{{Message: "services.discord.problem.not_in_guild"}}, nil
	}
	if err != nil {
		return nil, classify(ctx, err)
	}
	var ps []services.Problem
	perms := permissions(list.byID[k.guild])
	top, topName := 0, "@everyone"
	for _, id := range me.Roles {
		r, ok := list.byID[id]
		if !ok {
			continue
		}
		perms |= permissions(r)
		if r.Position > top {
			top, topName = r.Position, r.Name
		}
	}
	if list.owner != bot.ID && perms&PermAdministrator == 0 {
		for _, n := range needed {
			if perms&n.bit == 0 {
				ps = append(ps, services.Problem{Message: n.message})
			}
		}
	}
	for _, name := range managed {
		name = roleName(name)
		r, ok := list.byName[name]
		switch {
		case ok && r.Position >= top:
			ps = append(ps, services.Problem{Message: "services.discord.problem.role_above",
				Args: map[string]any{"Role": name, "Bot": topName}})
		case !ok && list.managed[name]:
			ps = append(ps, services.Problem{Message: "services.discord.problem.role_managed", Args: map[string]any{"Role": name}})
		case !ok && k.roles.noCreate:
			ps = append(ps, services.Problem{Message: "services.discord.problem.role_missing", Args: map[string]any{"Role": name}})
		}
	}
	if _, err := k.c.ListMembers(ctx, k.guild, "", 1); errors.Is(err, ErrMissingAccess) {
		ps = append(ps, services.Problem{Message: "services.discord.problem.intent"})
	} else if err != nil {
		return nil, classify(ctx, err)
	}
	return ps, nil
}

// permissions reads a role's permission bits (Discord sends them as a
// decimal string; an unreadable one grants nothing).
func permissions(r Role) uint64 {
	n, err := strconv.ParseUint(r.Permissions, 10, 64)
	if err != nil {
		return 0
	}
	return n
}
