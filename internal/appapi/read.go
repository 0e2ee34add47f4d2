package appapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/keepstar/keepstar/internal/store"
)

// groupColumns read a Group in Neucore's shape; isAutoManaged says whether
// the group is mapped to corporations or alliances or is an autogroup.
const groupColumns = `g.id, g.name, g.description, g.hidden, g.internal, g.open, g.is_default,
	(g.autogroup_config IS NOT NULL OR EXISTS (SELECT 1 FROM group_mappings gm WHERE gm.group_id = g.id))`

func scanGroup(rows store.Rows) (Group, error) {
	var g Group
	var description string
	var hidden, internal, auto bool
	if err := rows.Scan(&g.ID, &g.Name, &description, &hidden, &internal, &g.AutoAccept, &g.IsDefault, &auto); err != nil {
		return g, err
	}
	g.Visibility = Visibility(hidden, internal)
	if description != "" {
		g.Description = &description
	}
	g.IsAutoManaged = &auto
	return g, nil
}

// groups reads groups by id, by name.
func (api *API) groups(ctx context.Context, ids []int64) ([]Group, error) {
	out := []Group{}
	if len(ids) == 0 {
		return out, nil
	}
	inIDs, args := api.oneOf("g.id", 1, ids)
	rows, err := api.db.Query(ctx, `SELECT `+groupColumns+` FROM groups g WHERE `+inIDs+` ORDER BY lower(g.name)`, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: groups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("apps: groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// eveLogins reads EVE logins by name.
func (api *API) eveLogins(ctx context.Context, names []string) ([]EveLogin, error) {
	out := []EveLogin{}
	if len(names) == 0 {
		return out, nil
	}
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	rows, err := api.db.Query(ctx, `SELECT id, name, description, scopes, eve_roles FROM eve_logins WHERE name IN (`+
		store.Placeholders(1, len(names))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: EVE logins: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l EveLogin
		var roles string
		if err := rows.Scan(&l.ID, &l.Name, &l.Description, &l.ESIScopes, &roles); err != nil {
			return nil, fmt.Errorf("apps: EVE logins: %w", err)
		}
		l.EveRoles = strings.Fields(roles)
		if l.EveRoles == nil {
			l.EveRoles = []string{}
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
