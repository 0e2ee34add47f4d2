package teamspeaksim

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// queryError is a refusal: the status line's id, message and extra keys
// (already formatted), and whether the connection closes after it.
type queryError struct {
	id    int
	msg   string
	extra string
	close bool
}

func qerr(id int, msg string) *queryError { return &queryError{id: id, msg: msg} }

// The refusals the handlers give, with the server's ids and messages.
var (
	errNotFound     = qerr(256, "command not found")
	errInvalidCLID  = qerr(512, "invalid clientID")
	errNotLoggedIn  = qerr(518, "not logged in")
	errLogin        = qerr(520, "invalid loginname or password")
	errServerID     = qerr(1024, "invalid serverID")
	errEmpty        = qerr(1281, "database empty result set")
	errDuplicate    = qerr(1282, "database duplicate entry")
	errParam        = qerr(1538, "invalid parameter")
	errMissing      = qerr(1539, "parameter not found")
	errGroupID      = qerr(2560, "invalid group ID")
	errGroupDup     = qerr(2561, "duplicate entry")
	errGroupEmpty   = qerr(2563, "empty result set")
	errDefaultGroup = qerr(2564, "access to default group is forbidden")
	errKey          = qerr(3840, "invalid privilegekey")
)

// handler runs one command; it holds s.mu.
type handler func(s *Server, c *session, cmd command) (reply, *queryError)

// handlers are the commands the simulated server knows; need says what
// they need first: 0 nothing, 1 a login, 2 a login and a virtual server.
var handlers = map[string]struct {
	need int
	h    handler
}{
	"login": {0, (*Server).cmdLogin},
	"logout": {1, func(s *Server, c *session, _ command) (reply, *queryError) {
		c.loggedIn, c.server = false, false
		return nil, nil
	}},
	"quit":                   {0, func(*Server, *session, command) (reply, *queryError) { return nil, &queryError{msg: "ok", close: true} }},
	"version":                {0, (*Server).cmdVersion},
	"whoami":                 {0, (*Server).cmdWhoami},
	"use":                    {1, (*Server).cmdUse},
	"serverinfo":             {2, (*Server).cmdServerinfo},
	"clientupdate":           {2, (*Server).cmdClientupdate},
	"servergrouplist":        {2, (*Server).cmdServergrouplist},
	"servergroupadd":         {2, (*Server).cmdServergroupadd},
	"servergroupdel":         {2, (*Server).cmdServergroupdel},
	"servergroupaddclient":   {2, (*Server).cmdServergroupaddclient},
	"servergroupdelclient":   {2, (*Server).cmdServergroupdelclient},
	"servergroupsbyclientid": {2, (*Server).cmdServergroupsbyclientid},
	"servergroupclientlist":  {2, (*Server).cmdServergroupclientlist},
	"clientdblist":           {2, (*Server).cmdClientdblist},
	"clientdbinfo":           {2, (*Server).cmdClientdbinfo},
	"clientdbfind":           {2, (*Server).cmdClientdbfind},
	"clientgetdbidfromuid":   {2, (*Server).cmdClientgetdbidfromuid},
	"clientdbdelete":         {2, (*Server).cmdClientdbdelete},
	"clientdbedit":           {2, (*Server).cmdClientdbedit},
	"customsearch":           {2, (*Server).cmdCustomsearch},
	"custominfo":             {2, (*Server).cmdCustominfo},
	"clientlist":             {2, (*Server).cmdClientlist},
	"clientkick":             {2, (*Server).cmdClientkick},
	"privilegekeyadd":        {2, (*Server).cmdKeyadd},
	"tokenadd":               {2, (*Server).cmdKeyadd},
	"privilegekeylist":       {2, (*Server).cmdKeylist},
	"tokenlist":              {2, (*Server).cmdKeylist},
	"privilegekeydelete":     {2, (*Server).cmdKeydelete},
	"tokendelete":            {2, (*Server).cmdKeydelete},
}

func (s *Server) exec(c *session, cmd command) (reply, *queryError) {
	h, ok := handlers[cmd.name]
	if !ok {
		return nil, errNotFound
	}
	if h.need >= 1 && !c.loggedIn {
		return nil, errNotLoggedIn
	}
	if h.need >= 2 && !c.server {
		return nil, errServerID
	}
	if s.denied[cmd.name] {
		return nil, &queryError{id: 2568, msg: "insufficient client permissions", extra: "failed_permid=" + permOf(cmd.name)}
	}
	r, e := h.h(s, c, cmd)
	if e != nil && e.close && e.id == 0 {
		return nil, e // quit: "error id=0 msg=ok", then closed
	}
	return r, e
}

// permOf names the permission a command needs, for 2568's failed_permid
// (the real server gives its numeric id; a name reads better in tests).
func permOf(cmd string) string {
	switch cmd {
	case "servergroupaddclient":
		return "i_group_member_add_power"
	case "servergroupdelclient":
		return "i_group_member_remove_power"
	case "privilegekeyadd", "tokenadd":
		return "b_virtualserver_token_add"
	case "clientdbdelete":
		return "b_client_delete_dbproperties"
	case "clientkick":
		return "i_client_kick_from_server_power"
	}
	return "b_serverquery_login"
}

// intArg reads a required integer parameter of the first item.
func intArg(cmd command, key string) (int, *queryError) {
	v, ok := cmd.arg(key)
	if !ok {
		return 0, errMissing
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errParam
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *Server) cmdLogin(c *session, cmd command) (reply, *queryError) {
	user, ok1 := cmd.arg("client_login_name")
	pw, ok2 := cmd.arg("client_login_password")
	if !ok1 || !ok2 {
		return nil, errMissing
	}
	if user != s.opts.QueryUser || pw != s.opts.QueryPassword {
		return nil, errLogin
	}
	c.loggedIn, c.login = true, user
	return nil, nil
}

func (s *Server) cmdVersion(*session, command) (reply, *queryError) {
	return reply{{{"version", "3.13.7"}, {"build", "1655727713"}, {"platform", "Linux"}}}, nil
}

func (s *Server) cmdWhoami(c *session, _ command) (reply, *queryError) {
	status, sid, port := "unknown", 0, 0
	if c.server {
		status, sid, port = "online", s.opts.ServerID, s.opts.VoicePort
	}
	return reply{{{"virtualserver_status", status}, {"virtualserver_id", itoa(sid)},
		{"virtualserver_unique_identifier", "keepstar-sim"}, {"virtualserver_port", itoa(port)},
		{"client_id", itoa(c.clid)}, {"client_channel_id", "1"}, {"client_nickname", c.nickname},
		{"client_database_id", "1"}, {"client_login_name", c.login}, {"client_unique_identifier", "serveradmin"},
		{"client_origin_server_id", "0"}}}, nil
}

func (s *Server) cmdUse(c *session, cmd command) (reply, *queryError) {
	if v, ok := cmd.arg("sid"); ok {
		if v != itoa(s.opts.ServerID) {
			return nil, errServerID
		}
	} else if v, ok := cmd.arg("port"); ok {
		if v != itoa(s.opts.VoicePort) {
			return nil, errServerID
		}
	} else if len(cmd.items[0]) > 0 {
		// "use 1": the sid given alone.
		for k := range cmd.items[0] {
			if k != itoa(s.opts.ServerID) {
				return nil, errServerID
			}
		}
	} else {
		return nil, errMissing
	}
	c.server = true
	return nil, nil
}

func (s *Server) cmdServerinfo(*session, command) (reply, *queryError) {
	return reply{{{"virtualserver_unique_identifier", "keepstar-sim"}, {"virtualserver_name", "TeamSpeak ]I[ Server"},
		{"virtualserver_id", itoa(s.opts.ServerID)}, {"virtualserver_port", itoa(s.opts.VoicePort)},
		{"virtualserver_clientsonline", itoa(len(s.online))}, {"virtualserver_maxclients", "32"},
		{"virtualserver_default_server_group", itoa(s.defaultGroup)}, {"virtualserver_status", "online"}}}, nil
}

func (s *Server) cmdClientupdate(c *session, cmd command) (reply, *queryError) {
	if n, ok := cmd.arg("client_nickname"); ok {
		if l := utf8.RuneCountInString(n); l < 3 || l > 30 {
			return nil, qerr(1541, "invalid parameter size")
		}
		c.nickname = n
	}
	return nil, nil
}

func (s *Server) cmdServergrouplist(*session, command) (reply, *queryError) {
	var r reply
	for _, id := range slices.Sorted(maps.Keys(s.groups)) {
		g := s.groups[id]
		r = append(r, []kv{{"sgid", itoa(g.ID)}, {"name", g.Name}, {"type", itoa(g.Type)}, {"iconid", "0"},
			{"savedb", "1"}, {"sortid", "0"}, {"namemode", "0"}, {"n_modifyp", "0"}, {"n_member_addp", "0"},
			{"n_member_removep", "0"}})
	}
	return r, nil
}

func (s *Server) cmdServergroupadd(_ *session, cmd command) (reply, *queryError) {
	name, ok := cmd.arg("name")
	if !ok {
		return nil, errMissing
	}
	typ := GroupRegular
	if v, ok := cmd.arg("type"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 2 {
			return nil, errParam
		}
		typ = n
	}
	for _, g := range s.groups {
		if g.Name == name && g.Type == typ {
			return nil, errDuplicate
		}
	}
	return reply{{{"sgid", itoa(s.addGroup(name, typ))}}}, nil
}

func (s *Server) cmdServergroupdel(_ *session, cmd command) (reply, *queryError) {
	id, e := intArg(cmd, "sgid")
	if e != nil {
		return nil, e
	}
	if _, ok := s.groups[id]; !ok {
		return nil, errGroupID
	}
	if id == s.defaultGroup {
		return nil, errDefaultGroup
	}
	delete(s.groups, id)
	for _, c := range s.clients {
		delete(c.Groups, id)
	}
	return nil, nil
}

// memberArgs reads sgid and cldbid and checks both exist.
func (s *Server) memberArgs(cmd command) (*Group, *Client, *queryError) {
	id, e := intArg(cmd, "sgid")
	if e != nil {
		return nil, nil, e
	}
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, nil, e
	}
	g, ok := s.groups[id]
	if !ok || g.Type == GroupTemplate {
		return nil, nil, errGroupID
	}
	c, ok := s.clients[dbid]
	if !ok {
		return nil, nil, errInvalidCLID
	}
	return g, c, nil
}

func (s *Server) cmdServergroupaddclient(_ *session, cmd command) (reply, *queryError) {
	g, c, e := s.memberArgs(cmd)
	if e != nil {
		return nil, e
	}
	if g.ID == s.defaultGroup {
		return nil, errDefaultGroup
	}
	if c.Groups[g.ID] {
		return nil, errGroupDup
	}
	c.Groups[g.ID] = true
	s.stats.Adds[change(g.ID, c.DBID)]++
	return nil, nil
}

func (s *Server) cmdServergroupdelclient(_ *session, cmd command) (reply, *queryError) {
	g, c, e := s.memberArgs(cmd)
	if e != nil {
		return nil, e
	}
	if g.ID == s.defaultGroup {
		return nil, errDefaultGroup
	}
	if !c.Groups[g.ID] {
		return nil, errGroupEmpty
	}
	delete(c.Groups, g.ID)
	s.stats.Removes[change(g.ID, c.DBID)]++
	return nil, nil
}

func (s *Server) cmdServergroupsbyclientid(_ *session, cmd command) (reply, *queryError) {
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, e
	}
	c, ok := s.clients[dbid]
	if !ok {
		return nil, errEmpty
	}
	var r reply
	for _, id := range s.groupsOf(c) {
		r = append(r, []kv{{"name", s.groups[id].Name}, {"sgid", itoa(id)}, {"cldbid", itoa(dbid)}})
	}
	return r, nil
}

func (s *Server) cmdServergroupclientlist(_ *session, cmd command) (reply, *queryError) {
	id, e := intArg(cmd, "sgid")
	if e != nil {
		return nil, e
	}
	if _, ok := s.groups[id]; !ok {
		return nil, errGroupID
	}
	var r reply
	for _, dbid := range slices.Sorted(maps.Keys(s.clients)) {
		c := s.clients[dbid]
		if !slices.Contains(s.groupsOf(c), id) {
			continue
		}
		item := []kv{{"cldbid", itoa(dbid)}}
		if cmd.options["names"] {
			item = append(item, kv{"client_nickname", c.Nickname}, kv{"client_unique_identifier", c.UID})
		}
		r = append(r, item)
	}
	return r, nil
}

func (s *Server) dbItem(c *Client) []kv {
	return []kv{{"cldbid", itoa(c.DBID)}, {"client_unique_identifier", c.UID}, {"client_nickname", c.Nickname},
		{"client_created", strconv.FormatInt(c.Created.Unix(), 10)}, {"client_lastconnected", strconv.FormatInt(c.Created.Unix(), 10)},
		{"client_totalconnections", "1"}, {"client_description", c.Description}, {"client_lastip", "127.0.0.1"}}
}

func (s *Server) cmdClientdblist(_ *session, cmd command) (reply, *queryError) {
	start, duration := 0, 25
	if v, ok := cmd.arg("start"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errParam
		}
		start = n
	}
	if v, ok := cmd.arg("duration"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errParam
		}
		duration = min(n, 200)
	}
	ids := slices.Sorted(maps.Keys(s.clients))
	if start >= len(ids) {
		return nil, errEmpty
	}
	var r reply
	for _, id := range ids[start:min(len(ids), start+duration)] {
		r = append(r, s.dbItem(s.clients[id]))
	}
	if cmd.options["count"] {
		r[0] = append([]kv{{"count", itoa(len(ids))}}, r[0]...)
	}
	return r, nil
}

func (s *Server) cmdClientdbinfo(_ *session, cmd command) (reply, *queryError) {
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, e
	}
	c, ok := s.clients[dbid]
	if !ok {
		return nil, errInvalidCLID
	}
	item := s.dbItem(c)
	item = append([]kv{{"client_unique_identifier", c.UID}, {"client_nickname", c.Nickname}, {"client_database_id", itoa(c.DBID)}},
		item[3:]...)
	return reply{item}, nil
}

func (s *Server) cmdClientdbfind(_ *session, cmd command) (reply, *queryError) {
	pattern, ok := cmd.arg("pattern")
	if !ok {
		return nil, errMissing
	}
	var r reply
	for _, id := range slices.Sorted(maps.Keys(s.clients)) {
		c := s.clients[id]
		field := c.Nickname
		if cmd.options["uid"] {
			field = c.UID
		}
		if like(pattern, field) {
			r = append(r, []kv{{"cldbid", itoa(id)}})
		}
	}
	if len(r) == 0 {
		return nil, errEmpty
	}
	return r, nil
}

func (s *Server) cmdClientgetdbidfromuid(_ *session, cmd command) (reply, *queryError) {
	uid, ok := cmd.arg("cluid")
	if !ok {
		return nil, errMissing
	}
	for _, c := range s.clients {
		if c.UID == uid {
			return reply{{{"cluid", uid}, {"cldbid", itoa(c.DBID)}}}, nil
		}
	}
	return nil, errEmpty
}

func (s *Server) cmdClientdbdelete(_ *session, cmd command) (reply, *queryError) {
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, e
	}
	if _, ok := s.clients[dbid]; !ok {
		return nil, errInvalidCLID
	}
	s.deleteClient(dbid)
	return nil, nil
}

func (s *Server) cmdClientdbedit(_ *session, cmd command) (reply, *queryError) {
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, e
	}
	c, ok := s.clients[dbid]
	if !ok {
		return nil, errInvalidCLID
	}
	if d, ok := cmd.arg("client_description"); ok {
		c.Description = d
	}
	return nil, nil
}

func (s *Server) cmdCustomsearch(_ *session, cmd command) (reply, *queryError) {
	ident, ok1 := cmd.arg("ident")
	pattern, ok2 := cmd.arg("pattern")
	if !ok1 || !ok2 {
		return nil, errMissing
	}
	var r reply
	for _, id := range slices.Sorted(maps.Keys(s.clients)) {
		if v, ok := s.clients[id].Custom[ident]; ok && like(pattern, v) {
			r = append(r, []kv{{"cldbid", itoa(id)}, {"ident", ident}, {"value", v}})
		}
	}
	if len(r) == 0 {
		return nil, errEmpty
	}
	return r, nil
}

func (s *Server) cmdCustominfo(_ *session, cmd command) (reply, *queryError) {
	dbid, e := intArg(cmd, "cldbid")
	if e != nil {
		return nil, e
	}
	c, ok := s.clients[dbid]
	if !ok || len(c.Custom) == 0 {
		return nil, errEmpty
	}
	var r reply
	for _, ident := range slices.Sorted(maps.Keys(c.Custom)) {
		item := []kv{{"ident", ident}, {"value", c.Custom[ident]}}
		if len(r) == 0 {
			item = append([]kv{{"cldbid", itoa(dbid)}}, item...)
		}
		r = append(r, item)
	}
	return r, nil
}

func (s *Server) cmdClientlist(c *session, cmd command) (reply, *queryError) {
	// The query connection itself is listed, as client_type=1.
	r := reply{{{"clid", itoa(c.clid)}, {"cid", "1"}, {"client_database_id", "1"}, {"client_nickname", c.nickname},
		{"client_type", "1"}}}
	for _, clid := range slices.Sorted(maps.Keys(s.online)) {
		o := s.online[clid]
		cl := s.clients[o.dbid]
		item := []kv{{"clid", itoa(clid)}, {"cid", itoa(o.cid)}, {"client_database_id", itoa(o.dbid)},
			{"client_nickname", cl.Nickname}, {"client_type", "0"}}
		if cmd.options["uid"] {
			item = append(item, kv{"client_unique_identifier", cl.UID})
		}
		if cmd.options["groups"] {
			var ids []string
			for _, id := range s.groupsOf(cl) {
				ids = append(ids, itoa(id))
			}
			item = append(item, kv{"client_servergroups", strings.Join(ids, ",")})
		}
		r = append(r, item)
	}
	return r, nil
}

func (s *Server) cmdClientkick(_ *session, cmd command) (reply, *queryError) {
	reason, e := intArg(cmd, "reasonid")
	if e != nil {
		return nil, e
	}
	if reason != 4 && reason != 5 {
		return nil, errParam
	}
	if msg, ok := cmd.arg("reasonmsg"); ok && utf8.RuneCountInString(msg) > 40 {
		return nil, qerr(1541, "invalid parameter size")
	}
	var clids []int
	for _, item := range cmd.items {
		n, err := strconv.Atoi(item["clid"])
		if err != nil {
			return nil, errMissing
		}
		if _, ok := s.online[n]; !ok {
			return nil, errInvalidCLID
		}
		clids = append(clids, n)
	}
	for _, n := range clids {
		delete(s.online, n)
	}
	return nil, nil
}

func (s *Server) cmdKeyadd(_ *session, cmd command) (reply, *queryError) {
	typ, e := intArg(cmd, "tokentype")
	if e != nil {
		return nil, e
	}
	id1, e := intArg(cmd, "tokenid1")
	if e != nil {
		return nil, e
	}
	id2, e := intArg(cmd, "tokenid2")
	if e != nil {
		return nil, e
	}
	switch typ {
	case 0:
		g, ok := s.groups[id1]
		if !ok || g.Type != GroupRegular {
			return nil, errGroupID
		}
		if id1 == s.defaultGroup {
			return nil, errDefaultGroup
		}
	case 1:
		return nil, qerr(768, "invalid channelID") // the simulated server has no channel groups
	default:
		return nil, errParam
	}
	desc, _ := cmd.arg("tokendescription")
	set, _ := cmd.arg("tokencustomset")
	k := &Key{Token: randomToken(), Type: typ, ID1: id1, ID2: id2, Description: desc, CustomSet: set, Created: s.now()}
	s.keys[k.Token] = k
	return reply{{{"token", k.Token}}}, nil
}

func (s *Server) cmdKeylist(*session, command) (reply, *queryError) {
	if len(s.keys) == 0 {
		return nil, errEmpty
	}
	var r reply
	for _, t := range slices.Sorted(maps.Keys(s.keys)) {
		k := s.keys[t]
		r = append(r, []kv{{"token", k.Token}, {"token_type", itoa(k.Type)}, {"token_id1", itoa(k.ID1)},
			{"token_id2", itoa(k.ID2)}, {"token_created", strconv.FormatInt(k.Created.Unix(), 10)},
			{"token_description", k.Description}, {"token_customset", k.CustomSet}})
	}
	return r, nil
}

func (s *Server) cmdKeydelete(_ *session, cmd command) (reply, *queryError) {
	t, ok := cmd.arg("token")
	if !ok {
		return nil, errMissing
	}
	if _, ok := s.keys[t]; !ok {
		return nil, errKey
	}
	delete(s.keys, t)
	return nil, nil
}

// like matches a pattern as the server's searches do (SQL LIKE): "%" any
// run of characters, "_" one character; case-insensitive.
func like(pattern, s string) bool {
	p, v := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	// dp over the pattern, linear memory: ok[j] = v[:i] matches p[:j].
	ok := make([]bool, len(p)+1)
	ok[0] = true
	for j := 1; j <= len(p); j++ {
		ok[j] = ok[j-1] && p[j-1] == '%'
	}
	for i := 1; i <= len(v); i++ {
		prev := ok[0]
		ok[0] = false
		for j := 1; j <= len(p); j++ {
			cur := ok[j]
			switch p[j-1] {
			case '%':
				ok[j] = ok[j-1] || ok[j]
			case '_':
				ok[j] = prev
			default:
				ok[j] = prev && p[j-1] == v[i-1]
			}
			prev = cur
		}
	}
	return ok[len(p)]
}
