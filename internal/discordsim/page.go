package discordsim

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// The guild pages let a person watch the simulated Discord: what a
// connector did to a guild's roles and members shows on reload (the page
// reloads itself every 5 seconds). They are the simulator's, in English
// only, and read the state under the same lock as the API.

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"join": strings.Join}).Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Refresh}}<meta http-equiv="refresh" content="5">{{end}}<title>{{.Title}} · Discord (simulated)</title>
<style>
body{font-family:system-ui,sans-serif;color:#1b1b1b;background:#fff;margin:1.5rem;line-height:1.4}
a{color:#0b4fa8}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:#e9e9e9}
.no{color:#8a1111}
</style></head><body>
<header><p><a href="/">Discord (simulated)</a></p></header>{{end}}

{{define "guilds"}}{{template "head" .}}
<main><h1>Guilds</h1>
{{with .Guilds}}<ul>{{range .}}<li><a href="/guilds/{{.ID}}">{{.Name}}</a> ({{.Members}} members, {{.Roles}} roles)</li>
{{end}}</ul>{{else}}<p>No guilds.</p>{{end}}
</main></body></html>{{end}}

{{define "guild"}}{{template "head" .}}
<main><h1>{{.Name}}</h1>
<p>Guild id {{.ID}}{{with .Owner}}; owner {{.}}{{end}}.
{{if .Refresh}}This page reloads itself every 5 seconds: <a href="?refresh=off">stop reloading</a>.
{{else}}This page does not reload itself: <a href="?">reload it every 5 seconds</a>.{{end}}</p>
<ul>
<li>The bot is {{if .BotIn}}in the guild{{else}}<strong class="no">not in the guild</strong>{{end}};
its highest role is {{with .BotRole}}<strong>{{.}}</strong>{{else}}only @everyone{{end}}.</li>
<li>Bot permissions: {{with .BotPerms}}{{join . ", "}}{{else}}none{{end}}{{with .Missing}};
<strong class="no">missing for a connector: {{join . ", "}}</strong>{{end}}.</li>
<li>Privileged GUILD_MEMBERS intent (listing members): {{if .Intent}}on{{else}}<span class="no">off</span>{{end}}.</li>
</ul>

<h2>Roles</h2>
<p>Highest first. The bot can give and take only roles below its highest role that Discord does not manage.</p>
<table>
<caption>{{len .Roles}} roles of {{.Name}}</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Position</th><th scope="col">Managed by Discord</th><th scope="col">Can the bot assign it?</th></tr></thead>
<tbody>
{{range .Roles}}<tr><th scope="row">{{.Name}}{{if .Bot}} <strong>(the bot's highest role)</strong>{{end}}</th>
<td>{{.Position}}</td><td>{{if .Managed}}yes{{else}}no{{end}}</td>
<td>{{if .Assignable}}yes{{else}}<span class="no">no: {{.Why}}</span>{{end}}</td></tr>
{{end}}</tbody></table>

<h2>Members</h2>
{{with .Members}}<table>
<caption>{{len .}} members, in the order they joined Discord</caption>
<thead><tr><th scope="col">User name</th><th scope="col">Global name</th><th scope="col">Nick</th><th scope="col">Roles</th></tr></thead>
<tbody>
{{range .}}<tr><th scope="row">{{.Username}}{{if .Owner}} (owner){{end}}</th><td>{{.GlobalName}}</td><td>{{.Nick}}</td>
<td>{{with .Roles}}{{join . ", "}}{{else}}none{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No members yet.</p>{{end}}
{{range .Channels}}
<h2>#{{.Name}}</h2>
{{with .Messages}}<table>
<caption>The last {{len .}} messages, newest first</caption>
<thead><tr><th scope="col">Time (UTC)</th><th scope="col">Message</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.Timestamp.Format "2006-01-02 15:04:05"}}</td><td style="white-space: pre-wrap">{{.Content}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No messages yet.</p>{{end}}
{{end}}
</main></body></html>{{end}}`))

// channelRow is a channel on the guild's page with its last messages.
type channelRow struct {
	Name     string
	Messages []Message
}

// pageMessages is how many of a channel's messages the page shows.
const pageMessages = 20

type guildRow struct {
	ID, Name       string
	Members, Roles int
}

type roleRow struct {
	Name, Why  string
	Position   int
	Managed    bool
	Bot        bool
	Assignable bool
}

type memberRow struct {
	Username, GlobalName, Nick string
	Owner                      bool
	Roles                      []string
}

type guildView struct {
	Title, ID, Name, Owner, BotRole string
	Refresh, BotIn, Intent          bool
	BotPerms, Missing               []string
	Roles                           []roleRow
	Members                         []memberRow
	Channels                        []channelRow
}

// permNames are the permissions the page names, in Discord's spelling.
var permNames = []struct {
	bit  uint64
	name string
}{
	{PermAdministrator, "ADMINISTRATOR"}, {PermCreateInstantInvite, "CREATE_INSTANT_INVITE"},
	{PermKickMembers, "KICK_MEMBERS"}, {PermManageRoles, "MANAGE_ROLES"}, {PermManageNicknames, "MANAGE_NICKNAMES"},
}

func renderPage(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page shows live state: never a cached copy.
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.ExecuteTemplate(w, name, data)
}

// guildsPage is GET /: the guilds, each linked to its page.
func (s *Server) guildsPage(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	rows := []guildRow{}
	for _, g := range s.guilds {
		rows = append(rows, guildRow{ID: g.id, Name: g.name, Members: len(g.members), Roles: len(g.roles)})
	}
	s.mu.Unlock()
	slices.SortFunc(rows, func(a, b guildRow) int { return compareSnowflakes(a.ID, b.ID) })
	renderPage(w, "guilds", map[string]any{"Title": "Guilds", "Guilds": rows})
}

// guildPage is GET /guilds/{g}: the guild's roles, highest first, with
// whether the bot may assign each, and its members with their roles;
// ?refresh=off stops the page reloading itself.
func (s *Server) guildPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.guilds[r.PathValue("g")]
	if g == nil {
		http.Error(w, "Unknown guild", http.StatusNotFound)
		return
	}
	// The reload can be turned off (WCAG 2.2.1: a page must not refresh
	// itself on a timer unless the visitor can stop it).
	v := guildView{Title: g.name, ID: g.id, Name: g.name, Refresh: r.URL.Query().Get("refresh") != "off",
		BotIn: g.botIn, Intent: s.membersIntent}
	if u := s.users[g.ownerID]; u != nil {
		v.Owner = u.Username
	}
	if br := g.roles[g.botRole]; br != nil {
		v.BotRole = br.Name
	}
	for _, p := range permNames {
		if g.botPerms&p.bit != 0 {
			v.BotPerms = append(v.BotPerms, p.name)
		} else if PermConnector&p.bit != 0 && !g.botHas(p.bit) {
			v.Missing = append(v.Missing, p.name)
		}
	}
	roles := g.sortedRoles()
	slices.Reverse(roles)
	top := g.botTop()
	for _, role := range roles {
		row := roleRow{Name: role.Name, Position: role.Position, Managed: role.Managed, Bot: role.ID == g.botRole}
		switch {
		case role.ID == g.id:
			row.Why = "every member has @everyone"
		case role.Position > top:
			row.Why = "above the bot's highest role"
		case row.Bot:
			row.Why = "the bot's own highest role"
		case role.Managed:
			row.Why = "Discord manages it"
		case !g.botHas(PermManageRoles):
			row.Why = "the bot lacks MANAGE_ROLES"
		default:
			row.Assignable = true
		}
		v.Roles = append(v.Roles, row)
	}
	for _, m := range g.membersByID() {
		u := s.users[m.UserID]
		row := memberRow{Username: u.Username, GlobalName: u.GlobalName, Nick: m.Nick, Owner: m.UserID == g.ownerID}
		held := []*Role{}
		for _, id := range m.Roles {
			if role := g.roles[id]; role != nil {
				held = append(held, role)
			}
		}
		slices.SortFunc(held, func(a, b *Role) int { return b.Position - a.Position })
		for _, role := range held {
			row.Roles = append(row.Roles, role.Name)
		}
		v.Members = append(v.Members, row)
	}
	for _, c := range g.channels {
		row := channelRow{Name: c.Name}
		for i := len(c.messages) - 1; i >= 0 && len(row.Messages) < pageMessages; i-- {
			row.Messages = append(row.Messages, c.messages[i])
		}
		v.Channels = append(v.Channels, row)
	}
	slices.SortFunc(v.Channels, func(a, b channelRow) int { return strings.Compare(a.Name, b.Name) })
	renderPage(w, "guild", v)
}
