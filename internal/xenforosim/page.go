package xenforosim

import (
	"html/template"
	"net/http"
	"strings"
)

// The page lets a demo's visitor watch the simulated forum and try the
// password Keepstar showed them: the users with their groups, and a login
// form checking a username and password as XenForo's would. It is the
// simulator's, in English only; api.php is served beside it.

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>XenForo (simulated)</title>
<style>
body{font-family:system-ui,sans-serif;color:#1b1b1b;background:#fff;margin:1.5rem;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:#e9e9e9}
label{display:block;margin:.5rem 0 .2rem}
input{font:inherit;padding:.3rem;min-width:18rem;max-width:100%}
button{font:inherit;margin-top:.6rem;padding:.3rem 1rem}
.no{color:#8a1111}
</style></head><body>
<main><h1>XenForo forum (simulated, XenAPI)</h1>
{{with .Result}}<p role="status" id="result">{{.}}</p>{{end}}
<h2>Log in</h2>
<p>Use the username and password Keepstar showed when you activated the forum on the Services page.</p>
<form method="post" action="/login">
<label for="username">Username</label><input id="username" name="username" required autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" required autocomplete="current-password">
<br><button type="submit">Log in</button>
</form>
<h2>Users</h2>
{{with .Users}}<table>
<thead><tr><th scope="col">Id</th><th scope="col">Username</th><th scope="col">Groups</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.ID}}</td><th scope="row">{{.Username}}</th><td>{{join .Titles ", "}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No member has been made yet.</p>{{end}}
</main></body></html>`))

type pageUser struct {
	ID       int
	Username string
	Titles   []string
}

// Handler serves the page at "/", its login form at "/login" and api.php
// at any path ending in .php.
func (s *Server) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.page(w, "") })
	m.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		name, pw := r.PostFormValue("username"), r.PostFormValue("password")
		if s.Login(name, pw) {
			s.page(w, "Logged in as "+name+".")
			return
		}
		s.page(w, "Wrong username or password.")
	})
	m.Handle("/", s)
	return m
}

func (s *Server) page(w http.ResponseWriter, result string) {
	var users []pageUser
	for _, u := range s.Users() {
		users = append(users, pageUser{ID: u.ID, Username: u.Username, Titles: s.Titles(u)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = pageTmpl.Execute(w, struct {
		Result string
		Users  []pageUser
	}{result, users})
}
