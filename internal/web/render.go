package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/sessions"
)

//go:embed templates
var templateFS embed.FS

// Pages are a feature's page templates, each parsed together with the shared
// layout, once at start-up.
type Pages struct {
	byName map[string]*template.Template
}

// ParsePages parses the page templates of fsys matching glob (as
// "templates/*.html"), each with the feature's partials (templates matching
// the partials globs, defining blocks the pages share). Each page defines
// "content", which the layout wraps; templates see a *Page, with the
// feature's data in .Data.
func (s *Server) ParsePages(fsys fs.FS, glob string, partials ...string) (*Pages, error) {
	files, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, fmt.Errorf("web: pages %s: %w", glob, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("web: pages %s: no template matches", glob)
	}
	base := s.layout
	if len(partials) > 0 {
		if base, err = s.layout.Clone(); err == nil {
			base, err = base.ParseFS(fsys, partials...)
		}
		if err != nil {
			return nil, fmt.Errorf("web: partials %s: %w", partials, err)
		}
	}
	p := &Pages{byName: map[string]*template.Template{}}
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: page %s: %w", f, err)
		}
		if t, err = t.ParseFS(fsys, f); err != nil {
			return nil, fmt.Errorf("web: page %s: %w", f, err)
		}
		p.byName[path.Base(f)] = t
	}
	return p, nil
}

// parseLayout parses the shared layout and partial templates.
func (s *Server) parseLayout() error {
	t, err := template.New("").Funcs(s.funcs()).ParseFS(templateFS, "templates/layout/*.html")
	if err != nil {
		return err
	}
	s.layout = t
	s.ownPages, err = s.ParsePages(templateFS, "templates/*.html")
	return err
}

// Asset gives the versioned URL of a file of the web package's static
// folder, for pages Keepstar does not render itself (River UI's).
func (s *Server) Asset(name string) (string, error) { return s.assets.url(name) }

// funcs are the template functions every page may use.
func (s *Server) funcs() template.FuncMap {
	images := s.deps.Config.EVEImagesURL.String()
	image := func(kind string) func(id any, size int) string {
		return func(id any, size int) string {
			return fmt.Sprintf("%s/%s/%v/%s?size=%d", images, kind, id, imageNoun(kind), size)
		}
	}
	return template.FuncMap{
		"asset":        s.assets.url,
		"portrait":     image("characters"),
		"corpLogo":     image("corporations"),
		"allianceLogo": image("alliances"),
		// when shows a time in EVE time (UTC), to the minute.
		"when": func(t any) string {
			var tm time.Time
			switch v := t.(type) {
			case time.Time:
				tm = v
			case *time.Time:
				if v != nil {
					tm = *v
				}
			}
			return EVETime(tm)
		},
		"join": strings.Join,
		"bdi":  bdi,
	}
}

// bdi shows a player-chosen name (a character's, a corporation's, an
// alliance's, a ticker) so that Unicode direction controls in it cannot
// reorder the page around it: in <bdi>, its controls balanced so that none
// escapes the element. A name without such controls is shown as it is; in an
// attribute, where elements are stripped, the balanced name remains.
func bdi(name any) any {
	s, ok := name.(string)
	if !ok {
		s = fmt.Sprint(name)
	}
	if !i18n.HasBidiControl(s) {
		return s
	}
	return template.HTML("<bdi>" + template.HTMLEscapeString(i18n.BalanceBidi(s)) + "</bdi>")
}

// EVETime shows a time in EVE time (UTC), to the minute; "–" for none.
func EVETime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func imageNoun(kind string) string {
	if kind == "characters" {
		return "portrait"
	}
	return "logo"
}

// Flash is a message shown once on the next page.
type Flash struct {
	Kind string // a Bootstrap alert colour: success, info, warning, danger
	Text string
}

// Page is what every template sees: the site, the member, the menu, the
// language, and the feature's Data.
type Page struct {
	Title     string
	Site      Site
	Viewer    *Viewer
	Menu      Menu
	Lang      string
	Languages []i18n.Language
	Theme     Theme
	Flashes   []Flash
	Path      string
	Version   string
	Data      any

	loc *i18n.Localizer
}

// T translates a message id into the page's language; args are key, value
// pairs for the message's placeholders ("Count" chooses a plural form).
func (p *Page) T(id string, args ...any) string { return p.loc.T(id, args...) }

// GuestState is the name the guest state is stored under (internal/states):
// it can be neither renamed nor deleted, and no other state may take its
// name, so the name alone tells the guest state.
const GuestState = "Guest"

// StateName gives a state's name as the page shows it: the guest state's
// in the page's language, Keepstar's own state; any other as its admin
// named it.
func (p *Page) StateName(name string) string {
	if name == GuestState {
		return p.T("web.state.guest")
	}
	return name
}

// Localizer gives the translation of the request's language: the member's
// choice, else the browser's Accept-Language, else English.
func (s *Server) Localizer(r *http.Request) *i18n.Localizer {
	choice := ""
	if v := ViewerFrom(r.Context()); v != nil {
		choice = v.Language
	}
	return s.deps.I18n.Localizer(s.deps.I18n.Match(choice, r.Header.Get("Accept-Language")))
}

// T translates for the request's visitor.
func (s *Server) T(r *http.Request, id string, args ...any) string {
	return s.Localizer(r).T(id, args...)
}

// Render writes a page of p with the status, the title (a message id) and
// the feature's data. The page is rendered into a buffer first, so that a
// template error never leaves half a page on the wire.
func (s *Server) Render(w http.ResponseWriter, r *http.Request, p *Pages, name string, status int, title string, data any) {
	t, ok := p.byName[name]
	if !ok {
		s.deps.Logger.ErrorContext(r.Context(), "render: no such page", "page", name)
		http.Error(w, "Internal server error. Request id: "+RequestID(r), http.StatusInternalServerError)
		return
	}
	page, err := s.page(r, title, data)
	if err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render", "page", name, "error", err)
		http.Error(w, "Service unavailable, please try again. Request id: "+RequestID(r), http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", page); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render", "page", name, "error", err)
		http.Error(w, "Internal server error. Request id: "+RequestID(r), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show a member's own data: never kept by shared caches, and
	// never shown again from the browser's history after a logout.
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", page.Lang)
	h.Add("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) page(r *http.Request, title string, data any) (*Page, error) {
	values, err := s.deps.Settings.Values(r.Context())
	if err != nil {
		return nil, err
	}
	loc := s.Localizer(r)
	p := &Page{
		Site: siteOf(values), Viewer: ViewerFrom(r.Context()), Lang: loc.Tag(), Languages: s.deps.I18n.Languages(),
		Path: r.URL.Path, Version: s.deps.Version, Data: data, loc: loc,
	}
	p.Title = loc.T(title)
	p.Menu = s.menuFor(r, loc.T)
	themeID := p.Site.Theme
	if p.Viewer != nil && p.Viewer.Theme != "" {
		themeID = p.Viewer.Theme
	}
	if p.Theme, _ = theme(themeID); p.Theme.ID == "" {
		p.Theme = Themes[0]
	}
	p.Flashes = s.popFlashes(r)
	if s.deps.Hints != nil {
		for _, h := range s.deps.Hints(r) {
			p.Flashes = append(p.Flashes, Flash{Kind: h.Kind, Text: loc.T(h.Message, h.Args...)})
		}
	}
	return p, nil
}

// errorPage is the data of error.html.
type errorPage struct {
	Status  int
	Message string
	Detail  string
}

// Fail answers with an error page: the status, and a message (an id of the
// translation catalogue, with its arguments) saying what happened and what
// to do.
func (s *Server) Fail(w http.ResponseWriter, r *http.Request, status int, message string, args ...any) {
	s.FailDetail(w, r, status, "", message, args...)
}

// Internal answers an unexpected error: it is logged with the request's id,
// and the visitor is given that id to quote, never the error itself.
func (s *Server) Internal(w http.ResponseWriter, r *http.Request, err error) {
	s.deps.Logger.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "error", err)
	s.Fail(w, r, http.StatusInternalServerError, "web.error.internal", "RequestID", RequestID(r))
}

// FailDetail is Fail with a detail line that is not translated (an error
// answer of another system, shown as it came).
func (s *Server) FailDetail(w http.ResponseWriter, r *http.Request, status int, detail, message string, args ...any) {
	if wantsJSON(r) {
		WriteJSON(w, status, map[string]string{"error": s.T(r, message, args...)})
		return
	}
	s.Render(w, r, s.ownPages, "error.html", status, "web.error.title."+strconv.Itoa(status),
		errorPage{Status: status, Message: s.T(r, message, args...), Detail: detail})
}

// wantsJSON tells API requests from page requests.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// WriteJSON writes v as a JSON answer.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"cannot encode the answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// AddFlash keeps a message (translated now, into the visitor's language) to
// show on the next page, after a redirect.
func (s *Server) AddFlash(r *http.Request, kind, message string, args ...any) {
	text := kind + "\x00" + s.T(r, message, args...)
	s.deps.Sessions.Update(r.Context(), func(d *sessions.Data) { d.Flashes = append(d.Flashes, text) })
}

func (s *Server) popFlashes(r *http.Request) []Flash {
	list := s.deps.Sessions.Get(r.Context()).Flashes
	if len(list) > 0 {
		s.deps.Sessions.Update(r.Context(), func(d *sessions.Data) { d.Flashes = nil })
	}
	out := make([]Flash, 0, len(list))
	for _, f := range list {
		kind, text, _ := strings.Cut(f, "\x00")
		out = append(out, Flash{Kind: kind, Text: text})
	}
	return out
}

// SeeOther redirects after a form was handled (303, so a reload does not
// post again).
func SeeOther(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// LocalPath gives next if it is a path on this site, else fallback: a
// redirect target taken from a request must never lead elsewhere (an open
// redirect would lend the site's name to phishing).
func LocalPath(next, fallback string) string {
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return fallback
	}
	return u.RequestURI()
}
