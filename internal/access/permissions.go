package access

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/store"
)

// Permission is a named right a feature declares (feature.Permission).
type Permission = feature.Permission

// The permissions of access itself and of groups.
var (
	PermissionRequestGroups = Permission{Name: RequestPermission, Label: "access.permission.groups.request"}
	PermissionManageGroups  = Permission{Name: "groups.manage_all", Label: "access.permission.groups.manage_all"}
	PermissionAudit         = Permission{Name: "access.audit", Label: "access.permission.audit"}
)

// Permissions are the permissions this package declares.
var Permissions = []Permission{PermissionRequestGroups, PermissionManageGroups, PermissionAudit}

// Catalogue lists every feature's permissions, collected by the
// composition root.
type Catalogue struct {
	list     []Permission
	families []Family
}

// Family is a set of permissions made at run time, one per object an
// administrator creates: services.<instance>.access for each service
// instance. Its names are Prefix + a name without dots + Suffix.
type Family struct {
	Prefix, Suffix string
	// List gives the family's permissions now, for the pages that offer
	// them; it logs its own errors and then gives what it can.
	List func(ctx context.Context) []Permission
}

// AddFamily declares a family of permissions, before the process serves
// or works.
func (c *Catalogue) AddFamily(f Family) { c.families = append(c.families, f) }

// member reports whether name is of family f.
func (f Family) member(name string) bool {
	middle, ok := strings.CutPrefix(name, f.Prefix)
	if !ok {
		return false
	}
	middle, ok = strings.CutSuffix(middle, f.Suffix)
	return ok && middle != "" && !strings.Contains(middle, ".")
}

// NewCatalogue collects permissions; a name given twice is a programming
// error.
func NewCatalogue(groups ...[]Permission) *Catalogue {
	c := &Catalogue{}
	for _, g := range groups {
		c.Add(g...)
	}
	return c
}

// Add declares more permissions. The composition root adds every
// feature's before the process serves or works; a name given twice is a
// programming error.
func (c *Catalogue) Add(ps ...Permission) {
	for _, p := range ps {
		if c.Has(p.Name) {
			panic("access: permission " + p.Name + " declared twice")
		}
		c.list = append(c.list, p)
	}
	slices.SortFunc(c.list, func(a, b Permission) int { return cmp.Compare(a.Name, b.Name) })
}

// All lists the permissions by name, those of the families as they are
// now included.
func (c *Catalogue) All(ctx context.Context) []Permission {
	out := slices.Clone(c.list)
	for _, f := range c.families {
		out = append(out, f.List(ctx)...)
	}
	slices.SortFunc(out, func(a, b Permission) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// Has reports whether a permission is declared, or is a name of a
// family's. A family's name whose object does not exist (yet, or any
// more) is accepted: granting it gives nothing until it does, and
// deleting the object takes its grants away.
func (c *Catalogue) Has(name string) bool {
	return slices.ContainsFunc(c.list, func(p Permission) bool { return p.Name == name }) ||
		slices.ContainsFunc(c.families, func(f Family) bool { return f.member(name) })
}

// Check refuses names that are not declared.
func (c *Catalogue) Check(names []string) error {
	for _, n := range names {
		if !c.Has(n) {
			return fmt.Errorf("%w: %q", ErrUnknownPermission, n)
		}
	}
	return nil
}

// ErrUnknownPermission is wrapped when a permission is not declared.
var ErrUnknownPermission = fmt.Errorf("access: unknown permission")

// PermissionsOf gives an account's effective permissions: its own, its
// state's and its groups', in one query.
func PermissionsOf(ctx context.Context, q store.Querier, accountID int64) ([]string, error) {
	out, err := store.Column[string](ctx, q, `SELECT permission FROM account_permissions WHERE account_id = $1
		UNION SELECT sp.permission FROM state_permissions sp JOIN accounts a ON a.state_id = sp.state_id WHERE a.id = $1
		UNION SELECT gp.permission FROM group_permissions gp JOIN group_members m ON m.group_id = gp.group_id WHERE m.account_id = $1
		ORDER BY 1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return out, nil
}

// SetAccountPermissions gives an account exactly these permissions of its
// own.
func SetAccountPermissions(ctx context.Context, q store.Querier, accountID int64, perms []string, now time.Time) error {
	if _, err := q.Exec(ctx, `DELETE FROM account_permissions WHERE account_id = $1`, accountID); err != nil {
		return fmt.Errorf("access: permissions of account %d: %w", accountID, err)
	}
	for _, p := range perms {
		if _, err := q.Exec(ctx, `INSERT INTO account_permissions (account_id, permission, granted_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id, permission) DO NOTHING`, accountID, p, now); err != nil {
			return fmt.Errorf("access: permissions of account %d: %w", accountID, err)
		}
	}
	return nil
}

// Holder is who holds a permission and through what, for the permissions
// audit.
type Holder struct {
	AccountID int64
	Name      string // the account's main character
	// Through: "account", "state:<name>" or "group:<name>".
	Through []string
}

// Audit lists who holds a permission, and through what (Alliance Auth's
// permissions audit): directly, through their state, through a group.
func Audit(ctx context.Context, q store.Querier, permission string) ([]Holder, error) {
	byAccount := map[int64]*Holder{}
	var order []int64
	add := func(id int64, name, through string) {
		h := byAccount[id]
		if h == nil {
			h = &Holder{AccountID: id, Name: name}
			byAccount[id] = h
			order = append(order, id)
		}
		h.Through = append(h.Through, through)
	}
	err := store.Each(ctx, q, `SELECT a.id, a.name, 'account' FROM account_permissions p JOIN accounts a ON a.id = p.account_id WHERE p.permission = $1
		UNION ALL SELECT a.id, a.name, 'state:' || s.name FROM state_permissions p JOIN states s ON s.id = p.state_id
			JOIN accounts a ON a.state_id = s.id WHERE p.permission = $1
		UNION ALL SELECT a.id, a.name, 'group:' || g.name FROM group_permissions p JOIN groups g ON g.id = p.group_id
			JOIN group_members m ON m.group_id = g.id JOIN accounts a ON a.id = m.account_id WHERE p.permission = $1`,
		func(rows store.Rows) error {
			var id int64
			var name, through string
			if err := rows.Scan(&id, &name, &through); err != nil {
				return err
			}
			add(id, name, through)
			return nil
		}, permission)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	out := make([]Holder, 0, len(order))
	for _, id := range order {
		out = append(out, *byAccount[id])
	}
	slices.SortFunc(out, func(a, b Holder) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Count is one line of the permissions overview: how many accounts hold a
// permission directly, how many groups and states grant it, and how many
// accounts hold it at all.
type Count struct {
	Permission     string
	Accounts       int // given directly
	Groups         int
	GroupAccounts  int // members of those groups
	States         int
	StateAccounts  int // accounts in those states
	DistinctHolder int
}

// Overview counts, for every permission granted anywhere, its holders
// (Alliance Auth's permissions overview), in a few queries.
func Overview(ctx context.Context, q store.Querier) (map[string]*Count, error) {
	out := map[string]*Count{}
	get := func(p string) *Count {
		if out[p] == nil {
			out[p] = &Count{Permission: p}
		}
		return out[p]
	}
	queries := []struct {
		sql string
		set func(c *Count, n int)
	}{
		{`SELECT permission, count(*) FROM account_permissions GROUP BY permission`, func(c *Count, n int) { c.Accounts = n }},
		{`SELECT permission, count(*) FROM group_permissions GROUP BY permission`, func(c *Count, n int) { c.Groups = n }},
		{`SELECT p.permission, count(DISTINCT m.account_id) FROM group_permissions p JOIN group_members m ON m.group_id = p.group_id GROUP BY p.permission`,
			func(c *Count, n int) { c.GroupAccounts = n }},
		{`SELECT permission, count(*) FROM state_permissions GROUP BY permission`, func(c *Count, n int) { c.States = n }},
		{`SELECT p.permission, count(a.id) FROM state_permissions p JOIN accounts a ON a.state_id = p.state_id GROUP BY p.permission`,
			func(c *Count, n int) { c.StateAccounts = n }},
		{`SELECT permission, count(DISTINCT account_id) FROM (
			SELECT permission, account_id FROM account_permissions
			UNION SELECT p.permission, m.account_id FROM group_permissions p JOIN group_members m ON m.group_id = p.group_id
			UNION SELECT p.permission, a.id FROM state_permissions p JOIN accounts a ON a.state_id = p.state_id) h GROUP BY permission`,
			func(c *Count, n int) { c.DistinctHolder = n }},
	}
	for _, qq := range queries {
		err := store.Each(ctx, q, qq.sql, func(rows store.Rows) error {
			var p string
			var n int
			if err := rows.Scan(&p, &n); err != nil {
				return err
			}
			qq.set(get(p), n)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("access: %w", err)
		}
	}
	return out, nil
}

// RightsOf gives an account's roles and its effective permissions, in one
// query: every page asks. The roles include group-manager when the account
// manages a group, itself or through a group it is in: the role follows the
// relation (Followed), and is the one way a page asks "does this account
// manage something", as app-manager is for apps. fromData are the
// features' queries of roles held through their data (RoleSet.FromData:
// tracking for a member of a corporation's tracking group, watchlist for
// a member of a list's view group...), each a query of one column of role
// names for the account $1.
func RightsOf(ctx context.Context, q store.Querier, accountID int64, fromData ...string) (roles, permissions []string, err error) {
	var derived strings.Builder
	for _, query := range fromData {
		derived.WriteString("\n\t\tUNION SELECT 'x', d.* FROM (" + query + ") AS d")
	}
	err = store.Each(ctx, q, `SELECT 'r', role FROM account_roles WHERE account_id = $1
		UNION SELECT 'p', permission FROM account_permissions WHERE account_id = $1
		UNION SELECT 'p', sp.permission FROM state_permissions sp JOIN accounts a ON a.state_id = sp.state_id WHERE a.id = $1
		UNION SELECT 'p', gp.permission FROM group_permissions gp JOIN group_members m ON m.group_id = gp.group_id WHERE m.account_id = $1
		UNION SELECT 'm', '' WHERE EXISTS (SELECT 1 FROM group_managers WHERE account_id = $1)
			OR EXISTS (SELECT 1 FROM group_manager_groups mg JOIN group_members m ON m.group_id = mg.manager_group_id WHERE m.account_id = $1)`+
		derived.String()+`
		ORDER BY 1, 2`, func(rows store.Rows) error {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			return err
		}
		switch kind {
		case "r":
			roles = append(roles, name)
		case "p":
			permissions = append(permissions, name)
		case "x": // a role from a feature's data (after 'r': sorted into those held)
			if !slices.Contains(roles, name) {
				roles = append(roles, name)
				slices.Sort(roles)
			}
		default:
			if !slices.Contains(roles, RoleGroupManager) {
				roles = append(roles, RoleGroupManager)
				slices.Sort(roles)
			}
		}
		return nil
	}, accountID)
	if err != nil {
		return nil, nil, fmt.Errorf("access: %w", err)
	}
	return roles, permissions, nil
}

// NamedGroup is a group as a member's pages list it.
type NamedGroup struct {
	ID   int64
	Name string
}

// GroupsOf lists an account's groups by name, with its group deactivation
// (Neucore's "no", "soon" or "yes"), in one query.
func GroupsOf(ctx context.Context, q store.Querier, accountID int64) ([]NamedGroup, Deactivated, error) {
	var out []NamedGroup
	deactivated := NotDeactivated
	err := store.Each(ctx, q, `SELECT a.groups_deactivated, COALESCE(g.id, 0), COALESCE(g.name, '') FROM accounts a
		LEFT JOIN group_members m ON m.account_id = a.id LEFT JOIN groups g ON g.id = m.group_id
		WHERE a.id = $1 ORDER BY lower(g.name)`, func(rows store.Rows) error {
		var g NamedGroup
		var d string
		if err := rows.Scan(&d, &g.ID, &g.Name); err != nil {
			return err
		}
		deactivated = Deactivated(d)
		if g.ID != 0 {
			out = append(out, g)
		}
		return nil
	}, accountID)
	if err != nil {
		return nil, "", fmt.Errorf("access: %w", err)
	}
	return out, deactivated, nil
}
