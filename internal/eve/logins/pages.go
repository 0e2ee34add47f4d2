package logins

import (
	"embed"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// AdminAccess admits holders of the settings role (Neucore's) to the EVE
// logins.
var AdminAccess = web.Role(access.RoleSettings)

type pages struct {
	st    *Store
	srv   *web.Server
	pages *web.Pages
}

// Mount adds the administration of EVE logins.
func (s *Store) Mount(srv *web.Server) error {
	ps, err := srv.ParsePages(templates, "templates/*.html", "templates/partials/*.html")
	if err != nil {
		return err
	}
	p := &pages{st: s, srv: srv, pages: ps}
	srv.Handle("GET /admin/eve-logins", AdminAccess, http.HandlerFunc(p.list))
	srv.Handle("POST /admin/eve-logins", AdminAccess, http.HandlerFunc(p.create))
	srv.Handle("GET /admin/eve-logins/{name}", AdminAccess, http.HandlerFunc(p.edit))
	srv.Handle("POST /admin/eve-logins/{name}", AdminAccess, http.HandlerFunc(p.update))
	srv.HandleConfirmed("/admin/eve-logins/{name}/delete", AdminAccess, p.askDelete, p.delete)
	return nil
}

// form is a login being typed, with what is wrong with it.
type form struct {
	Input
	Problems web.FormProblems
	BuiltIn  bool
	New      bool
}

type listPage struct {
	Logins   []Login
	Form     form
	AllRoles []string
	Scopes   []scopeBox
}

// scopeBox is one scope's checkbox.
type scopeBox struct {
	Scope
	Checked bool
	// Unknown: a scope the login has that the ESI specification has not
	// (any more).
	Unknown bool
}

// scopeBoxes gives a checkbox for every scope of ESI, ticked for those of
// typed, and for the scopes of typed ESI does not know, last.
func scopeBoxes(typed string) []scopeBox {
	chosen := strings.Fields(typed)
	out := make([]scopeBox, 0, len(Scopes))
	for _, s := range Scopes {
		out = append(out, scopeBox{Scope: s, Checked: slices.Contains(chosen, s.Name)})
	}
	for _, c := range chosen {
		if !KnownScope(c) && !slices.ContainsFunc(out, func(b scopeBox) bool { return b.Name == c }) {
			out = append(out, scopeBox{Scope: Scope{Name: c}, Checked: true, Unknown: true})
		}
	}
	return out
}

func (p *pages) renderList(w http.ResponseWriter, r *http.Request, status int, f form) {
	all, err := p.st.List(r.Context())
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	// A built-in login no feature uses is not shown (Store.Offered).
	all = slices.DeleteFunc(all, func(l Login) bool { return !p.st.Offered(l.Name) })
	f.New = true
	p.srv.Render(w, r, p.pages, "eve_logins.html", status, "logins.title", listPage{Logins: all, Form: f, AllRoles: InGameRoles,
		Scopes: scopeBoxes(f.Scopes)})
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) {
	p.renderList(w, r, http.StatusOK, form{})
}

// input reads the form of a login: the scopes are the boxes ticked (or
// the lines of one text, as the form sent them before).
func input(r *http.Request) (Input, bool) {
	if err := r.ParseForm(); err != nil {
		return Input{}, false
	}
	return Input{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"),
		Scopes: strings.Join(r.PostForm["scopes"], " "), Roles: r.PostForm["roles"]}, true
}

// formFields are the fields of the login form in the page's order.
var formFields = []string{"name", "description", "scopes", "roles"}

// problems gives the problems of an input the store refused as invalid,
// in the visitor's language and the form's order; false when err is no
// such refusal.
func (p *pages) problems(r *http.Request, err error) (web.FormProblems, bool) {
	var invalid *i18n.InvalidError
	if !errors.As(err, &invalid) {
		return nil, false
	}
	return p.srv.Problems(r, invalid.Problems).InOrder(formFields...), true
}

func (p *pages) create(w http.ResponseWriter, r *http.Request) {
	in, ok := input(r)
	if !ok {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	l, err := p.st.Create(r.Context(), in)
	problems, invalid := p.problems(r, err)
	switch {
	case invalid:
		p.renderList(w, r, http.StatusUnprocessableEntity, form{Input: in, Problems: problems})
	case errors.Is(err, ErrExists):
		p.renderList(w, r, http.StatusConflict, form{Input: in,
			Problems: web.FormProblems{p.srv.Problem(r, "name", "logins.error.exists", "Name", strings.TrimSpace(in.Name))}})
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "logins.created", "Name", l.Name)
		web.SeeOther(w, r, "/admin/eve-logins")
	}
}

type editPage struct {
	Login    Login
	Form     form
	AllRoles []string
	Scopes   []scopeBox
}

func (p *pages) renderEdit(w http.ResponseWriter, r *http.Request, status int, l Login, f form) {
	f.BuiltIn = l.IsBuiltIn()
	p.srv.Render(w, r, p.pages, "eve_login.html", status, "logins.edit_title", editPage{Login: l, Form: f, AllRoles: InGameRoles,
		Scopes: scopeBoxes(f.Scopes)})
}

func (p *pages) load(w http.ResponseWriter, r *http.Request) (Login, bool) {
	l, err := p.st.Get(r.Context(), r.PathValue("name"))
	if err == nil && !p.st.Offered(l.Name) {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		p.srv.Fail(w, r, http.StatusNotFound, "logins.error.not_found")
		return Login{}, false
	}
	if err != nil {
		p.srv.Internal(w, r, err)
		return Login{}, false
	}
	return l, true
}

func (p *pages) edit(w http.ResponseWriter, r *http.Request) {
	l, ok := p.load(w, r)
	if !ok {
		return
	}
	p.renderEdit(w, r, http.StatusOK, l, form{Input: Input{Name: l.Name, Description: l.Description,
		Scopes: strings.Join(l.Scopes, " "), Roles: l.Roles}})
}

func (p *pages) update(w http.ResponseWriter, r *http.Request) {
	l, ok := p.load(w, r)
	if !ok {
		return
	}
	in, ok := input(r)
	if !ok {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	in.Name = l.Name
	_, err := p.st.Update(r.Context(), l.Name, in)
	problems, invalid := p.problems(r, err)
	switch {
	case invalid:
		p.renderEdit(w, r, http.StatusUnprocessableEntity, l, form{Input: in, Problems: problems})
	case errors.Is(err, ErrBuiltIn):
		p.renderEdit(w, r, http.StatusConflict, l, form{Input: in,
			Problems: web.FormProblems{p.srv.Problem(r, "", "logins.error.built_in")}})
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "logins.saved", "Name", l.Name)
		web.SeeOther(w, r, "/admin/eve-logins")
	}
}

// askDelete says what deleting the login does: every member's tokens of it
// are deleted, counted.
func (p *pages) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	l, ok := p.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	if l.IsBuiltIn() {
		p.srv.Fail(w, r, http.StatusConflict, "logins.error.built_in")
		return web.Confirmation{}, false
	}
	im, err := p.st.DeletionImpact(r.Context(), l.Name)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question: i18n.M("logins.delete_question", "Name", l.Name),
		Consequences: []i18n.Message{
			i18n.M("logins.delete_tokens", "Count", im.Tokens),
			i18n.M("logins.delete_accounts", "Count", im.Accounts),
		},
		Button: i18n.M("logins.delete"),
		Back:   "/admin/eve-logins/" + l.Name,
	}, true
}

func (p *pages) delete(w http.ResponseWriter, r *http.Request) {
	switch err := p.st.Delete(r.Context(), r.PathValue("name")); {
	case errors.Is(err, ErrBuiltIn):
		p.srv.Fail(w, r, http.StatusConflict, "logins.error.built_in")
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "logins.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "logins.deleted", "Name", r.PathValue("name"))
		web.SeeOther(w, r, "/admin/eve-logins")
	}
}
