package smf

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"database/sql"
	"errors"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// group is a membergroups row.
type group struct {
	id       int
	name     string
	minPosts int
}

// managed says whether Keepstar may give or take the group: not the
// administrators', not the moderators', not a post count group.
func (g group) managed() bool {
	return g.id != groupAdmin && g.id != groupModerator && g.minPosts == -1
}

// groupSet is the groups read for one change.
type groupSet struct {
	byID   map[int]group
	byName map[string]group
}

// groups reads the groups of ids and those named, in one statement.
func (c *connector) groups(ctx context.Context, tx *forumdb.Tx, ids []int, names []string) (groupSet, error) {
	s := groupSet{byID: map[int]group{}, byName: map[string]group{}}
	var where []string
	var args []any
	if len(ids) > 0 {
		where = append(where, "id_group IN ("+forumdb.Placeholders(len(ids))+")")
		args = append(args, forumdb.Args(ids)...)
	}
	if len(names) > 0 {
		where = append(where, "group_name IN ("+forumdb.Placeholders(len(names))+")")
		for _, n := range names {
			args = append(args, escape(n))
		}
	}
	if len(where) == 0 {
		return s, nil
	}
	rows, err := tx.Query(ctx, `SELECT id_group, group_name, min_posts FROM `+c.t("membergroups")+` WHERE `+strings.Join(where, " OR ")+
		` ORDER BY id_group`, args...)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.id, &g.name, &g.minPosts); err != nil {
			return s, err
		}
		g.name = unescape(g.name)
		s.byID[g.id] = g
		if _, ok := s.byName[g.name]; !ok && g.managed() {
			s.byName[g.name] = g
		}
	}
	return s, rows.Err()
}

// reconcile makes the member's additional groups, display name and avatar
// those wanted, inside tx: the member row locked and read, the groups of
// its list and the wanted ones read in one statement, then one UPDATE of
// the row when anything differs. Only managed groups are added or taken
// out; ids of other groups (and of groups deleted since) stay in the list
// as they are.
func (c *connector) reconcile(ctx context.Context, tx *forumdb.Tx, id int64, want services.Want) ([]string, error) {
	var realName, extra, avatar string
	err := tx.QueryRow(ctx, `SELECT real_name, additional_groups, avatar FROM `+c.t("members")+` WHERE id_member = ? FOR UPDATE`, id).
		Scan(&realName, &extra, &avatar)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, services.ErrGone
	}
	if err != nil {
		return nil, err
	}
	ids := parseIDs(extra)
	gs, err := c.groups(ctx, tx, ids, want.Groups)
	if err != nil {
		return nil, err
	}
	var missing []string
	next := slices.DeleteFunc(slices.Clone(ids), func(gid int) bool {
		g, ok := gs.byID[gid]
		return ok && g.managed() && !slices.Contains(want.Groups, g.name) && (want.Keep == nil || !want.Keep(g.name))
	})
	for _, name := range want.Groups {
		g, ok := gs.byName[name]
		if !ok {
			if !c.set.CreateGroups {
				missing = append(missing, name)
				continue
			}
			gid, err := tx.Insert(ctx, `INSERT INTO `+c.t("membergroups")+` (group_name, description, min_posts) VALUES (?, '', -1)`, escape(name))
			if err != nil {
				return nil, fmt.Errorf("smf: make group %q: %w", name, err)
			}
			c.logger.InfoContext(ctx, "smf: group made", "group", name, "id", gid)
			g = group{id: int(gid), name: name, minPosts: -1}
		}
		if !slices.Contains(next, g.id) {
			next = append(next, g.id)
		}
	}
	var sets []string
	var args []any
	if csv := formatIDs(next); csv != extra {
		sets, args = append(sets, "additional_groups = ?"), append(args, csv)
	}
	if name := escape(Sanitize(want.Name)); name != "" && name != realName {
		sets, args = append(sets, "real_name = ?"), append(args, name)
	}
	if url := c.avatarURL(want); url != "" && url != avatar {
		sets, args = append(sets, "avatar = ?"), append(args, url)
	}
	if len(sets) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE `+c.t("members")+` SET `+strings.Join(sets, ", ")+` WHERE id_member = ?`, append(args, id)...); err != nil {
			return nil, err
		}
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

// parseIDs reads an additional_groups list ("4,9,12"); what is not a
// number is dropped.
func parseIDs(csv string) []int {
	var out []int
	for _, f := range strings.Split(csv, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func formatIDs(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}
