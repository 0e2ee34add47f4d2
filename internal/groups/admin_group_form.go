package groups

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// adminGroupForm is a group being typed: the Input, with the lists of EVE ids
// and managers as typed, and what is wrong with it.
type adminGroupForm struct {
	Input
	CorporationsText, AlliancesText, ManagersText string
	Problems                                      web.FormProblems
}

// groupFormFields are the fields of the group form in the page's order.
var groupFormFields = []string{"name", "description", "states", "required", "forbidden", "corporations", "alliances",
	"managers", "manager_groups", "permissions"}

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
		page.Permissions = a.st.catalogue.All(ctx)
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
	title := "groups.admin.edit_title"
	if g.ID == 0 {
		title = "groups.admin.new_title"
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

// read reads the form of group g (ID 0: a new one) and checks it with
// Validate, reporting every problem at once in the visitor's language.
// What only a form can get wrong (an id that is no number, a manager that
// names nobody) is found here. Admins who are not superusers keep the
// group's restricted flag and permissions; an autogroup keeps everything
// but its description.
func (a *adminPages) read(r *http.Request, g Group) (adminGroupForm, error) {
	ctx := r.Context()
	pf := r.PostForm
	var ps i18n.Problems
	var f adminGroupForm
	if g.Autogroup != nil {
		var err error
		if f, err = a.formOf(ctx, g); err != nil {
			return f, err
		}
		f.Description = strings.TrimSpace(pf.Get("description"))
	} else {
		f = adminGroupForm{Input: Input{Name: strings.TrimSpace(pf.Get("name")), Description: strings.TrimSpace(pf.Get("description")),
			Permissions: pf["permissions"]},
			CorporationsText: pf.Get("corporations"), AlliancesText: pf.Get("alliances"), ManagersText: pf.Get("managers")}
		for _, name := range adminFlags {
			*f.adminFlag(name) = pf.Get(name) != ""
		}
		var bad []string
		f.AllowedStates, bad = adminIDs(pf["states"])
		for _, b := range bad {
			ps.Add("states", "groups.admin.error.state", "ID", b)
		}
		for _, list := range []struct {
			field string
			out   *[]int64
		}{{"required", &f.Required}, {"forbidden", &f.Forbidden}, {"manager_groups", &f.ManagerGroups}} {
			*list.out, bad = adminIDs(pf[list.field])
			for _, b := range bad {
				ps.Add(list.field, "groups.admin.error.group", "ID", b)
			}
		}
		for _, list := range []struct {
			kind, field, text string
			out               *[]int32
		}{{names.Corporation, "corporations", f.CorporationsText, &f.Corporations}, {names.Alliance, "alliances", f.AlliancesText, &f.Alliances}} {
			var unresolved i18n.Problems
			var err error
			*list.out, unresolved, err = a.deps.Names.Resolve(ctx, list.kind, list.field, i18n.M("groups.admin.field."+list.field), list.text)
			if err != nil {
				return f, err
			}
			ps = append(ps, unresolved...)
		}
		for _, entry := range strings.FieldsFunc(f.ManagersText, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			c, err := a.character(ctx, entry)
			switch {
			case errors.Is(err, accounts.ErrNotFound):
				ps.Add("managers", "groups.admin.error.manager", "Name", entry)
			case err != nil:
				return f, err
			case !slices.Contains(f.Managers, c.AccountID):
				f.Managers = append(f.Managers, c.AccountID)
			}
		}
		if !web.ViewerFrom(ctx).Superuser {
			f.Restricted, f.Permissions = g.Restricted, g.Permissions
		}
	}
	more, err := a.st.Validate(ctx, a.st.db, g.ID, f.Input)
	if err != nil {
		return f, err
	}
	f.Problems = a.srv.Problems(r, append(ps, more...)).InOrder(groupFormFields...)
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
