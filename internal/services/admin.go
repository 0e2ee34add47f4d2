package services

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The administrators' pages of the services: the instances, each one's
// settings, name formats and group mapping, its status as its connector
// sees it, the accounts whose sync failed, "sync everyone", "verify now",
// deletion, and the audit log of every change made on the service. Every
// route is AdminAccess's (the service-admin role, superusers).
//
// The instance's page is in admin_instance.go, the actions and the audit
// log in admin_actions.go.

// adminPages serve the administrators' pages.
type adminPages struct {
	s     *Services
	srv   *web.Server
	pages *web.Pages
}

// mountAdmin adds the administrators' pages.
func (s *Services) mountAdmin(srv *web.Server, pages *web.Pages) error {
	a := &adminPages{s: s, srv: srv, pages: pages}
	srv.Handle("GET /admin/services", AdminAccess, http.HandlerFunc(a.list))
	srv.Handle("POST /admin/services", AdminAccess, http.HandlerFunc(a.create))
	srv.Handle("GET /admin/services/{slug}", AdminAccess, http.HandlerFunc(a.instance))
	srv.Handle("POST /admin/services/{slug}", AdminAccess, http.HandlerFunc(a.update))
	srv.Handle("POST /admin/services/{slug}/sync", AdminAccess, http.HandlerFunc(a.syncAll))
	srv.Handle("POST /admin/services/{slug}/verify", AdminAccess, http.HandlerFunc(a.verify))
	srv.HandleConfirmed("/admin/services/{slug}/delete", AdminAccess, a.askDelete, a.delete)
	srv.Handle("GET /admin/services/{slug}/audit", AdminAccess, http.HandlerFunc(a.audit))
	return nil
}

// instancePath is the admin page of an instance.
func instancePath(slug string) string { return "/admin/services/" + url.PathEscape(slug) }

// load reads the instance of the path, answering 404 itself.
func (a *adminPages) load(w http.ResponseWriter, r *http.Request) (Instance, bool) {
	inst, err := a.s.Instance(r.Context(), r.PathValue("slug"))
	switch {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "services.error.not_found")
		return inst, false
	case err != nil:
		a.srv.Internal(w, r, err)
		return inst, false
	}
	return inst, true
}

// adminRow is one instance in the list.
type adminRow struct {
	Instance Instance
	Type     Type
	// Known: its type is part of this Keepstar (a type removed from the
	// build leaves its instances, which can then only be deleted).
	Known  bool
	Status Status
}

// createForm is the form that creates an instance, as typed.
type createForm struct {
	Type, Slug, Name string
	Problems         web.FormProblems
}

// createFields are the fields of the create form in the page's order.
var createFields = []string{"type", "slug", "name"}

// adminListPage is the data of admin_services.html.
type adminListPage struct {
	Rows  []adminRow
	Types []Type
	Form  createForm
}

func (a *adminPages) list(w http.ResponseWriter, r *http.Request) {
	a.renderList(w, r, http.StatusOK, createForm{})
}

func (a *adminPages) renderList(w http.ResponseWriter, r *http.Request, status int, f createForm) {
	ctx := r.Context()
	list, err := a.s.Instances(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	counts, err := a.s.statusBySlug(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page := adminListPage{Types: a.s.Types(), Form: f}
	for _, inst := range list {
		t, known := a.s.Type(inst.Type)
		page.Rows = append(page.Rows, adminRow{Instance: inst, Type: t, Known: known, Status: counts[inst.Slug]})
	}
	a.srv.Render(w, r, a.pages, "admin_services.html", status, "services.admin.title", page)
}

// create makes a new instance, disabled: its admin completes its settings
// on its page, grants its permission and enables it there.
func (a *adminPages) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	ctx := r.Context()
	f := createForm{Type: r.PostForm.Get("type"), Slug: strings.TrimSpace(r.PostForm.Get("slug")),
		Name: strings.TrimSpace(r.PostForm.Get("name"))}
	// Groups map by name until the admin says otherwise, as in Alliance
	// Auth.
	in := Input{Type: f.Type, Slug: f.Slug, Name: f.Name, MapByName: true}
	if ps := a.s.inst.Validate(ctx, 0, in); len(ps) > 0 {
		f.Problems = a.srv.Problems(r, ps).InOrder(createFields...)
		a.renderList(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	inst, err := a.s.Create(ctx, in)
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		// Taken meanwhile.
		f.Problems = a.srv.Problems(r, invalid.Problems).InOrder(createFields...)
		a.renderList(w, r, http.StatusUnprocessableEntity, f)
		return
	case err != nil:
		a.srv.Internal(w, r, err)
		return
	}
	a.s.logger.InfoContext(ctx, "service created by an admin", "service", inst.Slug, "by", web.ViewerFrom(ctx).AccountID)
	a.srv.AddFlash(r, "success", "services.admin.flash.created", "Name", inst.Name, "Permission", inst.Permission())
	web.SeeOther(w, r, instancePath(inst.Slug))
}

// named is a row of Keepstar's own (a state, a group) by id and name.
type named struct {
	ID   int64
	Name string
}

// namedRows reads the id and name of every row of a query.
func namedRows(ctx context.Context, q store.Querier, query string) ([]named, error) {
	out, err := store.Collect(ctx, q, query, func(rows store.Rows, n *named) error { return rows.Scan(&n.ID, &n.Name) })
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return out, nil
}

// siteStates are the states, highest priority first, as their page lists
// them.
func (a *adminPages) siteStates(ctx context.Context) ([]named, error) {
	return namedRows(ctx, a.s.db, `SELECT id, name FROM states ORDER BY priority DESC, id`)
}

// siteGroups are Keepstar's groups, by name.
func (a *adminPages) siteGroups(ctx context.Context) ([]named, error) {
	return namedRows(ctx, a.s.db, `SELECT id, name FROM groups ORDER BY lower(name), id`)
}

// failing is an account whose last sync failed, for its admins.
type failing struct {
	AccountID    int64
	AccountName  string
	ExternalName string
	LastError    string
	LastSync     time.Time
}

// failingShown bounds the failing accounts an instance's page lists; the
// status says how many there are.
const failingShown = 100

// failingAccounts lists an instance's accounts whose last sync failed,
// those that failed last first.
func (a *adminPages) failingAccounts(ctx context.Context, instanceID int64) ([]failing, error) {
	out, err := store.Collect(ctx, a.s.db, `SELECT sa.account_id, COALESCE(ac.name, ''), sa.external_name, sa.last_error, sa.last_sync_at
		FROM service_accounts sa LEFT JOIN accounts ac ON ac.id = sa.account_id
		WHERE sa.instance_id = $1 AND sa.status = 'error' ORDER BY sa.last_sync_at DESC, sa.account_id LIMIT $2`,
		func(rows store.Rows, f *failing) error {
			var last *time.Time
			if err := rows.Scan(&f.AccountID, &f.AccountName, &f.ExternalName, &f.LastError, &last); err != nil {
				return err
			}
			if last != nil {
				f.LastSync = *last
			}
			return nil
		}, instanceID, failingShown)
	if err != nil {
		return nil, fmt.Errorf("services: failing accounts of %d: %w", instanceID, err)
	}
	return out, nil
}

// mayOpenAccounts reports whether the viewer may open an account's admin
// page (/admin/accounts/{id}, the user admins': accounts.AdminAccess).
func mayOpenAccounts(r *http.Request) bool {
	return web.ViewerFrom(r.Context()).HasRole(access.RoleUserAdmin)
}
