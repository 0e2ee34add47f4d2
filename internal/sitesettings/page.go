package sitesettings

import (
	"embed"
	"errors"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Access admits holders of the settings role (and superusers).
var Access = web.Role(access.RoleSettings)

type page struct {
	srv   *web.Server
	st    *settings.Store
	pages *web.Pages
	names *names.Resolver
}

// Mount adds the settings page; names resolves the names typed into
// settings of EVE ids (Definition.EVEKind).
func Mount(srv *web.Server, st *settings.Store, names *names.Resolver) error {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &page{srv: srv, st: st, names: names, pages: ps}
	srv.Handle("GET /admin/settings", Access, http.HandlerFunc(p.show))
	srv.Handle("POST /admin/settings", Access, http.HandlerFunc(p.save))
	srv.Handle("POST /admin/settings/image/{name}", Access, http.HandlerFunc(p.upload))
	srv.Handle("POST /admin/settings/image/{name}/clear", Access, http.HandlerFunc(p.clear))
	return nil
}

// Field is one setting as the page shows it.
type Field struct {
	settings.Definition
	Value string
	// HasImage: a picture is stored (KindImage).
	HasImage bool
	// Known are the ids of a list of EVE ids (EVEKind) with their names.
	Known []access.Named
}

// Section is a group of fields.
type Section struct {
	Title  string // message id
	Fields []Field
}

type settingsPage struct {
	Sections []Section
	Problems web.FormProblems
}

func (p *page) render(w http.ResponseWriter, r *http.Request, status int, submitted map[string]string, refused web.FormProblems) {
	values, err := p.st.Values(r.Context())
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	var data settingsPage
	data.Problems = refused
	for _, d := range p.st.Registry().Definitions() {
		f := Field{Definition: d, Value: values.String(d)}
		if stored, err := values.Problem(d); err != nil {
			// Shown as stored, to be corrected: the default the features
			// use meanwhile may mean something else ("no list": all).
			f.Value = stored
			var words []string
			for _, said := range p.problems(r, err) {
				words = append(words, said.Text)
			}
			data.Problems = append(data.Problems, p.srv.Problem(r, d.Name, "sitesettings.settings.error.stored_invalid",
				"Problem", strings.Join(words, " ")))
		}
		if v, ok := submitted[d.Name]; ok {
			f.Value = v
		}
		if d.Kind == settings.KindImage {
			f.HasImage, f.Value = f.Value != "", ""
		}
		if d.EVEKind != "" {
			ids, _ := access.ParseIDs(f.Value)
			if f.Known, err = p.names.Known(r.Context(), d.EVEKind, ids); err != nil {
				p.srv.Internal(w, r, err)
				return
			}
		}
		if n := len(data.Sections); n == 0 || data.Sections[n-1].Title != d.Section {
			data.Sections = append(data.Sections, Section{Title: d.Section})
		}
		s := &data.Sections[len(data.Sections)-1]
		s.Fields = append(s.Fields, f)
	}
	p.srv.Render(w, r, p.pages, "settings.html", status, "sitesettings.settings.title", data)
}

func (p *page) show(w http.ResponseWriter, r *http.Request) { p.render(w, r, http.StatusOK, nil, nil) }

// save stores every field of the form but the pictures, all or none: on a
// problem the page comes back with what was typed and what is wrong.
func (p *page) save(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	changes := map[string]string{}
	for _, d := range p.st.Registry().Definitions() {
		if d.Kind == settings.KindImage {
			continue
		}
		// An unticked checkbox sends nothing: that is "no".
		changes[d.Name] = r.PostForm.Get(d.Name)
	}
	resolved, refused, err := p.resolve(r, changes)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if len(refused) > 0 {
		p.render(w, r, http.StatusUnprocessableEntity, changes, refused)
		return
	}
	if err := p.st.Set(r.Context(), resolved); err != nil {
		if !errors.Is(err, settings.ErrInvalid) {
			p.srv.Internal(w, r, err)
			return
		}
		p.render(w, r, http.StatusUnprocessableEntity, changes, p.problems(r, err))
		return
	}
	p.srv.AddFlash(r, "success", "sitesettings.settings.saved")
	web.SeeOther(w, r, "/admin/settings")
}

// resolve gives the changes with the names typed into lists of EVE ids
// (EVEKind) replaced by their ids, and the problems of the names that
// could not be resolved, each beside its field and naming its label, in
// the visitor's language.
func (p *page) resolve(r *http.Request, changes map[string]string) (map[string]string, web.FormProblems, error) {
	out := maps.Clone(changes)
	var ps i18n.Problems
	for _, d := range p.st.Registry().Definitions() {
		v, ok := changes[d.Name]
		if d.EVEKind == "" || !ok {
			continue
		}
		ids, bad, err := p.names.Resolve(r.Context(), d.EVEKind, d.Name, i18n.M(d.Label), v)
		if err != nil {
			return nil, nil, err
		}
		ps = append(ps, bad...)
		list := make([]string, len(ids))
		for i, id := range ids {
			list[i] = strconv.Itoa(int(id))
		}
		out[d.Name] = strings.Join(list, " ")
	}
	return out, p.srv.Problems(r, ps), nil
}

// problems says a refusal of the settings store in the visitor's language,
// each problem beside its setting.
func (p *page) problems(r *http.Request, err error) web.FormProblems {
	var invalid *i18n.InvalidError
	if errors.As(err, &invalid) {
		return p.srv.Problems(r, invalid.Problems)
	}
	return web.FormProblems{{Text: err.Error()}} // a programming error: no words for it
}

// image finds the picture setting of the path.
func (p *page) image(w http.ResponseWriter, r *http.Request) (settings.Definition, bool) {
	d, ok := p.st.Registry().Lookup(r.PathValue("name"))
	if !ok || d.Kind != settings.KindImage {
		p.srv.Fail(w, r, http.StatusNotFound, "web.error.not_found")
		return d, false
	}
	return d, true
}

func (p *page) upload(w http.ResponseWriter, r *http.Request) {
	d, ok := p.image(w, r)
	if !ok {
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		p.render(w, r, http.StatusBadRequest, nil, web.FormProblems{p.srv.Problem(r, d.Name, "sitesettings.settings.error.no_file")})
		return
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, int64(d.MaxLen)+1))
	if err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	v, err := d.EncodeImage(b)
	if err == nil {
		err = p.st.Set(r.Context(), map[string]string{d.Name: v})
	}
	if err != nil {
		if errors.Is(err, settings.ErrInvalid) {
			p.render(w, r, http.StatusUnprocessableEntity, nil, p.problems(r, err))
			return
		}
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "sitesettings.settings.saved")
	web.SeeOther(w, r, "/admin/settings")
}

func (p *page) clear(w http.ResponseWriter, r *http.Request) {
	d, ok := p.image(w, r)
	if !ok {
		return
	}
	if err := p.st.Set(r.Context(), map[string]string{d.Name: ""}); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "sitesettings.settings.saved")
	web.SeeOther(w, r, "/admin/settings")
}
