package appapi

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The pages that manage apps: the app admins' (create, change, delete) and
// the managers' (see their apps, make a new secret). Their templates are
// apart from any other of the package, parsed on their own.
//
//go:embed manage_templates
var manageTemplates embed.FS

// AdminAccess admits app admins (Neucore's app-admin role) and superusers
// to the administration of apps.
var AdminAccess = web.Role(access.RoleAppAdmin)

// ManagerAccess admits the members who manage an app to their apps' page.
// They hold the app-manager role, which follows the managers of apps
// (managers.go); superusers are no exception, since the page shows only the
// apps of its viewer's account. Each app on it is still checked against the
// managers of that app.
var ManagerAccess = web.Allow("role app-manager (managers of an app)", func(v *web.Viewer) bool {
	return slices.Contains(v.Roles, access.RoleAppManager)
})

// Characters finds the characters an admin types as managers
// (*accounts.Accounts).
type Characters interface {
	Character(ctx context.Context, id int32) (accounts.Character, error)
	CharacterByName(ctx context.Context, name string) (accounts.Character, error)
}

// Offers tells which EVE logins are offered (*logins.Store): a built-in
// login is once a feature uses it.
type Offers interface {
	Offered(name string) bool
}

// PageDeps are what the pages use besides the Store.
type PageDeps struct {
	DB         *store.DB
	Characters Characters
	// Logins tells which EVE logins the app form offers; nil offers
	// every one.
	Logins Offers
	// BaseURL is the site's address, for the examples of a new secret.
	BaseURL string
}

type pages struct {
	st    *Store
	deps  PageDeps
	srv   *web.Server
	pages *web.Pages
}

// MountPages adds the administration of apps and the managers' page.
func (s *Store) MountPages(srv *web.Server, deps PageDeps) error {
	ps, err := srv.ParsePages(manageTemplates, "manage_templates/*.html", "manage_templates/partials/*.html")
	if err != nil {
		return err
	}
	p := &pages{st: s, deps: deps, srv: srv, pages: ps}
	srv.Handle("GET /admin/apps", AdminAccess, http.HandlerFunc(p.list))
	srv.Handle("POST /admin/apps", AdminAccess, http.HandlerFunc(p.create))
	srv.Handle("GET /admin/apps/{id}", AdminAccess, http.HandlerFunc(p.edit))
	srv.Handle("POST /admin/apps/{id}", AdminAccess, http.HandlerFunc(p.update))
	srv.HandleConfirmed("/admin/apps/{id}/delete", AdminAccess, p.askDelete, p.delete)
	srv.Handle("GET /apps", ManagerAccess, http.HandlerFunc(p.managed))
	srv.Handle("POST /apps/{id}/secret", ManagerAccess, http.HandlerFunc(p.newSecret))
	return nil
}

// option is a group offered in a form, or named on a page.
type option struct {
	ID   int64
	Name string
}

// loginOption is an EVE login offered in a form: its name and
// description are read, the rest is left empty; a built-in login's label
// and description come from the catalogue (logins.Login.LabelID).
type loginOption struct{ logins.Login }

// groupOptions lists every group, by name.
func (p *pages) groupOptions(ctx context.Context) ([]option, error) {
	out, err := store.Collect(ctx, p.deps.DB, `SELECT id, name FROM groups ORDER BY lower(name), id`, func(rows store.Rows, o *option) error {
		return rows.Scan(&o.ID, &o.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("apps: groups: %w", err)
	}
	return out, nil
}

// groupNames maps every group's id to its name.
func (p *pages) groupNames(ctx context.Context) (map[int64]string, error) {
	opts, err := p.groupOptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(opts))
	for _, o := range opts {
		out[o.ID] = o.Name
	}
	return out, nil
}

// loginOptions lists the EVE logins an app may be given, by name: those
// offered (a built-in login no feature uses is not, as on every page),
// and those of held, the logins the app has already, so that saving its
// form keeps them.
func (p *pages) loginOptions(ctx context.Context, held []string) ([]loginOption, error) {
	out, err := store.Collect(ctx, p.deps.DB, `SELECT name, description FROM eve_logins ORDER BY name`, func(rows store.Rows, o *loginOption) error {
		return rows.Scan(&o.Name, &o.Description)
	})
	if err != nil {
		return nil, fmt.Errorf("apps: EVE logins: %w", err)
	}
	if p.deps.Logins != nil {
		out = slices.DeleteFunc(out, func(o loginOption) bool { return !p.deps.Logins.Offered(o.Name) && !slices.Contains(held, o.Name) })
	}
	return out, nil
}

// manager is an account that manages an app, named by a character of its
// own (the main first); Name is empty when it has none.
type manager struct {
	AccountID int64
	Name      string
}

// Entry is how the managers field writes the manager: the character's
// name, or #id for an account without characters.
func (m manager) Entry() string {
	if m.Name != "" {
		return m.Name
	}
	return "#" + strconv.FormatInt(m.AccountID, 10)
}

// managerNames names manager accounts.
func (p *pages) managerNames(ctx context.Context, ids []int64) ([]manager, error) {
	out := make([]manager, 0, len(ids))
	for _, id := range ids {
		m := manager{AccountID: id}
		err := p.deps.DB.QueryRow(ctx, `SELECT name FROM characters WHERE account_id = $1 ORDER BY main DESC, id LIMIT 1`, id).Scan(&m.Name)
		if err != nil && !errors.Is(err, store.ErrNoRows) {
			return nil, fmt.Errorf("apps: managers: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}
