package openfiresim

import (
	"html/template"
	"net/http"
)

// The demo's page: what the fake server holds, and a login to try the
// password Keepstar showed. It is the simulated server's own page, in
// English, as Openfire's console is (not Keepstar's).
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulated Openfire: {{.Domain}}</title></head>
<body><main>
<h1>Simulated Openfire: {{.Domain}}</h1>
{{if .Result}}<p id="result"><strong>{{.Result}}</strong></p>{{end}}
<form method="post" action="/login">
<label>User name <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button>Log in</button>
</form>
<h2>Users</h2>
<table><thead><tr><th>User</th><th>Groups</th><th>Locked</th><th>Sessions</th><th>Messages</th></tr></thead><tbody>
{{range .Users}}<tr><td>{{.Username}}@{{$.Domain}}</td><td>{{range .Groups}}{{.}} {{end}}</td><td>{{if .Locked}}locked{{end}}</td>
<td>{{.Sessions}}</td><td>{{range .Messages}}<div>{{.}}</div>{{end}}</td></tr>
{{end}}</tbody></table>
</main></body></html>
`))

type pageUser struct {
	Username string
	Groups   []string
	Locked   bool
	Sessions int
	Messages []string
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	var result string
	switch {
	case r.URL.Path == "/login" && r.Method == http.MethodPost:
		if err := s.Login(r.FormValue("username"), r.FormValue("password")); err != nil {
			result = "Refused: " + err.Error()
		} else {
			result = "Logged in: a session is open."
		}
	case r.URL.Path != "/" || r.Method != http.MethodGet:
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	var users []pageUser
	for _, name := range sortedKeys(s.users) {
		u := s.users[name]
		pu := pageUser{Username: name, Locked: u.locked, Sessions: u.sessions, Messages: u.messages}
		for _, g := range sortedKeys(s.groups) {
			if s.groups[g].members[name] {
				pu.Groups = append(pu.Groups, g)
			}
		}
		users = append(users, pu)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, map[string]any{"Domain": s.Domain, "Users": users, "Result": result})
}
