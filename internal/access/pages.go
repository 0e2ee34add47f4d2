package access

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// AdminDeps are what the permissions and roles pages use.
type AdminDeps struct {
	DB        *store.DB
	Catalogue *Catalogue
	Queue     Inserter
	// Roles are the roles the roles page offers: those the features
	// declared.
	Roles *RoleSet
}

// AuditAccess admits the holders of the audit permission (and superusers)
// to the permissions overview and audit.
var AuditAccess = web.Permission(PermissionAudit.Name)

type adminPages struct {
	AdminDeps
	srv   *web.Server
	pages *web.Pages
}

// MountAdmin adds the permissions overview and audit, and the roles'
// required groups.
func MountAdmin(srv *web.Server, deps AdminDeps) error {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &adminPages{AdminDeps: deps, srv: srv, pages: ps}
	srv.Handle("GET /admin/permissions", AuditAccess, http.HandlerFunc(p.overview))
	srv.Handle("GET /admin/permissions/{name}", AuditAccess, http.HandlerFunc(p.audit))
	// Roles are given by superusers only (accounts' roles page), and so
	// are the groups they require.
	srv.Handle("GET /admin/roles", web.Superusers, http.HandlerFunc(p.roles))
	srv.Handle("POST /admin/roles", web.Superusers, http.HandlerFunc(p.saveRoles))
	return nil
}

// overviewRow is one permission of the overview.
type overviewRow struct {
	Permission
	Count
	// Undeclared: granted somewhere, but no feature declares it (any
	// more); it grants nothing a page checks.
	Undeclared bool
}

func (p *adminPages) overview(w http.ResponseWriter, r *http.Request) {
	counts, err := Overview(r.Context(), p.DB)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	var rows []overviewRow
	for _, perm := range p.Catalogue.All(r.Context()) {
		row := overviewRow{Permission: perm}
		if c := counts[perm.Name]; c != nil {
			row.Count = *c
		}
		rows = append(rows, row)
	}
	var undeclared []string
	for name := range counts {
		if !p.Catalogue.Has(name) {
			undeclared = append(undeclared, name)
		}
	}
	slices.Sort(undeclared)
	for _, name := range undeclared {
		rows = append(rows, overviewRow{Permission: Permission{Name: name}, Count: *counts[name], Undeclared: true})
	}
	p.srv.Render(w, r, p.pages, "permissions.html", http.StatusOK, "access.admin.permissions.title", rows)
}

// grantor is a group or state granting a permission.
type grantor struct {
	ID   int64
	Name string
}

func scanGrantor(rows store.Rows, g *grantor) error { return rows.Scan(&g.ID, &g.Name) }

// through is one way a holder has a permission: Kind "account", "state"
// or "group", Name the state's or group's.
type through struct {
	Kind, Name string
}

type holderRow struct {
	AccountID int64
	Name      string
	Through   []through
}

type auditPage struct {
	Permission Permission
	Holders    []holderRow
	Groups     []grantor
	States     []grantor
	// LinkAccounts: the viewer may open the accounts' pages.
	LinkAccounts bool
}

func (p *adminPages) audit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	i := slices.IndexFunc(p.Catalogue.All(r.Context()), func(perm Permission) bool { return perm.Name == name })
	if i < 0 {
		p.srv.Fail(w, r, http.StatusNotFound, "access.admin.permissions.error.not_found")
		return
	}
	page := auditPage{Permission: p.Catalogue.All(r.Context())[i], LinkAccounts: web.ViewerFrom(ctx).HasRole(RoleUserAdmin)}
	holders, err := Audit(ctx, p.DB, name)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	for _, h := range holders {
		row := holderRow{AccountID: h.AccountID, Name: h.Name}
		for _, t := range h.Through {
			kind, via, _ := strings.Cut(t, ":")
			row.Through = append(row.Through, through{Kind: kind, Name: via})
		}
		page.Holders = append(page.Holders, row)
	}
	for _, g := range []struct {
		sql string
		out *[]grantor
	}{
		{`SELECT g.id, g.name FROM group_permissions p JOIN groups g ON g.id = p.group_id WHERE p.permission = $1 ORDER BY lower(g.name), g.id`, &page.Groups},
		{`SELECT s.id, s.name FROM state_permissions p JOIN states s ON s.id = p.state_id WHERE p.permission = $1 ORDER BY s.priority DESC`, &page.States},
	} {
		var err error
		if *g.out, err = store.Collect(ctx, p.DB, g.sql, scanGrantor, name); err != nil {
			p.srv.Internal(w, r, fmt.Errorf("access: %w", err))
			return
		}
	}
	p.srv.Render(w, r, p.pages, "permission.html", http.StatusOK, "access.admin.permissions.audit_title", page)
}

// roleRow is a role with the groups it requires.
type roleRow struct {
	Name     string
	Required []int64
}

type rolesPage struct {
	Roles    []roleRow
	Groups   []grantor
	Problems []string
}

// roleRequirements reads the groups every role requires.
func roleRequirements(ctx context.Context, q store.Querier) (map[string][]int64, error) {
	out := map[string][]int64{}
	err := store.Each(ctx, q, `SELECT role, group_id FROM role_requirements ORDER BY role, group_id`, func(rows store.Rows) error {
		var role string
		var g int64
		if err := rows.Scan(&role, &g); err != nil {
			return err
		}
		out[role] = append(out[role], g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return out, nil
}

func (p *adminPages) renderRoles(w http.ResponseWriter, r *http.Request, status int, required map[string][]int64, problems []string) {
	groups, err := store.Collect(r.Context(), p.DB, `SELECT id, name FROM groups ORDER BY lower(name), id`, scanGrantor)
	if err != nil {
		p.srv.Internal(w, r, fmt.Errorf("access: %w", err))
		return
	}
	page := rolesPage{Groups: groups, Problems: problems}
	for _, role := range p.Roles.Offered() {
		page.Roles = append(page.Roles, roleRow{Name: role, Required: required[role]})
	}
	p.srv.Render(w, r, p.pages, "roles.html", status, "access.admin.roles.title", page)
}

func (p *adminPages) roles(w http.ResponseWriter, r *http.Request) {
	required, err := roleRequirements(r.Context(), p.DB)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.renderRoles(w, r, http.StatusOK, required, nil)
}

// saveRoles replaces the groups every role requires (the form lists them
// all), and queues the recomputation that takes roles away from accounts
// in none of their role's groups.
func (p *adminPages) saveRoles(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	required := map[string][]int64{}
	var problems []string
	var asked []int64
	offered := p.Roles.Offered()
	for _, role := range offered {
		for _, v := range r.PostForm["role."+role] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				problems = append(problems, p.srv.T(r, "access.admin.roles.error.group", "Group", v))
				continue
			}
			if !slices.Contains(required[role], id) {
				required[role] = append(required[role], id)
				asked = append(asked, id)
			}
		}
	}
	err := p.DB.InTx(ctx, func(tx *store.Tx) error {
		// Groups deleted since the page was shown.
		known := map[int64]bool{}
		if err := store.Each(ctx, tx, `SELECT id FROM groups`, func(rows store.Rows) error {
			var id int64
			err := rows.Scan(&id)
			known[id] = true
			return err
		}); err != nil {
			return fmt.Errorf("access: %w", err)
		}
		for _, id := range asked {
			if !known[id] {
				problems = append(problems, p.srv.T(r, "access.admin.roles.error.group", "Group", strconv.FormatInt(id, 10)))
			}
		}
		if len(problems) > 0 {
			return nil
		}
		// The requirements of roles not offered (a feature not built)
		// stay as they are.
		list, args := store.In(offered)
		if _, err := tx.Exec(ctx, `DELETE FROM role_requirements WHERE role IN (`+list+`)`, args...); err != nil {
			return fmt.Errorf("access: role requirements: %w", err)
		}
		for _, role := range offered {
			for _, g := range required[role] {
				if _, err := tx.Exec(ctx, `INSERT INTO role_requirements (role, group_id) VALUES ($1, $2)`, role, g); err != nil {
					return fmt.Errorf("access: role requirements: %w", err)
				}
			}
		}
		return RecomputeAllLater(ctx, tx, p.Queue)
	})
	switch {
	case err != nil:
		p.srv.Internal(w, r, err)
	case len(problems) > 0:
		p.renderRoles(w, r, http.StatusUnprocessableEntity, required, problems)
	default:
		p.srv.AddFlash(r, "success", "access.admin.roles.saved")
		web.SeeOther(w, r, "/admin/roles")
	}
}

// Named is an EVE id with the name Keepstar knows for it, "" when it knows
// none: the administration pages of groups and states show them beside the
// ids typed into their forms.
type Named struct {
	ID   int32
	Name string
}

// ParseIDs reads EVE ids typed into an administration form: numbers
// separated by commas, spaces or new lines, in order, without repeats; bad
// lists what is not an id.
func ParseIDs(s string) (ids []int32, bad []string) {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n <= 0 {
			bad = append(bad, f)
			continue
		}
		if !slices.Contains(ids, int32(n)) {
			ids = append(ids, int32(n))
		}
	}
	return ids, bad
}

// FormatIDs writes ids one per line, as ParseIDs reads them.
func FormatIDs(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strconv.Itoa(int(id)))
		b.WriteByte('\n')
	}
	return b.String()
}

// FactionNames are the factions whose militias characters enlist in
// (ESI's faction_id of a character): Keepstar keeps no table of them.
var FactionNames = map[int32]string{
	500001: "Caldari State", 500002: "Minmatar Republic", 500003: "Amarr Empire", 500004: "Gallente Federation",
	500010: "Guristas Pirates", 500011: "Angel Cartel",
}

// NameIDs names ids of a kind ("character", "corporation", "alliance" or
// "faction") from what the database knows, in the order given.
func NameIDs(ctx context.Context, q store.Querier, kind string, ids []int32) ([]Named, error) {
	out := make([]Named, len(ids))
	for i, id := range ids {
		out[i] = Named{ID: id}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var table string
	switch kind {
	case "character":
		table = `SELECT id, name FROM characters`
	case "corporation":
		table = `SELECT id, name || ' [' || ticker || ']' FROM eve_corporations`
	case "alliance":
		table = `SELECT id, name || ' [' || ticker || ']' FROM eve_alliances`
	case "faction":
		for i := range out {
			out[i].Name = FactionNames[out[i].ID]
		}
		return out, nil
	default:
		return nil, fmt.Errorf("access: no names of %q", kind)
	}
	names := map[int32]string{}
	// A few hundred at a time: a form may list thousands.
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, table+` WHERE id IN (`+list+`)`, func(rows store.Rows) error {
			var id int32
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			names[id] = name
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("access: %w", err)
		}
	}
	for i := range out {
		out[i].Name = names[out[i].ID]
	}
	return out, nil
}
