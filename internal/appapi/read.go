package appapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/keepstar/keepstar/internal/eve/logins"
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
	err := store.Each(ctx, api.db, `SELECT `+groupColumns+` FROM groups g WHERE `+inIDs+` ORDER BY lower(g.name)`, func(rows store.Rows) error {
		g, err := scanGroup(rows)
		out = append(out, g)
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: groups: %w", err)
	}
	return out, nil
}

// eveLogins reads EVE logins by name.
func (api *API) eveLogins(ctx context.Context, names []string) ([]EveLogin, error) {
	out := []EveLogin{}
	if len(names) == 0 {
		return out, nil
	}
	list, args := store.In(names)
	err := store.Each(ctx, api.db, `SELECT id, name, description, scopes, eve_roles FROM eve_logins WHERE name IN (`+list+`) ORDER BY id`,
		func(rows store.Rows) error {
			var l EveLogin
			var roles string
			if err := rows.Scan(&l.ID, &l.Name, &l.Description, &l.ESIScopes, &roles); err != nil {
				return err
			}
			l.Description = logins.APIDescription(l.Name, l.Description)
			l.EveRoles = strings.Fields(roles)
			if l.EveRoles == nil {
				l.EveRoles = []string{}
			}
			out = append(out, l)
			return nil
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: EVE logins: %w", err)
	}
	return out, nil
}
