package phpbb3

import (
	"context"
	"database/sql"
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

// userState is what one read gives of a user: its primary group, avatar,
// its groups and the wanted ones.
type userState struct {
	primary int64
	avatar  string
	groups  []membership
}

// read reads the user and its groups and the wanted ones in one
// statement; no user is services.ErrGone.
func (c *connector) read(ctx context.Context, q forumdb.Querier, id int64, wanted []string) (userState, error) {
	var st userState
	rows, err := q.Query(ctx, c.q.state(len(wanted)), append(forumdb.Args(wanted), id)...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		found = true
		var gid, typ sql.NullInt64
		var name sql.NullString
		var pending sql.NullBool
		if err := rows.Scan(&st.primary, &st.avatar, &gid, &name, &typ, &pending); err != nil {
			return st, err
		}
		if gid.Valid {
			st.groups = append(st.groups, membership{id: gid.Int64, name: name.String, typ: int(typ.Int64), member: pending.Valid,
				pending: pending.Valid && pending.Bool})
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if !found {
		return st, services.ErrGone
	}
	return st, nil
}

// statement is one write a change needs.
type statement struct {
	query string
	args  []any
}

// reconcile makes the user's groups (and avatar) those wanted. One read
// gives the user's state; then only what differs is written: one INSERT
// for the groups to join, one UPDATE for pending memberships to approve,
// one DELETE for the groups to leave, one UPDATE of the user (its cached
// permissions cleared, so phpBB computes them again on the next page; its
// avatar) when anything changed. A single write goes alone (atomic by
// itself); several go in one transaction. Inside Create's transaction (tx
// not nil) everything goes there. phpBB's own groups (GROUP_SPECIAL:
// REGISTERED, ADMINISTRATORS…) and those the Want keeps are never
// touched. Groups the forum lacks are made when the instance says so;
// otherwise they are returned and the rest applied.
func (c *connector) reconcile(ctx context.Context, tx *forumdb.Tx, id int64, want services.Want) ([]string, error) {
	var q forumdb.Querier = c.db
	if tx != nil {
		q = tx
	}
	st, err := c.read(ctx, q, id, want.Groups)
	if err != nil {
		return nil, err
	}
	byName := map[string]int64{}
	member := map[int64]membership{}
	for _, m := range st.groups {
		if _, ok := byName[m.name]; !ok && m.typ != groupSpecial {
			byName[m.name] = m.id
		}
		if m.member {
			member[m.id] = m
		}
	}
	var missing []string
	var addIDs, approveIDs []any
	wanted := map[int64]bool{}
	for _, name := range want.Groups {
		gid, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		wanted[gid] = true
		if m, ok := member[gid]; !ok {
			addIDs = append(addIDs, gid)
		} else if m.pending {
			approveIDs = append(approveIDs, gid)
		}
	}
	create := c.set.CreateGroups && len(missing) > 0
	var removeIDs []any
	primaryRemoved := false
	for _, m := range st.groups {
		if !m.member || m.typ == groupSpecial || wanted[m.id] || slices.Contains(removeIDs, any(m.id)) ||
			(want.Keep != nil && want.Keep(m.name)) {
			continue
		}
		removeIDs = append(removeIDs, m.id)
		primaryRemoved = primaryRemoved || m.id == st.primary
	}

	var writes []statement
	if len(addIDs) > 0 {
		writes = append(writes, statement{c.q.addMemberships(len(addIDs)), append(append([]any{id}, addIDs...), id)})
	}
	if len(approveIDs) > 0 {
		writes = append(writes, statement{c.q.approveMemberships(len(approveIDs)), append([]any{id}, approveIDs...)})
	}
	if len(removeIDs) > 0 {
		writes = append(writes, statement{c.q.removeMemberships(len(removeIDs)), append([]any{id}, removeIDs...)})
	}
	var sets []string
	var args []any
	if len(writes) > 0 || create {
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
	if url := c.avatarURL(want); url != "" && url != st.avatar {
		sets = append(sets, "user_avatar = ?", "user_avatar_type = ?", "user_avatar_width = ?", "user_avatar_height = ?")
		args = append(args, url, remoteAvatar, avatarSize, avatarSize)
	}
	if len(sets) > 0 {
		writes = append(writes, statement{fmt.Sprintf("UPDATE %s SET %s WHERE user_id = ?", c.q.table("users"), strings.Join(sets, ", ")),
			append(args, id)})
	}

	run := func(q forumdb.Querier, tx *forumdb.Tx) error {
		if create {
			var made []any
			for _, name := range missing {
				gid, err := tx.Insert(ctx, c.q.insertGroup, groupClosed, name)
				if err != nil {
					return fmt.Errorf("phpbb3: make group %q: %w", name, err)
				}
				c.logger.InfoContext(ctx, "phpbb3: group made", "group", name, "id", gid)
				made = append(made, gid)
			}
			if _, err := tx.Exec(ctx, c.q.addMemberships(len(made)), append(append([]any{id}, made...), id)...); err != nil {
				return err
			}
		}
		for _, w := range writes {
			if _, err := q.Exec(ctx, w.query, w.args...); err != nil {
				return err
			}
		}
		return nil
	}
	switch {
	case tx != nil:
		err = run(tx, tx)
	case len(writes) == 0 && !create:
	case len(writes) == 1 && !create:
		err = run(c.db, nil)
	default:
		err = c.db.InTx(ctx, func(tx *forumdb.Tx) error { return run(tx, tx) })
	}
	if err != nil {
		return nil, err
	}
	if create {
		missing = nil
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
