package groups

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/names"
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
	// Names resolves the names typed into the corporations and alliances
	// of a group.
	Names *names.Resolver
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
	srv.HandleConfirmed("/admin/groups/{id}/delete", AdminAccess, a.askDelete, a.delete)
	srv.Handle("GET /admin/autogroups", AdminAccess, http.HandlerFunc(a.autogroups))
	srv.Handle("POST /admin/autogroups", AdminAccess, http.HandlerFunc(a.createAutogroups))
	srv.Handle("POST /admin/autogroups/{id}", AdminAccess, http.HandlerFunc(a.updateAutogroups))
	srv.HandleConfirmed("/admin/autogroups/{id}/delete", AdminAccess, a.askDeleteAutogroups, a.deleteAutogroups)
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
	groups, err = store.Collect(ctx, a.st.db, `SELECT id, name FROM groups ORDER BY lower(name), id`,
		func(rows store.Rows, o *adminOption) error { return rows.Scan(&o.ID, &o.Name) })
	if err != nil {
		return nil, nil, fmt.Errorf("groups: names: %w", err)
	}
	return states, groups, nil
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
