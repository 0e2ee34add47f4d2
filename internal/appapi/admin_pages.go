package appapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Fields of the app form, as the form names them; each may carry problems.
const (
	fieldName      = "name"
	fieldRoles     = "roles"
	fieldGroups    = "groups"
	fieldEveLogins = "eve_logins"
	fieldManagers  = "managers"
	// fieldOther carries what the store refused after the form's own checks
	// passed (a group deleted meanwhile).
	fieldOther = ""
)

// requestDays is how many days of requests an app's page shows.
const requestDays = 7

// formFields are the fields of the app form in the page's order.
var formFields = []string{fieldName, fieldRoles, fieldGroups, fieldEveLogins, fieldManagers}

// adminForm is an app as typed into its form, with the problems of each
// field.
type adminForm struct {
	Input
	ManagersText string
	Problems     web.FormProblems
}

func (f *adminForm) problem(field, msg string) {
	f.Problems = append(f.Problems, web.FormProblem{Field: field, Text: msg})
}

// say adds a validator's problems, each to its field, in loc's language.
func (f *adminForm) say(loc *i18n.Localizer, ps i18n.Problems) {
	for _, p := range ps {
		f.problem(p.Field, loc.Say(p.Message))
	}
}

// HasRole, HasGroup and HasLogin tell the template which boxes are ticked.
func (f adminForm) HasRole(role string) bool   { return slices.Contains(f.Roles, role) }
func (f adminForm) HasGroup(id int64) bool     { return slices.Contains(f.Groups, id) }
func (f adminForm) HasLogin(login string) bool { return slices.Contains(f.EveLogins, login) }
func (f adminForm) invalid() bool              { return len(f.Problems) > 0 }

// adminRow is an app of the list, with its managers named.
type adminRow struct {
	App
	Managers []manager
}

type adminListPage struct {
	Apps       []adminRow
	GroupNames map[int64]string
	// Name and Problems are of the form of a new app.
	Name     string
	Problems web.FormProblems
}

func (p *pages) renderList(w http.ResponseWriter, r *http.Request, status int, page adminListPage) {
	ctx := r.Context()
	all, err := p.st.List(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if page.GroupNames, err = p.groupNames(ctx); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	for _, a := range all {
		ms, err := p.managerNames(ctx, a.Managers)
		if err != nil {
			p.srv.Internal(w, r, err)
			return
		}
		page.Apps = append(page.Apps, adminRow{App: a, Managers: ms})
	}
	p.srv.Render(w, r, p.pages, "admin_apps.html", status, "appapi.admin.title", page)
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) {
	p.renderList(w, r, http.StatusOK, adminListPage{})
}

// create makes an app with a name and the role app, as Neucore does; the
// admin then chooses the rest on the app's page.
func (p *pages) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	in := Input{Name: strings.TrimSpace(r.PostForm.Get("name")), Roles: []string{RoleApp}}
	if ps := in.Validate(); len(ps) > 0 {
		p.renderList(w, r, http.StatusUnprocessableEntity, adminListPage{Name: in.Name, Problems: p.srv.Problems(r, ps)})
		return
	}
	a, err := p.st.Create(r.Context(), in)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "appapi.admin.created", "Name", a.Name)
	web.SeeOther(w, r, "/admin/apps/"+strconv.FormatInt(a.ID, 10))
}

// load reads the app of the path, answering 404 itself.
func (p *pages) load(w http.ResponseWriter, r *http.Request) (App, bool) {
	return web.Load(p.srv, w, r, "id", p.st.Get, ErrNotFound, "appapi.error.not_found")
}

// adminAppPage is an app's page: its form, with every group, EVE login and
// role to choose from, and what the app did lately.
type adminAppPage struct {
	App    App
	Form   adminForm
	Roles  []string
	Groups []option
	Logins []loginOption
	// Managers are the app's managers as stored, named.
	Managers []manager
	Requests requestStats
}

func (p *pages) renderApp(w http.ResponseWriter, r *http.Request, status int, a App, f adminForm) {
	ctx := r.Context()
	// The summary reads as the form, and the first field with a problem
	// is focused, whichever check found it first.
	f.Problems = f.Problems.InOrder(formFields...)
	page := adminAppPage{App: a, Form: f, Roles: Roles}
	var err error
	if page.Groups, err = p.groupOptions(ctx); err == nil {
		if page.Logins, err = p.loginOptions(ctx, a.EveLogins); err == nil {
			if page.Managers, err = p.managerNames(ctx, a.Managers); err == nil {
				page.Requests, err = p.st.requests(ctx, a.ID, requestDays)
			}
		}
	}
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "admin_app.html", status, "appapi.admin.edit_title", page)
}

// formOf gives a stored app's form.
func (p *pages) formOf(ctx context.Context, a App) (adminForm, error) {
	f := adminForm{Input: Input{Name: a.Name, Roles: a.Roles, Groups: a.Groups, EveLogins: a.EveLogins, Managers: a.Managers}}
	ms, err := p.managerNames(ctx, a.Managers)
	if err != nil {
		return f, err
	}
	entries := make([]string, len(ms))
	for i, m := range ms {
		entries[i] = m.Entry()
	}
	f.ManagersText = strings.Join(entries, "\n")
	return f, nil
}

func (p *pages) edit(w http.ResponseWriter, r *http.Request) {
	a, ok := p.load(w, r)
	if !ok {
		return
	}
	f, err := p.formOf(r.Context(), a)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.renderApp(w, r, http.StatusOK, a, f)
}

// read reads the form of app a and checks every field (the name and
// roles with Validate), reporting every problem at once in the visitor's
// language.
func (p *pages) read(r *http.Request, a App) (adminForm, error) {
	ctx := r.Context()
	pf := r.PostForm
	f := adminForm{Input: Input{Name: strings.TrimSpace(pf.Get(fieldName)), Roles: pf[fieldRoles]}, ManagersText: pf.Get(fieldManagers)}
	f.say(p.srv.Localizer(r), f.Validate())
	// A role that is none is not shown ticked.
	f.Roles = slices.DeleteFunc(slices.Clone(f.Roles), func(role string) bool { return !slices.Contains(Roles, role) })

	groups, err := p.groupOptions(ctx)
	if err != nil {
		return f, err
	}
	for _, v := range pf[fieldGroups] {
		id, err := strconv.ParseInt(v, 10, 64)
		i := slices.IndexFunc(groups, func(o option) bool { return o.ID == id })
		switch {
		case err != nil || i < 0:
			f.problem(fieldGroups, p.srv.T(r, "appapi.admin.error.group", "ID", v))
			continue
		case unfitForAPI(groups[i].Name, "") != "":
			// Kept ticked, to be seen beside the problem.
			f.problem(fieldGroups, p.srv.T(r, "appapi.admin.error.group_name", "Name", groups[i].Name))
		}
		f.Groups = append(f.Groups, id)
	}

	logins, err := p.loginOptions(ctx, a.EveLogins)
	if err != nil {
		return f, err
	}
	for _, name := range pf[fieldEveLogins] {
		if !slices.ContainsFunc(logins, func(o loginOption) bool { return o.Name == name }) {
			f.problem(fieldEveLogins, p.srv.T(r, "appapi.admin.error.eve_login", "Name", name))
			continue
		}
		f.EveLogins = append(f.EveLogins, name)
	}

	for _, entry := range strings.FieldsFunc(f.ManagersText, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, err := p.managerAccount(ctx, entry)
		switch {
		case errors.Is(err, accounts.ErrNotFound):
			f.problem(fieldManagers, p.srv.T(r, "appapi.admin.error.manager", "Entry", entry))
			continue
		case err != nil:
			return f, err
		case slices.Contains(f.Managers, id):
			continue
		}
		if !slices.Contains(a.Managers, id) {
			// A new manager must be allowed the role that opens the
			// managers' page (Neucore refuses such a manager too).
			may, err := p.st.MayManage(ctx, id)
			if err != nil {
				return f, err
			}
			if !may {
				f.problem(fieldManagers, p.srv.T(r, "appapi.admin.error.manager_role", "Entry", entry, "Role", access.RoleAppManager))
				continue
			}
		}
		f.Managers = append(f.Managers, id)
	}
	return f, nil
}

// managerAccount finds the account a managers entry names: #id names an
// account; otherwise a character's id or name names its account.
func (p *pages) managerAccount(ctx context.Context, entry string) (int64, error) {
	if rest, ok := strings.CutPrefix(entry, "#"); ok {
		id, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		if err != nil || id <= 0 {
			return 0, fmt.Errorf("%w: %q", accounts.ErrNotFound, entry)
		}
		var exists bool
		if err := p.deps.DB.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists); err != nil {
			return 0, fmt.Errorf("apps: account %d: %w", id, err)
		}
		if !exists {
			return 0, fmt.Errorf("%w: account %d", accounts.ErrNotFound, id)
		}
		return id, nil
	}
	if id, err := strconv.ParseInt(entry, 10, 32); err == nil {
		c, err := p.deps.Characters.Character(ctx, int32(id))
		if !errors.Is(err, accounts.ErrNotFound) {
			return c.AccountID, err
		}
	}
	c, err := p.deps.Characters.CharacterByName(ctx, entry)
	return c.AccountID, err
}

func (p *pages) update(w http.ResponseWriter, r *http.Request) {
	a, ok := p.load(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	f, err := p.read(r, a)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if f.invalid() {
		p.renderApp(w, r, http.StatusUnprocessableEntity, a, f)
		return
	}
	saved, err := p.st.Update(r.Context(), a.ID, f.Input)
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		f.say(p.srv.Localizer(r), invalid.Problems)
		p.renderApp(w, r, http.StatusUnprocessableEntity, a, f)
	case errors.Is(err, ErrInvalid):
		// What the form's checks could not see (a group deleted
		// meanwhile): the store's words.
		f.problem(fieldOther, storeWords(err))
		p.renderApp(w, r, http.StatusUnprocessableEntity, a, f)
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "appapi.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "appapi.admin.saved", "Name", saved.Name)
		web.SeeOther(w, r, "/admin/apps/"+strconv.FormatInt(a.ID, 10))
	}
}

// storeWords gives what the store said of input it refused: the words
// after "apps: invalid: ".
func storeWords(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ErrInvalid.Error()+": "); i >= 0 {
		return msg[i+len(ErrInvalid.Error())+2:]
	}
	return msg
}

// askDelete says what deleting an app does: its secret stops working at
// once (its requests of the last days counted, to show whether it is in
// use), and its managers lose it.
func (p *pages) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	a, ok := p.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	reqs, err := p.st.requests(r.Context(), a.ID, requestDays)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	c := web.Confirmation{
		Question: i18n.M("appapi.admin.delete_question", "Name", a.Name),
		Button:   i18n.M("appapi.admin.delete"),
		Back:     "/admin/apps/" + strconv.FormatInt(a.ID, 10),
	}
	if a.HasSecret {
		c.Consequences = append(c.Consequences, i18n.M("appapi.admin.delete_secret"))
	}
	c.Consequences = append(c.Consequences,
		i18n.M("appapi.admin.delete_requests", "Count", reqs.Total, "Days", requestDays),
		i18n.M("appapi.admin.delete_managers", "Count", len(a.Managers)))
	return c, true
}

// delete removes an app, once confirmed.
func (p *pages) delete(w http.ResponseWriter, r *http.Request) {
	a, ok := p.load(w, r)
	if !ok {
		return
	}
	switch err := p.st.Delete(r.Context(), a.ID); {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "appapi.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "appapi.admin.deleted", "Name", a.Name)
		web.SeeOther(w, r, "/admin/apps")
	}
}

// requestStats are an app's requests of the last days (the table
// app_requests, counted by the API per app and hour), by day, newest first.
type requestStats struct {
	Days  int
	Total int64
	ByDay []dayRequests
}

type dayRequests struct {
	Day   string // 2006-01-02, EVE time
	Total int64
	Peak  hourRequests
	Hours []hourRequests // newest first
}

type hourRequests struct {
	Hour     string // 15:04, EVE time
	Requests int64
}

// requests reads an app's requests of the last days.
func (s *Store) requests(ctx context.Context, appID int64, days int) (requestStats, error) {
	out := requestStats{Days: days}
	now := s.now().UTC()
	since := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1-days)
	err := store.Each(ctx, s.db, `SELECT hour, requests FROM app_requests WHERE app_id = $1 AND hour >= $2 ORDER BY hour DESC`, func(rows store.Rows) error {
		var hour time.Time
		var n int64
		if err := rows.Scan(&hour, &n); err != nil {
			return err
		}
		hour = hour.UTC()
		day := hour.Format(time.DateOnly)
		if len(out.ByDay) == 0 || out.ByDay[len(out.ByDay)-1].Day != day {
			out.ByDay = append(out.ByDay, dayRequests{Day: day})
		}
		d := &out.ByDay[len(out.ByDay)-1]
		h := hourRequests{Hour: hour.Format("15:04"), Requests: n}
		d.Hours = append(d.Hours, h)
		d.Total += n
		if n > d.Peak.Requests {
			d.Peak = h
		}
		out.Total += n
		return nil
	}, appID, since)
	if err != nil {
		return out, fmt.Errorf("apps: requests of %d: %w", appID, err)
	}
	return out, nil
}
