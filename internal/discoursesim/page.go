package discoursesim

import (
	"html/template"
	"net/http"
	"strings"
)

// The page lets a demo's visitor watch the simulated forum: who is logged
// in in this browser, a link to log in through Keepstar, and the users
// with their groups and whether they are suspended. It is the
// simulator's, in English only.

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Discourse (simulated)</title>
<style>
body{font-family:system-ui,sans-serif;color:#1b1b1b;background:#fff;margin:1.5rem;line-height:1.4}
a{color:#0b4fa8}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:#e9e9e9}
.no{color:#8a1111}
</style></head><body>
<main><h1>Discourse forum (simulated)</h1>
{{with .Me}}<p role="status" id="me">Logged in as <strong>{{.Username}}</strong> ({{.Name}}){{with .Groups}}, groups {{join . ", "}}{{end}}.</p>
{{else}}<p id="me">Not logged in. <a href="/session/sso?return_path=/" id="login">Log in with Keepstar</a></p>{{end}}
<p>Keepstar is this forum's DiscourseConnect provider: logging in sends you to Keepstar and back. Reload the page to
see what Keepstar changed.</p>
<h2>Users</h2>
{{with .Users}}<table>
<thead><tr><th scope="col">Id</th><th scope="col">Username</th><th scope="col">Name</th><th scope="col">External id</th><th scope="col">Groups</th><th scope="col">Suspended</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.ID}}</td><th scope="row">{{.Username}}</th><td>{{.Name}}</td><td>{{.ExternalID}}</td><td>{{join .Groups ", "}}</td><td>{{if .SuspendedTill.IsZero}}no{{else}}<span class="no">yes: {{.SuspendReason}}</span>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No user has logged in yet.</p>{{end}}
</main></body></html>`))

type pageData struct {
	Me    *User
	Users []User
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	d := pageData{Users: s.Users()}
	if c, err := r.Cookie(loginCookie); err == nil {
		s.mu.Lock()
		if id, ok := s.sessions[c.Value]; ok {
			if u := s.userByID(id); u != nil {
				me := *u
				d.Me = &me
			}
		}
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.Execute(w, d)
}
