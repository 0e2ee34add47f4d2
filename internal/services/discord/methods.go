package discord

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// User is a Discord account as users/@me and members show it.
type User struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Discriminator string `json:"discriminator"`
	GlobalName    string `json:"global_name"`
	Bot           bool   `json:"bot"`
}

// Member is a user's membership of a guild; Roles are role ids.
type Member struct {
	User    User     `json:"user"`
	Nick    string   `json:"nick"`
	Roles   []string `json:"roles"`
	Pending bool     `json:"pending"`
}

// Role is a guild role.
type Role struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Permissions string `json:"permissions"`
	Managed     bool   `json:"managed"`
}

// Guild is what the connector needs of a guild: its owner (whose nickname
// no bot may change) and its roles.
type Guild struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnerID string `json:"owner_id"`
	Roles   []Role `json:"roles"`
}

const (
	tGuild      = "/guilds/{g}"
	tMembers    = "/guilds/{g}/members"
	tMember     = "/guilds/{g}/members/{u}"
	tMemberRole = "/guilds/{g}/members/{u}/roles/{r}"
	tRoles      = "/guilds/{g}/roles"
	tRole       = "/guilds/{g}/roles/{r}"
	tMe         = "/users/@me"
)

func memberPath(guild, user string) string {
	return "/guilds/" + url.PathEscape(guild) + "/members/" + url.PathEscape(user)
}

// AddMember joins user to guild with their OAuth2 access token (scope
// guilds.join), with nick ("" for none) and roles. added is true on 201,
// with the new member; false on 204, when the user was already a member and
// Discord ignored nick and roles (read the member with Member, set them with
// UpdateMember).
func (c *Client) AddMember(ctx context.Context, guild, user, accessToken, nick string, roles []string) (m Member, added bool, err error) {
	if err := checkIDs(guild, user); err != nil {
		return m, false, err
	}
	body := map[string]any{"access_token": accessToken}
	if nick != "" {
		body["nick"] = nick
	}
	if roles != nil {
		body["roles"] = roles
	}
	status, err := c.do(ctx, call{method: http.MethodPut, template: tMember, major: guild, path: memberPath(guild, user),
		body: body, auth: c.bot(), mutating: true}, &m)
	return m, status == http.StatusCreated, err
}

// Member reads user's membership of guild (ErrUnknownMember if none).
func (c *Client) Member(ctx context.Context, guild, user string) (Member, error) {
	var m Member
	if err := checkIDs(guild, user); err != nil {
		return m, err
	}
	_, err := c.do(ctx, call{method: http.MethodGet, template: tMember, major: guild, path: memberPath(guild, user),
		auth: c.bot()}, &m)
	return m, err
}

// MaxMembersPage is the most members ListMembers can ask for at once.
const MaxMembersPage = 1000

// ListMembers lists up to limit (1–MaxMembersPage) members of guild in
// ascending user id, those whose id comes after after ("" for the first
// page); the next page starts after the last id returned, and an empty page
// ends the list. Discord answers only an application whose privileged
// GUILD_MEMBERS intent is on (ErrMissingAccess otherwise); a limit out of
// range is its ErrInvalidFormBody.
func (c *Client) ListMembers(ctx context.Context, guild, after string, limit int) ([]Member, error) {
	if err := checkIDs(guild); err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	var members []Member
	_, err := c.do(ctx, call{method: http.MethodGet, template: tMembers, major: guild,
		path: "/guilds/" + url.PathEscape(guild) + "/members?" + q.Encode(), auth: c.bot()}, &members)
	return members, err
}

// UpdateMember sets a member's roles (the full list; nil leaves them,
// an empty slice removes all) and nick (nil leaves it, "" clears it).
func (c *Client) UpdateMember(ctx context.Context, guild, user string, roles []string, nick *string) (Member, error) {
	var m Member
	if err := checkIDs(guild, user); err != nil {
		return m, err
	}
	body := map[string]any{}
	if roles != nil {
		body["roles"] = roles
	}
	if nick != nil {
		if *nick == "" {
			body["nick"] = nil
		} else {
			body["nick"] = *nick
		}
	}
	_, err := c.do(ctx, call{method: http.MethodPatch, template: tMember, major: guild, path: memberPath(guild, user),
		body: body, auth: c.bot(), mutating: true}, &m)
	return m, err
}

// AddRole grants one role to a member.
func (c *Client) AddRole(ctx context.Context, guild, user, role string) error {
	return c.memberRole(ctx, http.MethodPut, guild, user, role)
}

// RemoveRole takes one role from a member.
func (c *Client) RemoveRole(ctx context.Context, guild, user, role string) error {
	return c.memberRole(ctx, http.MethodDelete, guild, user, role)
}

func (c *Client) memberRole(ctx context.Context, method, guild, user, role string) error {
	if err := checkIDs(guild, user, role); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: method, template: tMemberRole, major: guild,
		path: memberPath(guild, user) + "/roles/" + url.PathEscape(role), auth: c.bot(), mutating: true}, nil)
	return err
}

// RemoveMember kicks user from guild.
func (c *Client) RemoveMember(ctx context.Context, guild, user string) error {
	if err := checkIDs(guild, user); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodDelete, template: tMember, major: guild, path: memberPath(guild, user),
		auth: c.bot(), mutating: true}, nil)
	return err
}

// Roles lists guild's roles.
func (c *Client) Roles(ctx context.Context, guild string) ([]Role, error) {
	var roles []Role
	if err := checkIDs(guild); err != nil {
		return nil, err
	}
	_, err := c.do(ctx, call{method: http.MethodGet, template: tRoles, major: guild,
		path: "/guilds/" + url.PathEscape(guild) + "/roles", auth: c.bot()}, &roles)
	return roles, err
}

// CreateRole creates a role named name (Discord allows 1–100 characters
// and several roles of one name, so callers match against Roles first).
func (c *Client) CreateRole(ctx context.Context, guild, name string) (Role, error) {
	var r Role
	if err := checkIDs(guild); err != nil {
		return r, err
	}
	_, err := c.do(ctx, call{method: http.MethodPost, template: tRoles, major: guild,
		path: "/guilds/" + url.PathEscape(guild) + "/roles", body: map[string]any{"name": name},
		auth: c.bot(), mutating: true}, &r)
	return r, err
}

// DeleteRole deletes a role of guild.
func (c *Client) DeleteRole(ctx context.Context, guild, role string) error {
	if err := checkIDs(guild, role); err != nil {
		return err
	}
	_, err := c.do(ctx, call{method: http.MethodDelete, template: tRole, major: guild,
		path: "/guilds/" + url.PathEscape(guild) + "/roles/" + url.PathEscape(role), auth: c.bot(), mutating: true}, nil)
	return err
}

// Guild reads guild, its roles included.
func (c *Client) Guild(ctx context.Context, guild string) (Guild, error) {
	var g Guild
	if err := checkIDs(guild); err != nil {
		return g, err
	}
	_, err := c.do(ctx, call{method: http.MethodGet, template: tGuild, major: guild,
		path: "/guilds/" + url.PathEscape(guild), auth: c.bot()}, &g)
	return g, err
}

// BotUser reads the bot's own user (users/@me with the bot token).
func (c *Client) BotUser(ctx context.Context) (User, error) {
	var u User
	_, err := c.do(ctx, call{method: http.MethodGet, template: tMe, path: tMe, auth: c.bot()}, &u)
	return u, err
}

// CurrentUser reads the user owning userAccessToken (scope identify).
func (c *Client) CurrentUser(ctx context.Context, userAccessToken string) (User, error) {
	var u User
	_, err := c.do(ctx, call{method: http.MethodGet, template: tMe, path: tMe,
		auth: "Bearer " + userAccessToken}, &u)
	return u, err
}
