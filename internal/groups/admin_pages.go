package groups

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The administration's templates are apart from the members' pages
// (templates/), each set parsed on its own.
//
//go:embed admin_templates
var adminTemplates embed.FS

// StateList lists the states, for the groups' allowed states
// (*states.Store gives them through a small adapter in the app).
type StateList interface {
	Names(ctx context.Context) (map[int64]string, error)
}

// AdminDeps are what the groups administration uses besides the Store.
type AdminDeps struct {
	States     StateList
	Characters Characters
}

// AdminAccess admits group admins (Neucore's group-admin role) and
// superusers to the administration of groups, autogroups and reserved
// names. The restricted flag and the permissions of groups are for
// superusers alone, and so is every change of a guarded group
// (access.Guard): one that is restricted, grants permissions or that a
// role requires.
var AdminAccess = web.Role(access.RoleGroupAdmin)

type adminPages struct {
	st    *Store
	deps  AdminDeps
	srv   *web.Server
	pages *web.Pages
}

// MountAdmin adds the administration of groups, autogroups and reserved
// names.
func (s *Store) MountAdmin(srv *web.Server, deps AdminDeps) error {
	ps, err := srv.ParsePages(adminTemplates, "admin_templates/*.html", "admin_templates/partials/*.html")
	if err != nil {
		return err
	}
	a := &adminPages{st: s, deps: deps, srv: srv, pages: ps}
	srv.Handle("GET /admin/groups", AdminAccess, http.HandlerFunc(a.list))
	srv.Handle("GET /admin/groups/new", AdminAccess, http.HandlerFunc(a.newGroup))
	srv.Handle("POST /admin/groups", AdminAccess, http.HandlerFunc(a.create))
	srv.Handle("GET /admin/groups/{id}", AdminAccess, http.HandlerFunc(a.edit))
	srv.Handle("POST /admin/groups/{id}", AdminAccess, http.HandlerFunc(a.update))
	srv.Handle("POST /admin/groups/{id}/delete", AdminAccess, http.HandlerFunc(a.delete))
	srv.Handle("GET /admin/autogroups", AdminAccess, http.HandlerFunc(a.autogroups))
	srv.Handle("POST /admin/autogroups", AdminAccess, http.HandlerFunc(a.createAutogroups))
	srv.Handle("POST /admin/autogroups/{id}", AdminAccess, http.HandlerFunc(a.updateAutogroups))
	srv.Handle("POST /admin/autogroups/{id}/delete", AdminAccess, http.HandlerFunc(a.deleteAutogroups))
	srv.Handle("GET /admin/reserved-names", AdminAccess, http.HandlerFunc(a.reserved))
	srv.Handle("POST /admin/reserved-names", AdminAccess, http.HandlerFunc(a.reserve))
	srv.Handle("POST /admin/reserved-names/{name}/delete", AdminAccess, http.HandlerFunc(a.unreserve))
	return nil
}

// adminOption is a group or state offered in a form.
type adminOption struct {
	ID   int64
	Name string
}

// adminFlags are the group's flags in the order the pages show them; each has
// the messages admin.groups.flag.<name> and admin.groups.flag_help.<name>.
var adminFlags = []string{"internal", "hidden", "open", "public", "restricted", "default"}

func (in *Input) adminFlag(name string) *bool {
	switch name {
	case "internal":
		return &in.Internal
	case "hidden":
		return &in.Hidden
	case "open":
		return &in.Open
	case "public":
		return &in.Public
	case "restricted":
		return &in.Restricted
	default:
		return &in.Default
	}
}

// adminGroupRow is a group of the list, with the names of its flags that
// are set.
type adminGroupRow struct {
	Group
	Flags []string
}

type adminGroupsPage struct {
	Groups     []adminGroupRow
	GroupNames map[int64]string
	StateNames map[int64]string
	Superuser  bool
}

func (a *adminPages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	all, err := a.st.List(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	stateNames, err := a.deps.States.Names(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page := adminGroupsPage{GroupNames: map[int64]string{}, StateNames: stateNames, Superuser: web.ViewerFrom(ctx).Superuser}
	for _, g := range all {
		page.GroupNames[g.ID] = g.Name
		row := adminGroupRow{Group: g}
		in := g.Input()
		for _, f := range adminFlags {
			if *in.adminFlag(f) {
				row.Flags = append(row.Flags, f)
			}
		}
		page.Groups = append(page.Groups, row)
	}
	a.srv.Render(w, r, a.pages, "admin_groups.html", http.StatusOK, "admin.groups.title", page)
}

// adminGroupForm is a group being typed: the Input, with the lists of EVE ids
// and managers as typed, and what is wrong with it.
type adminGroupForm struct {
	Input
	CorporationsText, AlliancesText, ManagersText string
	Problems                                      []string
}

// adminFlagBox is one flag's checkbox.
type adminFlagBox struct {
	Name    string
	Checked bool
	// Locked: shown, not changed (the restricted flag for admins who are
	// not superusers; every flag of an autogroup).
	Locked bool
}

// adminManager is an account that manages the group, named by a character.
type adminManager struct {
	AccountID int64
	Name      string
}

type adminGroupPage struct {
	// Group is the group edited; ID 0 for a new one.
	Group        Group
	Form         adminGroupForm
	Flags        []adminFlagBox
	States       []adminOption
	Groups       []adminOption // the other groups
	Permissions  []access.Permission
	Corporations []access.Named
	Alliances    []access.Named
	Managers     []adminManager
	// Superuser: the restricted flag and the permissions may be changed.
	Superuser bool
	// Autogroup: only the description may be changed.
	Autogroup bool
}

// options gives the states and groups a form offers.
func (a *adminPages) options(ctx context.Context) (states, groups []adminOption, err error) {
	names, err := a.deps.States.Names(ctx)
	if err != nil {
		return nil, nil, err
	}
	for id, n := range names {
		states = append(states, adminOption{id, n})
	}
	slices.SortFunc(states, func(x, y adminOption) int {
		return cmp.Or(cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)), cmp.Compare(x.ID, y.ID))
	})
	rows, err := a.st.db.Query(ctx, `SELECT id, name FROM groups ORDER BY lower(name), id`)
	if err != nil {
		return nil, nil, fmt.Errorf("groups: names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o adminOption
		if err := rows.Scan(&o.ID, &o.Name); err != nil {
			return nil, nil, fmt.Errorf("groups: names: %w", err)
		}
		groups = append(groups, o)
	}
	return states, groups, rows.Err()
}

func (a *adminPages) renderGroup(w http.ResponseWriter, r *http.Request, status int, g Group, f adminGroupForm) {
	ctx := r.Context()
	states, groups, err := a.options(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	su := web.ViewerFrom(ctx).Superuser
	page := adminGroupPage{Group: g, Form: f, States: states, Superuser: su, Autogroup: g.Autogroup != nil}
	for _, o := range groups {
		if o.ID != g.ID {
			page.Groups = append(page.Groups, o)
		}
	}
	if a.st.catalogue != nil {
		page.Permissions = a.st.catalogue.All()
	}
	for _, name := range adminFlags {
		page.Flags = append(page.Flags, adminFlagBox{Name: name, Checked: *f.adminFlag(name),
			Locked: page.Autogroup || name == "restricted" && !su})
	}
	corps, _ := access.ParseIDs(f.CorporationsText)
	alliances, _ := access.ParseIDs(f.AlliancesText)
	if page.Corporations, err = access.NameIDs(ctx, a.st.db, "corporation", corps); err == nil {
		page.Alliances, err = access.NameIDs(ctx, a.st.db, "alliance", alliances)
	}
	if err == nil {
		page.Managers, err = a.managers(ctx, f.Managers)
	}
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	title := "admin.groups.edit_title"
	if g.ID == 0 {
		title = "admin.groups.new_title"
	}
	a.srv.Render(w, r, a.pages, "admin_group.html", status, title, page)
}

// managers names manager accounts by a character of theirs, the main
// first.
func (a *adminPages) managers(ctx context.Context, ids []int64) ([]adminManager, error) {
	var out []adminManager
	for _, id := range ids {
		m := adminManager{AccountID: id}
		err := a.st.db.QueryRow(ctx, `SELECT name FROM characters WHERE account_id = $1 ORDER BY main DESC, id LIMIT 1`, id).Scan(&m.Name)
		if err != nil && !errors.Is(err, store.ErrNoRows) {
			return nil, fmt.Errorf("groups: managers: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// formOf gives a stored group's form.
func (a *adminPages) formOf(ctx context.Context, g Group) (adminGroupForm, error) {
	f := adminGroupForm{Input: g.Input(), CorporationsText: access.FormatIDs(g.Corporations), AlliancesText: access.FormatIDs(g.Alliances)}
	ms, err := a.managers(ctx, g.Managers)
	if err != nil {
		return f, err
	}
	var names []string
	for _, m := range ms {
		if m.Name != "" {
			names = append(names, m.Name)
		}
	}
	f.ManagersText = strings.Join(names, "\n")
	return f, nil
}

func (a *adminPages) newGroup(w http.ResponseWriter, r *http.Request) {
	a.renderGroup(w, r, http.StatusOK, Group{}, adminGroupForm{})
}

// adminIDs reads a list of ids of the form (checkboxes); bad lists what is not
// one.
func adminIDs(values []string) (out []int64, bad []string) {
	for _, v := range values {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			bad = append(bad, v)
			continue
		}
		out = append(out, id)
	}
	return out, bad
}

// read reads the form of group g (ID 0: a new one) and checks it,
// reporting every problem at once in the visitor's language. Admins who
// are not superusers keep the group's restricted flag and permissions; an
// autogroup keeps everything but its description.
func (a *adminPages) read(r *http.Request, g Group) (adminGroupForm, error) {
	ctx := r.Context()
	pf := r.PostForm
	if g.Autogroup != nil {
		f, err := a.formOf(ctx, g)
		f.Description = strings.TrimSpace(pf.Get("description"))
		if utf8.RuneCountInString(f.Description) > 4000 {
			f.Problems = append(f.Problems, a.srv.T(r, "admin.groups.error.description"))
		}
		return f, err
	}
	f := adminGroupForm{Input: Input{Name: strings.TrimSpace(pf.Get("name")), Description: strings.TrimSpace(pf.Get("description")),
		Permissions: pf["permissions"]},
		CorporationsText: pf.Get("corporations"), AlliancesText: pf.Get("alliances"), ManagersText: pf.Get("managers")}
	for _, name := range adminFlags {
		*f.adminFlag(name) = pf.Get(name) != ""
	}
	problem := func(msg string) { f.Problems = append(f.Problems, msg) }
	switch {
	case f.Name == "":
		problem(a.srv.T(r, "admin.groups.error.name_required"))
	case utf8.RuneCountInString(f.Name) > MaxName:
		problem(a.srv.T(r, "admin.groups.error.name_long", "Max", MaxName))
	case controlChars.MatchString(f.Name):
		problem(a.srv.T(r, "admin.groups.error.name_control"))
	}
	if utf8.RuneCountInString(f.Description) > 4000 {
		problem(a.srv.T(r, "admin.groups.error.description"))
	}

	states, groups, err := a.options(ctx)
	if err != nil {
		return f, err
	}
	known := func(opts []adminOption, id int64) (string, bool) {
		i := slices.IndexFunc(opts, func(o adminOption) bool { return o.ID == id })
		if i < 0 {
			return "", false
		}
		return opts[i].Name, true
	}
	var bad []string
	f.AllowedStates, bad = adminIDs(pf["states"])
	for _, id := range f.AllowedStates {
		if _, ok := known(states, id); !ok {
			bad = append(bad, strconv.FormatInt(id, 10))
		}
	}
	for _, b := range bad {
		problem(a.srv.T(r, "admin.groups.error.state", "ID", b))
	}
	self := false
	for _, list := range []struct {
		field string
		out   *[]int64
	}{{"required", &f.Required}, {"forbidden", &f.Forbidden}, {"manager_groups", &f.ManagerGroups}} {
		*list.out, bad = adminIDs(pf[list.field])
		for _, id := range *list.out {
			switch _, ok := known(groups, id); {
			case g.ID != 0 && id == g.ID:
				self = true
			case !ok:
				bad = append(bad, strconv.FormatInt(id, 10))
			}
		}
		for _, b := range bad {
			problem(a.srv.T(r, "admin.groups.error.group", "ID", b))
		}
	}
	if self {
		problem(a.srv.T(r, "admin.groups.error.self"))
	}
	for _, id := range f.Required {
		if slices.Contains(f.Forbidden, id) {
			name, _ := known(groups, id)
			problem(a.srv.T(r, "admin.groups.error.required_forbidden", "Group", cmp.Or(name, strconv.FormatInt(id, 10))))
		}
	}

	for _, list := range []struct {
		field, text string
		out         *[]int32
	}{{"corporations", f.CorporationsText, &f.Corporations}, {"alliances", f.AlliancesText, &f.Alliances}} {
		*list.out, bad = access.ParseIDs(list.text)
		for _, b := range bad {
			problem(a.srv.T(r, "admin.groups.error.id", "Value", b, "Field", a.srv.T(r, "admin.groups.field."+list.field)))
		}
	}

	for _, entry := range strings.FieldsFunc(f.ManagersText, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		c, err := a.character(ctx, entry)
		switch {
		case errors.Is(err, accounts.ErrNotFound):
			problem(a.srv.T(r, "admin.groups.error.manager", "Name", entry))
		case err != nil:
			return f, err
		case !slices.Contains(f.Managers, c.AccountID):
			f.Managers = append(f.Managers, c.AccountID)
		}
	}

	if web.ViewerFrom(ctx).Superuser {
		for _, p := range f.Permissions {
			if a.st.catalogue != nil && !a.st.catalogue.Has(p) {
				problem(a.srv.T(r, "admin.groups.error.permission", "Name", p))
			}
		}
	} else {
		f.Restricted, f.Permissions = g.Restricted, g.Permissions
	}
	return f, nil
}

// character finds a manager typed into the form: a character's name, or
// its id.
func (a *adminPages) character(ctx context.Context, entry string) (accounts.Character, error) {
	if id, err := strconv.ParseInt(entry, 10, 32); err == nil {
		c, err := a.deps.Characters.Character(ctx, int32(id))
		if !errors.Is(err, accounts.ErrNotFound) {
			return c, err
		}
	}
	return a.deps.Characters.CharacterByName(ctx, entry)
}

// saved answers a group saved by Create or Update.
func (a *adminPages) saved(w http.ResponseWriter, r *http.Request, g Group, f adminGroupForm, err error, message string) {
	switch {
	case errors.Is(err, ErrNameTaken):
		f.Problems = []string{a.srv.T(r, "admin.groups.error.taken", "Name", f.Name)}
		a.renderGroup(w, r, http.StatusConflict, g, f)
	case errors.Is(err, ErrReserved):
		f.Problems = []string{a.srv.T(r, "admin.groups.error.reserved", "Name", f.Name)}
		a.renderGroup(w, r, http.StatusConflict, g, f)
	case errors.Is(err, ErrInvalid):
		// What the form's own checks missed (a group deleted meanwhile):
		// the store's words.
		f.Problems = nil
		for _, line := range strings.Split(err.Error(), "\n") {
			f.Problems = append(f.Problems, strings.TrimPrefix(line, ErrInvalid.Error()+": "))
		}
		a.renderGroup(w, r, http.StatusUnprocessableEntity, g, f)
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.groups.error.not_found")
	case errors.Is(err, ErrSuperuserOnly):
		// The group became guarded since the page was read.
		a.refuse(w, r, cmp.Or(g.Name, f.Name), GuardOf(err))
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", message, "Name", f.Name)
		web.SeeOther(w, r, "/admin/groups")
	}
}

func (a *adminPages) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	f, err := a.read(r, Group{})
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	if len(f.Problems) > 0 {
		a.renderGroup(w, r, http.StatusUnprocessableEntity, Group{}, f)
		return
	}
	_, err = a.st.CreateAs(r.Context(), actorOf(web.ViewerFrom(r.Context())), f.Input)
	a.saved(w, r, Group{}, f, err, "admin.groups.created")
}

// refuse answers 403 to an admin who is no superuser asking to change a
// guarded group, saying why: admin.groups.error.<guard>.
func (a *adminPages) refuse(w http.ResponseWriter, r *http.Request, name string, g access.Guard) {
	a.srv.Fail(w, r, http.StatusForbidden, "admin.groups.error."+string(g), "Name", name)
}

// load reads the group of the path, answering 404 itself, and 403 when a
// guarded group (restricted, granting permissions, required by a role) is
// asked for by an admin who is not a superuser.
func (a *adminPages) load(w http.ResponseWriter, r *http.Request) (Group, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		a.srv.Fail(w, r, http.StatusNotFound, "admin.groups.error.not_found")
		return Group{}, false
	}
	g, err := a.st.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.groups.error.not_found")
		return Group{}, false
	case err != nil:
		a.srv.Internal(w, r, err)
		return Group{}, false
	case g.Guard() != access.Unguarded && !web.ViewerFrom(r.Context()).Superuser:
		a.refuse(w, r, g.Name, g.Guard())
		return Group{}, false
	}
	return g, true
}

func (a *adminPages) edit(w http.ResponseWriter, r *http.Request) {
	g, ok := a.load(w, r)
	if !ok {
		return
	}
	f, err := a.formOf(r.Context(), g)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	a.renderGroup(w, r, http.StatusOK, g, f)
}

func (a *adminPages) update(w http.ResponseWriter, r *http.Request) {
	g, ok := a.load(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	f, err := a.read(r, g)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	if len(f.Problems) > 0 {
		a.renderGroup(w, r, http.StatusUnprocessableEntity, g, f)
		return
	}
	_, err = a.st.UpdateAs(r.Context(), actorOf(web.ViewerFrom(r.Context())), g.ID, f.Input)
	a.saved(w, r, g, f, err, "admin.groups.saved")
}

func (a *adminPages) delete(w http.ResponseWriter, r *http.Request) {
	g, ok := a.load(w, r)
	if !ok {
		return
	}
	if g.Autogroup != nil {
		// Its configuration would make it again: delete that instead.
		a.srv.Fail(w, r, http.StatusConflict, "admin.groups.error.autogroup_delete", "Name", g.Name)
		return
	}
	switch err := a.st.DeleteAs(r.Context(), actorOf(web.ViewerFrom(r.Context())), g.ID); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.groups.error.not_found")
	case errors.Is(err, ErrSuperuserOnly):
		a.refuse(w, r, g.Name, GuardOf(err))
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "admin.groups.deleted", "Name", g.Name)
		web.SeeOther(w, r, "/admin/groups")
	}
}

// adminAutogroupsPage lists the autogroup configurations, each with a form
// of what may change, and the form of a new one.
type adminAutogroupsPage struct {
	Configs    []AutogroupConfig
	States     []adminOption
	StateNames map[int64]string
	New        AutogroupConfig
	Problems   []string
	// EditID is the configuration whose form Problems are of; 0: the new
	// one's.
	EditID int64
}

// newAutogroups is the form of a new configuration, with Alliance Auth's
// defaults.
var newAutogroups = AutogroupConfig{CorporationGroups: true, CorporationPrefix: "Corp ", AlliancePrefix: "Alliance ", NameSource: "name"}

func (a *adminPages) renderAutogroups(w http.ResponseWriter, r *http.Request, status int, page adminAutogroupsPage) {
	ctx := r.Context()
	var err error
	if page.Configs, err = a.st.AutogroupConfigs(ctx); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	if page.States, _, err = a.options(ctx); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page.StateNames = map[int64]string{}
	for _, s := range page.States {
		page.StateNames[s.ID] = s.Name
	}
	if page.EditID != 0 {
		// Show what was typed in the configuration's form.
		for i := range page.Configs {
			if page.Configs[i].ID == page.EditID {
				page.Configs[i].States, page.Configs[i].CorporationGroups, page.Configs[i].AllianceGroups =
					page.New.States, page.New.CorporationGroups, page.New.AllianceGroups
			}
		}
		page.New = newAutogroups
	}
	a.srv.Render(w, r, a.pages, "admin_autogroups.html", status, "admin.autogroups.title", page)
}

func (a *adminPages) autogroups(w http.ResponseWriter, r *http.Request) {
	a.renderAutogroups(w, r, http.StatusOK, adminAutogroupsPage{New: newAutogroups})
}

// readAutogroups reads a configuration's form (only its states and kinds
// when full is false) and checks it.
func (a *adminPages) readAutogroups(r *http.Request, full bool) (AutogroupConfig, []string, error) {
	pf := r.PostForm
	c := AutogroupConfig{CorporationGroups: pf.Get("corporation_groups") != "", AllianceGroups: pf.Get("alliance_groups") != ""}
	var problems []string
	problem := func(msg string) { problems = append(problems, msg) }
	states, _, err := a.options(r.Context())
	if err != nil {
		return c, nil, err
	}
	var bad []string
	c.States, bad = adminIDs(pf["states"])
	for _, id := range c.States {
		if !slices.ContainsFunc(states, func(o adminOption) bool { return o.ID == id }) {
			bad = append(bad, strconv.FormatInt(id, 10))
		}
	}
	for _, b := range bad {
		problem(a.srv.T(r, "admin.autogroups.error.state", "ID", b))
	}
	if !c.CorporationGroups && !c.AllianceGroups {
		problem(a.srv.T(r, "admin.autogroups.error.kinds"))
	}
	if full {
		// Prefixes are kept as typed: "Corp " ends with its space.
		c.CorporationPrefix, c.AlliancePrefix = pf.Get("corporation_prefix"), pf.Get("alliance_prefix")
		c.NameSource, c.ReplaceSpaces, c.ReplaceWith = pf.Get("name_source"), pf.Get("replace_spaces") != "", pf.Get("replace_with")
		if c.NameSource != "name" && c.NameSource != "ticker" {
			problem(a.srv.T(r, "admin.autogroups.error.name_source"))
		}
		if len(c.CorporationPrefix) > 32 || len(c.AlliancePrefix) > 32 || controlChars.MatchString(c.CorporationPrefix+c.AlliancePrefix) {
			problem(a.srv.T(r, "admin.autogroups.error.prefix"))
		}
		if len(c.ReplaceWith) > 8 || controlChars.MatchString(c.ReplaceWith) {
			problem(a.srv.T(r, "admin.autogroups.error.replace_with"))
		}
	}
	return c, problems, nil
}

// autogroupProblems gives the words of a configuration the store refused
// after the form's checks passed (a state deleted meanwhile).
func autogroupProblems(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		out = append(out, strings.TrimPrefix(line, ErrAutogroupInvalid.Error()+": "))
	}
	return out
}

func (a *adminPages) createAutogroups(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	c, problems, err := a.readAutogroups(r, true)
	if err == nil && len(problems) == 0 {
		_, err = a.st.CreateAutogroups(r.Context(), c)
		if errors.Is(err, ErrAutogroupInvalid) {
			problems, err = autogroupProblems(err), nil
		}
	}
	switch {
	case err != nil:
		a.srv.Internal(w, r, err)
	case len(problems) > 0:
		a.renderAutogroups(w, r, http.StatusUnprocessableEntity, adminAutogroupsPage{New: c, Problems: problems})
	default:
		a.srv.AddFlash(r, "success", "admin.autogroups.created")
		web.SeeOther(w, r, "/admin/autogroups")
	}
}

// autogroupsID reads the configuration id of the path, answering 404
// itself.
func (a *adminPages) autogroupsID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		a.srv.Fail(w, r, http.StatusNotFound, "admin.autogroups.error.not_found")
		return 0, false
	}
	return id, true
}

func (a *adminPages) updateAutogroups(w http.ResponseWriter, r *http.Request) {
	id, ok := a.autogroupsID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	c, problems, err := a.readAutogroups(r, false)
	if err == nil && len(problems) == 0 {
		err = a.st.UpdateAutogroups(r.Context(), id, c.States, c.CorporationGroups, c.AllianceGroups)
		if errors.Is(err, ErrAutogroupInvalid) {
			problems, err = autogroupProblems(err), nil
		}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.autogroups.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	case len(problems) > 0:
		a.renderAutogroups(w, r, http.StatusUnprocessableEntity, adminAutogroupsPage{New: c, Problems: problems, EditID: id})
	default:
		a.srv.AddFlash(r, "success", "admin.autogroups.saved", "ID", id)
		web.SeeOther(w, r, "/admin/autogroups")
	}
}

func (a *adminPages) deleteAutogroups(w http.ResponseWriter, r *http.Request) {
	id, ok := a.autogroupsID(w, r)
	if !ok {
		return
	}
	switch err := a.st.DeleteAutogroups(r.Context(), id); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.autogroups.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "admin.autogroups.deleted", "ID", id)
		web.SeeOther(w, r, "/admin/autogroups")
	}
}

// adminReserved is a reserved name with its path, escaped (a name may
// hold a slash).
type adminReserved struct {
	Reserved
	Path string
}

type adminReservedPage struct {
	Names        []adminReserved
	Name, Reason string
	Problems     []string
}

// maxReason bounds the reason of a reserved name.
const maxReason = 1000

func (a *adminPages) renderReserved(w http.ResponseWriter, r *http.Request, status int, page adminReservedPage) {
	names, err := a.st.ReservedNames(r.Context())
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	for _, n := range names {
		page.Names = append(page.Names, adminReserved{Reserved: n, Path: "/admin/reserved-names/" + url.PathEscape(n.Name) + "/delete"})
	}
	a.srv.Render(w, r, a.pages, "admin_reserved.html", status, "admin.reserved.title", page)
}

func (a *adminPages) reserved(w http.ResponseWriter, r *http.Request) {
	a.renderReserved(w, r, http.StatusOK, adminReservedPage{})
}

func (a *adminPages) reserve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "error.bad_form")
		return
	}
	page := adminReservedPage{Name: strings.TrimSpace(r.PostForm.Get("name")), Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	problem := func(status int, msg string) {
		page.Problems = append(page.Problems, msg)
		a.renderReserved(w, r, status, page)
	}
	if page.Name == "" || utf8.RuneCountInString(page.Name) > MaxName || controlChars.MatchString(page.Name) {
		problem(http.StatusUnprocessableEntity, a.srv.T(r, "admin.reserved.error.name", "Max", MaxName))
		return
	}
	if utf8.RuneCountInString(page.Reason) > maxReason {
		problem(http.StatusUnprocessableEntity, a.srv.T(r, "admin.reserved.error.reason", "Max", maxReason))
		return
	}
	switch err := a.st.Reserve(r.Context(), page.Name, page.Reason, web.ViewerFrom(r.Context()).AccountID); {
	case errors.Is(err, ErrInvalid):
		problem(http.StatusUnprocessableEntity, a.srv.T(r, "admin.reserved.error.name", "Max", MaxName))
	case errors.Is(err, ErrNameTaken):
		problem(http.StatusConflict, a.srv.T(r, "admin.reserved.error.group_exists", "Name", page.Name))
	case errors.Is(err, ErrReservedExists):
		problem(http.StatusConflict, a.srv.T(r, "admin.reserved.error.exists", "Name", page.Name))
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "admin.reserved.added", "Name", strings.ToLower(page.Name))
		web.SeeOther(w, r, "/admin/reserved-names")
	}
}

func (a *adminPages) unreserve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch err := a.st.Unreserve(r.Context(), name); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "admin.reserved.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "admin.reserved.removed", "Name", name)
		web.SeeOther(w, r, "/admin/reserved-names")
	}
}
