package states

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// AdminAccess admits superusers only: states grant permissions, which only
// superusers give (as in Alliance Auth).
var AdminAccess = web.Superusers

type pages struct {
	st    *Store
	names *names.Resolver
	srv   *web.Server
	pages *web.Pages
}

// Mount adds the administration of states; names resolves the names typed
// into the member fields.
func (s *Store) Mount(srv *web.Server, names *names.Resolver) error {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &pages{st: s, names: names, srv: srv, pages: ps}
	srv.Handle("GET /admin/states", AdminAccess, http.HandlerFunc(p.list))
	srv.Handle("GET /admin/states/new", AdminAccess, http.HandlerFunc(p.newForm))
	srv.Handle("POST /admin/states", AdminAccess, http.HandlerFunc(p.create))
	srv.Handle("GET /admin/states/{id}", AdminAccess, http.HandlerFunc(p.edit))
	srv.Handle("POST /admin/states/{id}", AdminAccess, http.HandlerFunc(p.update))
	srv.HandleConfirmed("/admin/states/{id}/delete", AdminAccess, p.askDelete, p.delete)
	return nil
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) {
	all, err := p.st.List(r.Context())
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "states.html", http.StatusOK, "states.admin.title", all)
}

// members are the four member lists of a state, as the form names them.
var members = []string{"character", "corporation", "alliance", "faction"}

// formFields are the fields of the form in the page's order.
var formFields = []string{"name", "priority", "characters", "corporations", "alliances", "factions", "permissions"}

// field is one list of EVE ids of the form: what was typed, and the ids
// read from it with the names Keepstar knows.
type field struct {
	Kind  string
	Text  string
	Named []access.Named
}

// form is a state being typed, with what is wrong with it.
type form struct {
	Name        string
	Priority    string
	Public      bool
	Fields      []field
	Permissions []string
	Problems    web.FormProblems
}

type formPage struct {
	// State is the state edited; ID 0 for a new one.
	State       State
	Form        form
	Permissions []access.Permission
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, st State, f form) {
	for i := range f.Fields {
		ids, _ := access.ParseIDs(f.Fields[i].Text)
		named, err := access.NameIDs(r.Context(), p.st.db, f.Fields[i].Kind, ids)
		if err != nil {
			p.srv.Internal(w, r, err)
			return
		}
		f.Fields[i].Named = named
	}
	title := "states.admin.edit_title"
	if st.ID == 0 {
		title = "states.admin.new_title"
	}
	p.srv.Render(w, r, p.pages, "state.html", status, title, formPage{State: st, Form: f, Permissions: p.catalogue(r.Context())})
}

func (p *pages) catalogue(ctx context.Context) []access.Permission {
	if p.st.catalogue == nil {
		return nil
	}
	return p.st.catalogue.All(ctx)
}

func formOf(st State) form {
	f := form{Name: st.Name, Priority: strconv.Itoa(st.Priority), Public: st.Public, Permissions: st.Permissions}
	for i, ids := range [][]int32{st.Characters, st.Corporations, st.Alliances, st.Factions} {
		f.Fields = append(f.Fields, field{Kind: members[i], Text: access.FormatIDs(ids)})
	}
	return f
}

func (p *pages) newForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, State{}, formOf(State{}))
}

// input reads the form and checks it with Validate; the problems are
// translated, every one at once. What only a form gets wrong (a priority
// that is no number, a name nobody has) is found here: the member fields
// take ids and names, which are resolved to ids. The error is for a failure
// of the database.
func (p *pages) input(r *http.Request) (Input, form, web.FormProblems, error) {
	f := form{Name: r.PostForm.Get("name"), Priority: strings.TrimSpace(r.PostForm.Get("priority")),
		Public: r.PostForm.Get("public") != "", Permissions: r.PostForm["permissions"]}
	in := Input{Name: strings.TrimSpace(f.Name), Public: f.Public, Permissions: f.Permissions}
	var ps i18n.Problems
	n, err := strconv.Atoi(f.Priority)
	if err != nil {
		ps.Add("priority", "states.admin.error.priority")
		n = 0 // said once, not again as out of range
	}
	in.Priority = n
	lists := []*[]int32{&in.Characters, &in.Corporations, &in.Alliances, &in.Factions}
	for i, kind := range members {
		text := r.PostForm.Get(kind + "s")
		f.Fields = append(f.Fields, field{Kind: kind, Text: text})
		ids, bad, err := p.names.Resolve(r.Context(), kind, kind+"s", i18n.M("states.admin."+kind+"s"), text)
		if err != nil {
			return in, f, nil, err
		}
		*lists[i] = ids
		ps = append(ps, bad...)
	}
	return in, f, p.srv.Problems(r, append(ps, p.st.Validate(in)...)).InOrder(formFields...), nil
}

// storeProblems turns a refusal of the store into the form's problems;
// ok is false for an unexpected error.
func (p *pages) storeProblems(r *http.Request, err error, in Input, id int64) (status int, problems web.FormProblems, ok bool) {
	var invalid *i18n.InvalidError
	switch {
	case errors.Is(err, ErrTaken):
		all, lerr := p.st.List(r.Context())
		if lerr != nil {
			return 0, nil, false
		}
		for _, st := range all {
			if st.ID == id {
				continue
			}
			if strings.EqualFold(st.Name, in.Name) {
				problems = append(problems, p.srv.Problem(r, "name", "states.admin.error.name_taken", "Name", in.Name))
			}
			if st.Priority == in.Priority {
				problems = append(problems, p.srv.Problem(r, "priority", "states.admin.error.priority_taken", "Priority", in.Priority, "Name", st.Name))
			}
		}
		if len(problems) == 0 { // changed since
			problems = append(problems, p.srv.Problem(r, "", "states.admin.error.taken"))
		}
		return http.StatusConflict, problems, true
	case errors.Is(err, ErrGuest):
		return http.StatusConflict, web.FormProblems{p.srv.Problem(r, "name", "states.admin.error.guest_rename")}, true
	case errors.As(err, &invalid):
		return http.StatusUnprocessableEntity, p.srv.Problems(r, invalid.Problems), true
	}
	return 0, nil, false
}

func (p *pages) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	in, f, problems, err := p.input(r)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if len(problems) > 0 {
		f.Problems = problems
		p.render(w, r, http.StatusUnprocessableEntity, State{}, f)
		return
	}
	if _, err := p.st.Create(r.Context(), in); err != nil {
		status, problems, ok := p.storeProblems(r, err, in, 0)
		if !ok {
			p.srv.Internal(w, r, err)
			return
		}
		f.Problems = problems
		p.render(w, r, status, State{}, f)
		return
	}
	p.srv.AddFlash(r, "success", "states.admin.created", "Name", in.Name)
	web.SeeOther(w, r, "/admin/states")
}

// load reads the state of the path, answering 404 itself.
func (p *pages) load(w http.ResponseWriter, r *http.Request) (State, bool) {
	return web.Load(p.srv, w, r, "id", p.st.Get, ErrNotFound, "states.admin.error.not_found")
}

func (p *pages) edit(w http.ResponseWriter, r *http.Request) {
	st, ok := p.load(w, r)
	if !ok {
		return
	}
	p.render(w, r, http.StatusOK, st, formOf(st))
}

func (p *pages) update(w http.ResponseWriter, r *http.Request) {
	st, ok := p.load(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	in, f, problems, err := p.input(r)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if len(problems) > 0 {
		f.Problems = problems
		p.render(w, r, http.StatusUnprocessableEntity, st, f)
		return
	}
	if err := p.st.Update(r.Context(), st.ID, in); err != nil {
		if errors.Is(err, ErrNotFound) {
			p.srv.Fail(w, r, http.StatusNotFound, "states.admin.error.not_found")
			return
		}
		status, problems, ok := p.storeProblems(r, err, in, st.ID)
		if !ok {
			p.srv.Internal(w, r, err)
			return
		}
		f.Problems = problems
		p.render(w, r, status, st, f)
		return
	}
	p.srv.AddFlash(r, "success", "states.admin.saved", "Name", in.Name)
	web.SeeOther(w, r, "/admin/states")
}

// askDelete says what deleting the state does: its accounts move on, and
// the groups limited to it lose that limit.
func (p *pages) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	st, ok := p.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	if st.Guest {
		p.srv.Fail(w, r, http.StatusConflict, "states.admin.error.guest_delete", "Name", st.Name)
		return web.Confirmation{}, false
	}
	im, err := p.st.DeletionImpact(r.Context(), p.st.db, st.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	c := web.Confirmation{
		Question:     i18n.M("states.admin.delete_question", "Name", st.Name),
		Consequences: []i18n.Message{i18n.M("states.admin.delete_accounts", "Count", im.Accounts)},
		Button:       i18n.M("states.admin.delete"),
		Back:         "/admin/states/" + strconv.FormatInt(st.ID, 10),
	}
	if im.Groups > 0 {
		c.Consequences = append(c.Consequences, i18n.M("states.admin.delete_groups", "Count", im.Groups))
	}
	return c, true
}

func (p *pages) delete(w http.ResponseWriter, r *http.Request) {
	st, ok := p.load(w, r)
	if !ok {
		return
	}
	switch err := p.st.Delete(r.Context(), st.ID); {
	case errors.Is(err, ErrGuest):
		p.srv.Fail(w, r, http.StatusConflict, "states.admin.error.guest_delete", "Name", st.Name)
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "states.admin.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "states.admin.deleted", "Name", st.Name)
		web.SeeOther(w, r, "/admin/states")
	}
}
