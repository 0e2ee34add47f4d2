package phpbb3

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// membership is one group row read for a user.
type membership struct {
	id      int64
	name    string
	typ     int
	member  bool
	pending bool
}

// reconcile makes the user's groups those wanted, inside tx: the user row
// locked and read, its groups and the wanted ones read in one statement,
// then only what differs written: one INSERT for the groups to join, one
// UPDATE for pending ones, one DELETE for those to leave, and one UPDATE
// of the user (its cached permissions cleared, so phpBB computes them
// again on the next page; its avatar) when anything changed. phpBB's own
// groups (GROUP_SPECIAL: REGISTERED, ADMINISTRATORS…) and those the Want
// keeps are never touched. Groups the forum lacks are made when the
// instance says so; otherwise they are returned and the rest applied.
func (c *connector) reconcile(ctx context.Context, tx *forumdb.Tx, id int64, want services.Want) ([]string, error) {
	var primary int64
	var avatar string
	var primaryType int
	err := tx.QueryRow(ctx, c.q.lockUserForApply, id).Scan(&primary, &avatar, &primaryType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, services.ErrGone
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, c.q.memberships(len(want.Groups)), append([]any{id}, forumdb.Args(want.Groups)...)...)
	if err != nil {
		return nil, err
	}
	var ms []membership
	for rows.Next() {
		var m membership
		var pending sql.NullBool
		if err := rows.Scan(&m.id, &m.name, &m.typ, &pending); err != nil {
			rows.Close()
			return nil, err
		}
		m.member, m.pending = pending.Valid, pending.Valid && pending.Bool
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	byName := map[string]int64{}
	member := map[int64]membership{}
	for _, m := range ms {
		if _, ok := byName[m.name]; !ok && m.typ != groupSpecial {
			byName[m.name] = m.id
		}
		if m.member {
			member[m.id] = m
		}
	}
	var add, activate, missing []string
	wanted := map[int64]bool{}
	var addIDs, activateIDs []any
	for _, name := range want.Groups {
		gid, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		wanted[gid] = true
		if m, ok := member[gid]; !ok {
			add = append(add, name)
			addIDs = append(addIDs, gid)
		} else if m.pending {
			activate = append(activate, name)
			activateIDs = append(activateIDs, gid)
		}
	}
	if len(missing) > 0 && c.set.CreateGroups {
		for _, name := range missing {
			gid, err := tx.Insert(ctx, c.q.insertGroup, groupClosed, name)
			if err != nil {
				return nil, fmt.Errorf("phpbb3: make group %q: %w", name, err)
			}
			c.logger.InfoContext(ctx, "phpbb3: group made", "group", name, "id", gid)
			wanted[gid] = true
			add = append(add, name)
			addIDs = append(addIDs, gid)
		}
		missing = nil
	}
	var removeIDs []any
	primaryRemoved := false
	for gid, m := range member {
		if m.typ == groupSpecial || wanted[gid] || (want.Keep != nil && want.Keep(m.name)) {
			continue
		}
		removeIDs = append(removeIDs, gid)
		primaryRemoved = primaryRemoved || gid == primary
	}
	changed := false
	if len(addIDs) > 0 {
		args := make([]any, 0, 2*len(addIDs))
		for _, gid := range addIDs {
			args = append(args, gid, id)
		}
		if _, err := tx.Exec(ctx, c.q.addMemberships(len(addIDs)), args...); err != nil {
			return nil, err
		}
		changed = true
	}
	if len(activateIDs) > 0 {
		q := fmt.Sprintf(c.q.activateMembership, forumdb.Placeholders(len(activateIDs)))
		if _, err := tx.Exec(ctx, q, append([]any{id}, activateIDs...)...); err != nil {
			return nil, err
		}
		changed = true
	}
	if len(removeIDs) > 0 {
		slices.SortFunc(removeIDs, func(a, b any) int { return int(a.(int64) - b.(int64)) })
		if _, err := tx.Exec(ctx, c.q.removeMemberships(len(removeIDs)), append([]any{id}, removeIDs...)...); err != nil {
			return nil, err
		}
		changed = true
	}

	var sets []string
	var args []any
	if changed {
		// phpBB's acl_clear_prefetch: the cached permissions go, and are
		// computed again from the groups on the user's next page.
		sets = append(sets, "user_permissions = ''", "user_perm_from = 0")
	}
	if primaryRemoved {
		// The primary group is gone from the user's groups: the default
		// group becomes it again, as phpBB's group_user_del does.
		sets = append(sets, fmt.Sprintf("group_id = (SELECT group_id FROM %s WHERE group_name = ? ORDER BY group_id LIMIT 1)",
			c.q.table("groups")))
		args = append(args, c.set.DefaultGroup)
	}
	if url := c.avatarURL(want); url != "" && url != avatar {
		sets = append(sets, "user_avatar = ?", "user_avatar_type = ?", "user_avatar_width = ?", "user_avatar_height = ?")
		args = append(args, url, remoteAvatar, avatarSize, avatarSize)
	}
	if len(sets) > 0 {
		q := fmt.Sprintf("UPDATE %s SET %s WHERE user_id = ?", c.q.table("users"), strings.Join(sets, ", "))
		if _, err := tx.Exec(ctx, q, append(args, id)...); err != nil {
			return nil, err
		}
	}
	if len(add)+len(activate)+len(removeIDs) > 0 {
		c.logger.DebugContext(ctx, "phpbb3: groups changed", "user", id, "joined", add, "approved", activate, "left", len(removeIDs))
	}
	return missing, nil
}

// avatarURL is the EVE portrait of the member's main, when the instance
// sets avatars.
func (c *connector) avatarURL(want services.Want) string {
	if !c.set.Avatar || want.Identity.CharacterID == 0 {
		return ""
	}
	return fmt.Sprintf("https://images.evetech.net/characters/%d/portrait?size=%d", want.Identity.CharacterID, avatarSize)
}

// missingError is the error of groups the forum lacks.
func missingError(missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (make it in phpBB's ACP, let the instance make missing groups, or map the Keepstar group to another name)",
		errGroupMissing, strings.Join(missing, ", "))
}
