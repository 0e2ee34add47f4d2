package teamspeaksim

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// The page lets a person watch the simulated server and stand in for a
// TeamSpeak client, which a demo's visitor does not have: it lists the
// server groups, the client records with their groups and custom fields,
// and the pending privilege keys, and its form redeems a key as a client
// joining with it. It is the simulator's, in English only.

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"join": strings.Join}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>TeamSpeak 3 (simulated)</title>
<style>
body{font-family:system-ui,sans-serif;color:#1b1b1b;background:#fff;margin:1.5rem;line-height:1.4}
a{color:#0b4fa8}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #767676;padding:.3rem .6rem;text-align:left;vertical-align:top}
thead th{background:#e9e9e9}
label{display:block;margin:.5rem 0 .2rem}
input{font:inherit;padding:.3rem;min-width:24rem;max-width:100%}
button{font:inherit;margin-top:.6rem;padding:.3rem 1rem}
.no{color:#8a1111}
</style></head><body>
<main><h1>TeamSpeak 3 server (simulated)</h1>
<p>Virtual server {{.ServerID}} on voice port {{.VoicePort}}. Reload the page to see what Keepstar changed.</p>
{{with .Error}}<p class="no" role="alert">{{.}}</p>{{end}}
{{with .Done}}<p role="status">{{.}}</p>{{end}}

<h2>Join with a privilege key</h2>
<p>A TeamSpeak client opens the <code>ts3server://</code> link of the Services page and uses the key in it
(<code>token=…</code>). Paste that key here to join as such a client; then press <strong>Check again</strong> on the
Services page.</p>
<form method="post" action="/redeem">
<label for="token">Privilege key</label><input id="token" name="token" required autocomplete="off">
<label for="nickname">Nickname</label><input id="nickname" name="nickname" required maxlength="30" value="Visitor">
<br><button type="submit">Join the server with this key</button>
</form>

<h2>Clients</h2>
{{with .Clients}}<table>
<caption>{{len .}} client records</caption>
<thead><tr><th scope="col">Database id</th><th scope="col">Nickname</th><th scope="col">Server groups</th><th scope="col">Custom fields</th><th scope="col">Online</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.DBID}}</td><th scope="row">{{.Nickname}}</th><td>{{join .Groups ", "}}</td><td>{{join .Custom ", "}}</td><td>{{if .Online}}yes{{else}}no{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No client has joined yet.</p>{{end}}

<h2>Privilege keys not yet used</h2>
{{with .Keys}}<table>
<thead><tr><th scope="col">Created</th><th scope="col">Server group</th><th scope="col">Description</th></tr></thead>
<tbody>
{{range .}}<tr><td>{{.Created}}</td><td>{{.Group}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{else}}<p>None.</p>{{end}}

<h2>Server groups</h2>
<table>
<thead><tr><th scope="col">sgid</th><th scope="col">Name</th><th scope="col">Type</th></tr></thead>
<tbody>
{{range .Groups}}<tr><td>{{.ID}}</td><th scope="row">{{.Name}}</th><td>{{.Type}}</td></tr>
{{end}}</tbody></table>
</main></body></html>`))

type pageClient struct {
	DBID           int
	Nickname       string
	Groups, Custom []string
	Online         bool
}

type pageKey struct{ Created, Group, Description string }

type pageGroup struct {
	ID         int
	Name, Type string
}

// Handler serves the page (GET /) and its form (POST /redeem).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { s.page(w, r.URL.Query().Get("done"), "", http.StatusOK) })
	mux.HandleFunc("POST /redeem", func(w http.ResponseWriter, r *http.Request) {
		token, nick := strings.TrimSpace(r.PostFormValue("token")), strings.TrimSpace(r.PostFormValue("nickname"))
		if n := utf8.RuneCountInString(nick); n < 3 || n > 30 {
			s.page(w, "", "A nickname has 3 to 30 characters.", http.StatusUnprocessableEntity)
			return
		}
		if _, _, err := s.Redeem(token, nick); err != nil {
			msg := "The server refused the key."
			if errors.Is(err, ErrInvalidKey) {
				msg = "There is no such privilege key on the server (used already, deleted, or mistyped)."
			}
			s.page(w, "", msg, http.StatusUnprocessableEntity)
			return
		}
		http.Redirect(w, r, "/?done=joined", http.StatusSeeOther)
	})
	return mux
}

func (s *Server) page(w http.ResponseWriter, done, problem string, status int) {
	data := struct {
		ServerID, VoicePort int
		Error, Done         string
		Clients             []pageClient
		Keys                []pageKey
		Groups              []pageGroup
	}{ServerID: s.opts.ServerID, VoicePort: s.opts.VoicePort, Error: problem}
	if done == "joined" {
		data.Done = "Joined: the client record below carries the key's group and custom field."
	}
	names := map[int]string{}
	for _, g := range s.Groups() {
		names[g.ID] = g.Name
		data.Groups = append(data.Groups, pageGroup{ID: g.ID, Name: g.Name, Type: [...]string{"template", "regular", "query"}[g.Type]})
	}
	for _, c := range s.Clients() {
		pc := pageClient{DBID: c.DBID, Nickname: c.Nickname, Groups: s.ClientGroups(c.DBID), Online: s.Online(c.DBID)}
		for ident, v := range c.Custom {
			pc.Custom = append(pc.Custom, ident+"="+v)
		}
		slices.Sort(pc.Custom)
		data.Clients = append(data.Clients, pc)
	}
	for _, k := range s.Keys() {
		data.Keys = append(data.Keys, pageKey{Created: k.Created.UTC().Format("2006-01-02 15:04:05"), Group: names[k.ID1],
			Description: k.Description})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data) // a write error is the visitor gone
}
