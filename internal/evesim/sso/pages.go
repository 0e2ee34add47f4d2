package sso

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"path"
)

//go:embed templates
var templateFS embed.FS

// staticFS holds the page's stylesheet and icon, served under
// /oauth/simulator/ (a path login.eveonline.com does not use): the page's
// policy allows no inline style.
//
//go:embed static
var staticFS embed.FS

// asset serves a file of static/ as it is; they change only with the binary.
func asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}

func parsePages() (*template.Template, error) {
	t, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("sso simulator: templates: %w", err)
	}
	return t, nil
}

type characterView struct {
	ID        int32
	Name      string
	Biomassed bool
}

type accountView struct {
	ID         int32
	Characters []characterView
}

type suggestion struct {
	Account accountView
	Link    string
}

// authorizePage is the page where the player picks an account, then one of
// its characters, and consents to the scopes.
type authorizePage struct {
	ClientID  string
	Params    []param
	Scopes    []string
	Login     string
	Account   *accountView
	Suggested []suggestion
	Message   string
}

type errorPage struct{ Message string }

func (s *Server) renderAuthorize(w http.ResponseWriter, status int, p authorizePage) {
	s.render(w, status, "authorize.html", p)
}

func (s *Server) renderError(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, "error.html", errorPage{Message: msg})
}

// render writes a page through a buffer, so a template error never leaves
// half a page on the wire. The policy forbids inline scripts and styles, as
// Keepstar's own; it sets no form-action, since browsers apply that to the
// redirect that follows the form, which leaves for the application's site.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "sso simulator: render "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
