package discordsim

import (
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxNick is the longest nickname in runes.
const MaxNick = 32

func userJSON(u *User) map[string]any {
	var global any
	if u.GlobalName != "" {
		global = u.GlobalName
	}
	body := map[string]any{"id": u.ID, "username": u.Username, "discriminator": "0", "global_name": global,
		"avatar": nil, "public_flags": 0}
	if u.Bot {
		body["bot"] = true
	}
	return body
}

// user finds a user by id, the bot's included.
func (s *Server) user(id string) *User {
	if id == s.bot.ID {
		return s.bot
	}
	return s.users[id]
}

func (s *Server) memberJSON(m *Member) map[string]any {
	var nick any
	if m.Nick != "" {
		nick = m.Nick
	}
	roles := append([]string{}, m.Roles...)
	return map[string]any{"user": userJSON(s.user(m.UserID)), "nick": nick, "roles": roles, "avatar": nil,
		"joined_at": m.JoinedAt.UTC().Format(time.RFC3339Nano), "premium_since": nil, "deaf": false, "mute": false,
		"flags": 0, "pending": false, "communication_disabled_until": nil}
}

func roleJSON(r Role) map[string]any {
	return map[string]any{"id": r.ID, "name": r.Name, "color": 0,
		"colors": map[string]any{"primary_color": 0, "secondary_color": nil, "tertiary_color": nil},
		"hoist":  false, "icon": nil, "unicode_emoji": nil, "position": r.Position,
		"permissions": strconv.FormatUint(r.Permissions, 10), "managed": r.Managed, "mentionable": false, "flags": 0}
}

func (s *Server) getGuild(w http.ResponseWriter, _ *http.Request, g *guild) *apiError {
	roles := []map[string]any{}
	for _, r := range g.sortedRoles() {
		roles = append(roles, roleJSON(r))
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": g.id, "name": g.name, "owner_id": g.ownerID, "icon": nil,
		"roles": roles, "features": []string{}, "verification_level": 0, "mfa_level": 0})
	return nil
}

func (s *Server) listRoles(w http.ResponseWriter, _ *http.Request, g *guild) *apiError {
	roles := []map[string]any{}
	for _, r := range g.sortedRoles() {
		roles = append(roles, roleJSON(r))
	}
	writeJSON(w, http.StatusOK, roles)
	return nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	m := g.members[r.PathValue("u")]
	if m == nil && r.PathValue("u") == s.bot.ID {
		m = g.botMember(s.bot.ID)
	}
	if m == nil {
		return errUnknownMember
	}
	writeJSON(w, http.StatusOK, s.memberJSON(m))
	return nil
}

// MaxMembersPage is the most members one list request returns.
const MaxMembersPage = 1000

// listMembers is GET /guilds/{g}/members?limit=&after=: members in
// ascending user id, those after the id given (0 by default), limit of
// them (1 by default, 1–1000). Discord answers it only to an application
// with the privileged GUILD_MEMBERS intent: 403 Missing Access otherwise.
func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	if !s.membersIntent {
		return errMissingAccess
	}
	q := r.URL.Query()
	limit := 1
	if v := q.Get("limit"); q.Has("limit") {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return invalidForm("limit", "NUMBER_TYPE_COERCE", "Value \""+v+"\" is not int.")
		case n < 1:
			return invalidForm("limit", "NUMBER_TYPE_MIN", "int value should be greater than or equal to 1.")
		case n > MaxMembersPage:
			return invalidForm("limit", "NUMBER_TYPE_MAX", "int value should be less than or equal to 1000.")
		}
		limit = n
	}
	var after uint64
	if v := q.Get("after"); q.Has("after") {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return invalidForm("after", "NUMBER_TYPE_COERCE", "Value \""+v+"\" is not snowflake.")
		}
		after = n
	}
	out := []map[string]any{}
	for _, m := range g.membersByID() {
		if len(out) == limit {
			break
		}
		if id, _ := strconv.ParseUint(m.UserID, 10, 64); id > after {
			out = append(out, s.memberJSON(m))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// membersByID is the guild's members in ascending user id (snowflakes
// compare as numbers).
func (g *guild) membersByID() []*Member {
	out := make([]*Member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Member) int { return compareSnowflakes(a.UserID, b.UserID) })
	return out
}

func compareSnowflakes(a, b string) int {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	return cmp.Compare(x, y)
}

// memberBody is the JSON of PUT and PATCH member. Nick tells "absent" from
// null (clear) apart; roles absent leaves them, present replaces them all.
type memberBody struct {
	AccessToken string
	NickSet     bool
	Nick        string
	Roles       *[]string
}

// decodeMemberBody reads a member body the way Discord validates it:
// invalid JSON is 50109, wrong types and a nick over 32 runes are 50035.
func decodeMemberBody(data []byte) (memberBody, *apiError) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return memberBody{}, errBadJSON
	}
	var b memberBody
	if v, ok := raw["access_token"]; ok {
		if err := json.Unmarshal(v, &b.AccessToken); err != nil {
			return b, invalidForm("access_token", "BASE_TYPE_STRING", "Must be a string.")
		}
	}
	if v, ok := raw["nick"]; ok {
		b.NickSet = true
		var nick *string
		if err := json.Unmarshal(v, &nick); err != nil {
			return b, invalidForm("nick", "BASE_TYPE_STRING", "Must be a string.")
		}
		if nick != nil {
			b.Nick = *nick
		}
		if utf8.RuneCountInString(b.Nick) > MaxNick {
			return b, invalidForm("nick", "BASE_TYPE_BAD_LENGTH", "Must be 32 or fewer in length.")
		}
	}
	if v, ok := raw["roles"]; ok {
		var roles []string
		if err := json.Unmarshal(v, &roles); err != nil {
			return b, invalidForm("roles", "BASE_TYPE_ARRAY", "Must be an array of snowflakes.")
		}
		for _, id := range roles {
			if _, err := strconv.ParseUint(id, 10, 64); err != nil {
				return b, invalidForm("roles", "NUMBER_TYPE_COERCE", "Value \""+id+"\" is not snowflake.")
			}
		}
		if roles == nil {
			roles = []string{}
		}
		b.Roles = &roles
	}
	return b, nil
}

func readBody(r *http.Request) ([]byte, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, errBadJSON
	}
	return data, nil
}

// checkRoles applies the hierarchy to a change of a member's roles from
// have to want: every role added or removed must exist, not be @everyone or
// managed, and sit below the bot's highest role.
func (g *guild) checkRoles(have, want []string) *apiError {
	changed := []string{}
	for _, id := range want {
		if !slices.Contains(have, id) {
			changed = append(changed, id)
		}
	}
	for _, id := range have {
		if !slices.Contains(want, id) {
			changed = append(changed, id)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	if !g.botHas(PermManageRoles) {
		return errMissingPerms
	}
	for _, id := range changed {
		r := g.roles[id]
		if r == nil || id == g.id {
			return errInvalidRole
		}
		if r.Managed || r.Position >= g.botTop() {
			return errMissingPerms
		}
	}
	return nil
}

// checkNick applies the nickname rules: MANAGE_NICKNAMES, never the owner,
// only members below the bot.
func (g *guild) checkNick(m *Member, nick string) *apiError {
	if m != nil && m.Nick == nick {
		return nil
	}
	if !g.botHas(PermManageNicknames) {
		return errMissingPerms
	}
	if m != nil && (m.UserID == g.ownerID || g.memberTop(m) >= g.botTop()) {
		return errMissingPerms
	}
	return nil
}

func dedupe(ids []string) []string {
	out := []string{}
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) putMember(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	data, e := readBody(r)
	if e != nil {
		return e
	}
	body, e := decodeMemberBody(data)
	if e != nil {
		return e
	}
	uid := r.PathValue("u")
	u := s.users[uid]
	if u == nil {
		return errUnknownUser
	}
	if !g.botHas(PermCreateInstantInvite) {
		return errMissingPerms
	}
	gr := s.grants[body.AccessToken]
	if body.AccessToken == "" {
		return invalidForm("access_token", "BASE_TYPE_REQUIRED", "This field is required")
	}
	if gr == nil || gr.access != body.AccessToken || !s.now().Before(gr.expires) || gr.userID != uid ||
		!slices.Contains(gr.scopes, "guilds.join") {
		return &apiError{status: http.StatusForbidden, code: 50025, message: "Invalid OAuth2 access token"}
	}
	if g.banned[uid] {
		return &apiError{status: http.StatusForbidden, code: 40007, message: "The user is banned from this guild."}
	}
	if g.members[uid] != nil {
		// Already a member: Discord ignores the body's roles and nick.
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if s.guildCount(uid) >= MaxGuildsPerUser {
		return &apiError{status: http.StatusBadRequest, code: 30001, message: "Maximum number of guilds reached (100)"}
	}
	roles := []string{}
	if body.Roles != nil {
		roles = dedupe(*body.Roles)
	}
	if e := g.checkRoles(nil, roles); e != nil {
		return e
	}
	if body.Nick != "" {
		if e := g.checkNick(nil, body.Nick); e != nil {
			return e
		}
	}
	m := &Member{UserID: uid, Nick: body.Nick, Roles: roles, JoinedAt: s.now()}
	g.members[uid] = m
	writeJSON(w, http.StatusCreated, s.memberJSON(m))
	return nil
}

func (s *Server) patchMember(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	data, e := readBody(r)
	if e != nil {
		return e
	}
	body, e := decodeMemberBody(data)
	if e != nil {
		return e
	}
	m := g.members[r.PathValue("u")]
	if m == nil {
		return errUnknownMember
	}
	roles := m.Roles
	if body.Roles != nil {
		roles = dedupe(*body.Roles)
		if e := g.checkRoles(m.Roles, roles); e != nil {
			return e
		}
	}
	if body.NickSet {
		if e := g.checkNick(m, body.Nick); e != nil {
			return e
		}
		m.Nick = body.Nick
	}
	m.Roles = roles
	writeJSON(w, http.StatusOK, s.memberJSON(m))
	return nil
}

func (s *Server) kickMember(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	m := g.members[r.PathValue("u")]
	if m == nil {
		return errUnknownMember
	}
	if !g.botHas(PermKickMembers) || m.UserID == g.ownerID || g.memberTop(m) >= g.botTop() {
		return errMissingPerms
	}
	delete(g.members, m.UserID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) memberRole(w http.ResponseWriter, r *http.Request, g *guild, add bool) *apiError {
	m := g.members[r.PathValue("u")]
	if m == nil {
		return errUnknownMember
	}
	id := r.PathValue("r")
	if g.roles[id] == nil {
		return errUnknownRole
	}
	want := slices.DeleteFunc(append([]string{}, m.Roles...), func(x string) bool { return x == id })
	if add {
		want = append(want, id)
	}
	if e := g.checkRoles(m.Roles, want); e != nil {
		return e
	}
	m.Roles = want
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addMemberRole(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	return s.memberRole(w, r, g, true)
}

func (s *Server) removeMemberRole(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	return s.memberRole(w, r, g, false)
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	data, e := readBody(r)
	if e != nil {
		return e
	}
	var body struct {
		Name *string `json:"name"`
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &body); err != nil {
			return errBadJSON
		}
	}
	name := "new role"
	if body.Name != nil {
		name = *body.Name
	}
	if utf8.RuneCountInString(name) > 100 {
		return invalidForm("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if !g.botHas(PermManageRoles) {
		return errMissingPerms
	}
	if len(g.roles)-1 >= MaxRoles {
		return &apiError{status: http.StatusBadRequest, code: 30005, message: "Maximum number of guild roles reached (250)"}
	}
	role := g.addRole(s.newID(), name, false)
	writeJSON(w, http.StatusOK, roleJSON(*role))
	return nil
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, g *guild) *apiError {
	id := r.PathValue("r")
	role := g.roles[id]
	if role == nil {
		return errUnknownRole
	}
	if id == g.id {
		return errInvalidRole
	}
	if !g.botHas(PermManageRoles) || role.Managed || role.Position >= g.botTop() {
		return errMissingPerms
	}
	g.removeRole(role)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeRole deletes a role: the roles above move down one place, and
// every member who had it loses it.
func (g *guild) removeRole(role *Role) {
	delete(g.roles, role.ID)
	for _, other := range g.roles {
		if other.Position > role.Position {
			other.Position--
		}
	}
	for _, m := range g.members {
		m.Roles = slices.DeleteFunc(m.Roles, func(x string) bool { return x == role.ID })
	}
}
