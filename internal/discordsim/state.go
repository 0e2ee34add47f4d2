package discordsim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

// Permission bits the simulator checks (Discord's permission flags).
const (
	PermCreateInstantInvite uint64 = 1 << 0
	PermKickMembers         uint64 = 1 << 1
	PermAdministrator       uint64 = 1 << 3
	PermManageNicknames     uint64 = 1 << 27
	PermManageRoles         uint64 = 1 << 28
	// PermConnector is the least-privilege set a guild connector needs
	// (permissions=402653187 in the bot invite URL).
	PermConnector = PermCreateInstantInvite | PermKickMembers | PermManageNicknames | PermManageRoles
)

// MaxRoles is Discord's limit of roles per guild (error 30005).
const MaxRoles = 250

// MaxGuildsPerUser is how many guilds a user may be in (error 30001).
const MaxGuildsPerUser = 100

// User is a simulated Discord account.
type User struct {
	ID         string
	Username   string
	GlobalName string
	// OtherGuilds counts guilds outside the simulation the user is in, so a
	// test can reach the 100-guild limit.
	OtherGuilds int
	// Bot is true for the application's bot user (BotUser).
	Bot bool
}

// Role is a guild role; Position 0 is @everyone (whose id is the guild's).
type Role struct {
	ID          string
	Name        string
	Position    int
	Permissions uint64
	Managed     bool
}

// Member is a user's membership of a guild.
type Member struct {
	UserID   string
	Nick     string // "" when none
	Roles    []string
	JoinedAt time.Time
}

type guild struct {
	id, name, ownerID string
	roles             map[string]*Role
	members           map[string]*Member
	botRole           string // the bot's own role; "" means only @everyone
	botPerms          uint64
	botIn             bool
	banned            map[string]bool
	channels          map[string]*channel
}

// Guild describes a guild for tests.
type Guild struct {
	ID, Name, OwnerID string
}

func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatUint(s.nextID, 10)
}

// AddUser creates a Discord account and returns it.
func (s *Server) AddUser(username string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: s.newID(), Username: username, GlobalName: username}
	s.users[u.ID] = u
	return *u
}

// SetOtherGuilds sets how many guilds outside the simulation a user is in.
func (s *Server) SetOtherGuilds(userID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		u.OtherGuilds = n
	}
}

// SetGlobalName sets a user's display name (AddUser makes it the username).
func (s *Server) SetGlobalName(userID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[userID]; u != nil {
		u.GlobalName = name
	}
}

// SetMembersIntent turns the application's privileged GUILD_MEMBERS intent
// on or off (off: listing members answers 403 Missing Access).
func (s *Server) SetMembersIntent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.membersIntent = on
}

// AddGuild creates a guild owned by ownerID (who becomes a member), with
// the bot in it holding role "Keepstar" at the top and the connector's
// permissions.
func (s *Server) AddGuild(name, ownerID string) Guild {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &guild{id: s.newID(), name: name, ownerID: ownerID, roles: map[string]*Role{},
		members: map[string]*Member{}, botPerms: PermConnector, botIn: true, banned: map[string]bool{}}
	g.roles[g.id] = &Role{ID: g.id, Name: "@everyone", Position: 0}
	bot := &Role{ID: s.newID(), Name: "Keepstar", Position: 1, Managed: true, Permissions: PermConnector}
	g.roles[bot.ID] = bot
	g.botRole = bot.ID
	if ownerID != "" {
		g.members[ownerID] = &Member{UserID: ownerID, Roles: []string{}, JoinedAt: s.now()}
	}
	s.guilds[g.id] = g
	return Guild{ID: g.id, Name: name, OwnerID: ownerID}
}

// AddRole creates a role at the top of the guild's list (above the bot's
// role) when above is true, else just above @everyone, as Discord does.
func (s *Server) AddRole(guildID, name string, above bool) (Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return Role{}, fmt.Errorf("discordsim: no guild %s", guildID)
	}
	return *g.addRole(s.newID(), name, above), nil
}

func (g *guild) addRole(id, name string, top bool) *Role {
	pos := 1
	if top {
		pos = len(g.roles)
	} else {
		for _, r := range g.roles {
			if r.Position >= 1 {
				r.Position++
			}
		}
	}
	r := &Role{ID: id, Name: name, Position: pos}
	g.roles[id] = r
	return r
}

// DeleteRole deletes a role as the guild's owner does in Discord's app:
// whoever had it loses it. @everyone and the bot's own role cannot be
// deleted.
func (s *Server) DeleteRole(guildID, roleID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.roles[roleID] == nil {
		return fmt.Errorf("discordsim: no role %s in guild %s", roleID, guildID)
	}
	if roleID == g.id || roleID == g.botRole {
		return fmt.Errorf("discordsim: role %s of guild %s is @everyone or the bot's", roleID, guildID)
	}
	g.removeRole(g.roles[roleID])
	return nil
}

// AddMemberRole gives a member a role by hand, as a moderator does in
// Discord's app: the bot's place in the hierarchy does not matter.
func (s *Server) AddMemberRole(guildID, userID, roleID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.members[userID] == nil || g.roles[roleID] == nil || roleID == guildID {
		return fmt.Errorf("discordsim: no member %s or role %s in guild %s", userID, roleID, guildID)
	}
	m := g.members[userID]
	if !slices.Contains(m.Roles, roleID) {
		m.Roles = append(m.Roles, roleID)
	}
	return nil
}

// SetBotRole makes roleID the bot's highest role ("" leaves it only @everyone).
func (s *Server) SetBotRole(guildID, roleID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		g.botRole = roleID
	}
}

// SetBotPermissions sets the bot's guild permissions. The API shows them
// where an administrator would have granted them: as the permissions of the
// bot's highest role, or of @everyone when the bot has no role.
func (s *Server) SetBotPermissions(guildID string, perms uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		g.botPerms = perms
	}
}

// SetBotInGuild puts the bot in or out of the guild (out: 50001 Missing Access).
func (s *Server) SetBotInGuild(guildID string, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		g.botIn = in
	}
}

// AddMember puts a user in a guild with roles, as if they had joined by invite.
func (s *Server) AddMember(guildID, userID string, roleIDs ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || s.users[userID] == nil {
		return fmt.Errorf("discordsim: no guild %s or user %s", guildID, userID)
	}
	g.members[userID] = &Member{UserID: userID, Roles: append([]string{}, roleIDs...), JoinedAt: s.now()}
	return nil
}

// SetNick sets a member's nickname ("" for none), as a moderator would,
// or as a sync made before the test began left it.
func (s *Server) SetNick(guildID, userID, nick string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.members[userID] == nil {
		return fmt.Errorf("discordsim: %s is not a member of guild %s", userID, guildID)
	}
	g.members[userID].Nick = nick
	return nil
}

// Ban bans a user from a guild: a member is removed, and joining again
// (PUT member) answers 403 with code 40007.
func (s *Server) Ban(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		g.banned[userID] = true
		delete(g.members, userID)
	}
}

// BotUser is the application's bot user: users/@me with the bot token. Its
// id is Options.ClientID when that is a snowflake (on Discord a bot's user
// id is its application's id).
func (s *Server) BotUser() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.bot
}

// RemoveMember makes a user leave a guild on their own.
func (s *Server) RemoveMember(guildID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.guilds[guildID]; g != nil {
		delete(g.members, userID)
	}
}

// Member reads a membership; ok is false when the user is not a member.
func (s *Server) Member(guildID, userID string) (m Member, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil || g.members[userID] == nil {
		return Member{}, false
	}
	m = *g.members[userID]
	m.Roles = append([]string{}, m.Roles...)
	sort.Strings(m.Roles)
	return m, true
}

// Roles lists a guild's roles, lowest position first.
func (s *Server) Roles(guildID string) []Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[guildID]
	if g == nil {
		return nil
	}
	return g.sortedRoles()
}

func (g *guild) sortedRoles() []Role {
	out := make([]Role, 0, len(g.roles))
	for _, r := range g.roles {
		out = append(out, g.shown(*r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}

// shown is a role as the API shows it: the bot's permissions
// (SetBotPermissions) are its highest role's, or @everyone's when it has
// none, so that a client reading the roles finds what the bot may do.
func (g *guild) shown(r Role) Role {
	switch {
	case r.ID == g.botRole:
		r.Permissions = g.botPerms
	case g.roles[g.botRole] == nil && r.ID == g.id:
		r.Permissions |= g.botPerms
	}
	return r
}

// botMember is the bot's own membership, which GET member answers for
// the bot's user id while the bot is in the guild. Discord would list it
// among the members too; the simulator leaves it out of the member list
// and the guild page, which show the people.
func (g *guild) botMember(botID string) *Member {
	m := &Member{UserID: botID, Roles: []string{}}
	if g.roles[g.botRole] != nil {
		m.Roles = append(m.Roles, g.botRole)
	}
	return m
}

// isSnowflake reports whether id is a Discord id: digits of a uint64.
func isSnowflake(id string) bool {
	_, err := strconv.ParseUint(id, 10, 64)
	return err == nil
}

// botTop is the position of the bot's highest role.
func (g *guild) botTop() int {
	if r := g.roles[g.botRole]; r != nil {
		return r.Position
	}
	return 0
}

// memberTop is the position of a member's highest role.
func (g *guild) memberTop(m *Member) int {
	top := 0
	for _, id := range m.Roles {
		if r := g.roles[id]; r != nil && r.Position > top {
			top = r.Position
		}
	}
	return top
}

func (g *guild) botHas(perm uint64) bool {
	return g.botPerms&PermAdministrator != 0 || g.botPerms&perm == perm
}

// guildCount is how many guilds a user is in.
func (s *Server) guildCount(userID string) int {
	n := s.users[userID].OtherGuilds
	for _, g := range s.guilds {
		if g.members[userID] != nil {
			n++
		}
	}
	return n
}
