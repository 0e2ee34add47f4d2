package groups

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// adminFlags are the group's flags in the order the pages show them; each has
// the messages groups.admin.flag.<name> and groups.admin.flag_help.<name>.
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
	a.srv.Render(w, r, a.pages, "admin_groups.html", http.StatusOK, "groups.admin.title", page)
}

func (a *adminPages) newGroup(w http.ResponseWriter, r *http.Request) {
	a.renderGroup(w, r, http.StatusOK, Group{}, adminGroupForm{})
}

// saved answers a group saved by Create or Update.
func (a *adminPages) saved(w http.ResponseWriter, r *http.Request, g Group, f adminGroupForm, err error, message string) {
	switch {
	case errors.Is(err, ErrNameTaken):
		f.Problems = web.FormProblems{a.srv.Problem(r, "name", "groups.admin.error.taken", "Name", f.Name)}
		a.renderGroup(w, r, http.StatusConflict, g, f)
	case errors.Is(err, ErrReserved):
		f.Problems = web.FormProblems{a.srv.Problem(r, "name", "groups.admin.error.reserved", "Name", f.Name)}
		a.renderGroup(w, r, http.StatusConflict, g, f)
	case errors.Is(err, ErrInvalid):
		// What the form's own checks could not see: another feature's
		// check (Options.Checks).
		f.Problems = a.problemsOf(r, err, ErrInvalid)
		a.renderGroup(w, r, http.StatusUnprocessableEntity, g, f)
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.error.not_found")
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

// problemsOf gives the words of an input the store refused with sentinel:
// Validate's problems in the visitor's language or, for a refusal that has
// none, the store's own words after the sentinel's, a line each.
func (a *adminPages) problemsOf(r *http.Request, err, sentinel error) web.FormProblems {
	var invalid *i18n.InvalidError
	if errors.As(err, &invalid) {
		return a.srv.Problems(r, invalid.Problems).InOrder(groupFormFields...)
	}
	var out web.FormProblems
	for _, line := range strings.Split(err.Error(), "\n") {
		out = append(out, web.FormProblem{Text: strings.TrimPrefix(line, sentinel.Error()+": ")})
	}
	return out
}

func (a *adminPages) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
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
	a.saved(w, r, Group{}, f, err, "groups.admin.created")
}

// refuse answers 403 to an admin who is no superuser asking to change a
// guarded group, saying why: groups.admin.error.<guard>.
func (a *adminPages) refuse(w http.ResponseWriter, r *http.Request, name string, g access.Guard) {
	a.srv.Fail(w, r, http.StatusForbidden, "groups.admin.error."+string(g), "Name", name)
}

// load reads the group of the path, answering 404 itself, and 403 when a
// guarded group (restricted, granting permissions, required by a role) is
// asked for by an admin who is not a superuser.
func (a *adminPages) load(w http.ResponseWriter, r *http.Request) (Group, bool) {
	g, ok := web.Load(a.srv, w, r, "id", a.st.Get, ErrNotFound, "groups.admin.error.not_found")
	if ok && g.Guard() != access.Unguarded && !web.ViewerFrom(r.Context()).Superuser {
		a.refuse(w, r, g.Name, g.Guard())
		return Group{}, false
	}
	return g, ok
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
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
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
	a.saved(w, r, g, f, err, "groups.admin.saved")
}

// deletable reads the group of the path for its deletion, answering
// itself when it may not be deleted.
func (a *adminPages) deletable(w http.ResponseWriter, r *http.Request) (Group, bool) {
	g, ok := a.load(w, r)
	if ok && g.Autogroup != nil {
		// Its configuration would make it again: delete that instead.
		a.srv.Fail(w, r, http.StatusConflict, "groups.admin.error.autogroup_delete", "Name", g.Name)
		return g, false
	}
	return g, ok
}

// askDelete says what deleting the group does: who loses it, which
// requests and other groups' rules go with it.
func (a *adminPages) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	g, ok := a.deletable(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	im, err := a.st.DeletionImpact(r.Context(), a.st.db, g.ID)
	if err != nil {
		a.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	c := web.Confirmation{
		Question:     i18n.M("groups.admin.delete_question", "Name", g.Name),
		Consequences: []i18n.Message{i18n.M("groups.admin.delete_members", "Count", im.Members)},
		Button:       i18n.M("groups.admin.delete"),
		Back:         "/admin/groups/" + strconv.FormatInt(g.ID, 10),
	}
	// The members are always said, none being news too; requests and rules
	// only when there are some.
	if im.Requests > 0 {
		c.Consequences = append(c.Consequences, i18n.M("groups.admin.delete_requests", "Count", im.Requests))
	}
	if im.Rules > 0 {
		c.Consequences = append(c.Consequences, i18n.M("groups.admin.delete_rules", "Count", im.Rules))
	}
	return c, true
}

func (a *adminPages) delete(w http.ResponseWriter, r *http.Request) {
	g, ok := a.deletable(w, r)
	if !ok {
		return
	}
	switch err := a.st.DeleteAs(r.Context(), actorOf(web.ViewerFrom(r.Context())), g.ID); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.error.not_found")
	case errors.Is(err, ErrSuperuserOnly):
		a.refuse(w, r, g.Name, GuardOf(err))
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "groups.admin.deleted", "Name", g.Name)
		web.SeeOther(w, r, "/admin/groups")
	}
}
