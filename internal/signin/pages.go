package signin

import (
	"embed"
	"errors"
	"html/template"
	"net/http"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Mount adds the home page, the login flows, logging out and the member's
// sessions page to srv.
func Mount(srv *web.Server, deps Deps) (*Signin, error) {
	if deps.Pending == nil {
		return nil, errors.New("signin: the box sealing pending logins is required")
	}
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Signin{srv: srv, deps: deps, pages: pages}
	srv.Handle("GET /{$}", web.Public, http.HandlerFunc(s.home))
	srv.Handle("GET /sso/login", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if web.ViewerFrom(r.Context()) != nil {
			web.SeeOther(w, r, web.LocalPath(r.URL.Query().Get("next"), "/dashboard"))
			return
		}
		s.start(w, r, logins.Default)
	}))
	// Who may start a login depends on the login: checked in start.
	srv.Handle("GET /sso/login/{login}", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.start(w, r, r.PathValue("login"))
	}))
	srv.Handle("GET /characters/add", web.LoggedIn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.start(w, r, logins.Default)
	}))
	srv.Handle("GET /sso/callback", web.Public, http.HandlerFunc(s.callback))
	srv.Handle("POST /logout", web.Public, http.HandlerFunc(s.logout))
	s.mountSessions()
	return s, nil
}

// homePage is the data of home.html.
type homePage struct {
	Configured bool
	NoScopes   bool
	Next       string
	Text       template.HTML
}

// home is the login page; members who are logged in go to their dashboard.
func (s *Signin) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	next := web.LocalPath(r.URL.Query().Get("next"), "")
	if web.ViewerFrom(ctx) != nil {
		web.SeeOther(w, r, web.LocalPath(next, "/dashboard"))
		return
	}
	values, err := s.deps.Settings.Values(ctx)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	page := homePage{Configured: s.deps.SSO != nil, NoScopes: values.Bool(accounts.SettingAllowNoScopes), Next: next}
	if text := values.String(web.SettingHomeText); text != "" {
		page.Text = s.srv.Markdown(text)
	}
	s.srv.Render(w, r, s.pages, "home.html", http.StatusOK, "signin.home.title", page)
}

// logout ends the session on the server. It takes a POST from the site's
// own pages only (cross-origin protection), so no other site can log a
// member out.
func (s *Signin) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.srv.LogOut(r.Context()); err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	web.SeeOther(w, r, "/")
}
