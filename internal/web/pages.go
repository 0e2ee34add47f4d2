package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed templates
var templateFS embed.FS

// parsePages parses every page template once, at start-up.
func parsePages(a *assets) (*template.Template, error) {
	return template.New("").Funcs(template.FuncMap{"asset": a.url}).ParseFS(templateFS, "templates/*.html")
}

type homePage struct {
	SiteName string
	// EVELogin: the login button leads somewhere. EVEConfigured: an EVE
	// application is set, though this build has no login route yet.
	EVELogin      bool
	EVEConfigured bool
	Version       string
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "home.html", homePage{
		SiteName:      s.deps.Config.SiteName,
		EVELogin:      s.deps.Config.EVELoginEnabled() && s.hasRoute("GET /sso/login"),
		EVEConfigured: s.deps.Config.EVELoginEnabled(),
		Version:       s.deps.Version,
	})
}

// hasRoute reports whether a route is mounted, so pages link only to what
// exists.
func (s *Server) hasRoute(pattern string) bool {
	for _, r := range s.routes {
		if r.Pattern == pattern {
			return true
		}
	}
	return false
}

// render writes a page, or a 500 if it cannot be rendered. The page is
// rendered into a buffer first so that a template error never leaves half a
// page on the wire.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render", "page", name, "error", err)
		http.Error(w, "Internal server error. Request id: "+RequestID(r), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
