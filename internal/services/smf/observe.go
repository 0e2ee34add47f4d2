package smf

import (
	"context"
	"errors"
	"slices"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// Observe reads a page of members back: display name and the managed
// groups of their additional_groups (two statements: the members, the
// forum's groups); a member deleted on the forum is Gone.
func (c *connector) Observe(ctx context.Context, accts []services.Account) ([]services.Observation, error) {
	out := make([]services.Observation, len(accts))
	var ids []any
	index := map[int64][]int{}
	for i, a := range accts {
		out[i] = services.Observation{Gone: true, State: a.State}
		id, err := memberID(a)
		if err != nil {
			continue
		}
		if _, ok := index[id]; !ok {
			ids = append(ids, id)
		}
		index[id] = append(index[id], i)
	}
	if len(ids) == 0 {
		return out, nil
	}
	all, err := c.allGroups(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.Query(ctx, `SELECT id_member, real_name, additional_groups FROM `+c.t("members")+
		` WHERE id_member IN (`+forumdb.Placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, extra string
		if err := rows.Scan(&id, &name, &extra); err != nil {
			return nil, forumdb.Classify(err)
		}
		groups := []string{}
		for _, gid := range parseIDs(extra) {
			if g, ok := all[gid]; ok && g.managed() && !slices.Contains(groups, g.name) {
				groups = append(groups, g.name)
			}
		}
		slices.Sort(groups)
		for _, i := range index[id] {
			o := services.Observation{Name: unescape(name), Groups: groups, State: accts[i].State}
			if o.Name == Sanitize(accts[i].Name) {
				// The applied name, as SMF holds it (cut to its limit).
				o.Name = accts[i].Name
			}
			out[i] = o
		}
	}
	return out, forumdb.Classify(rows.Err())
}

// allGroups reads every group of the forum (a short table).
func (c *connector) allGroups(ctx context.Context) (map[int]group, error) {
	rows, err := c.db.Query(ctx, `SELECT id_group, group_name, min_posts FROM `+c.t("membergroups"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]group{}
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.id, &g.name, &g.minPosts); err != nil {
			return nil, forumdb.Classify(err)
		}
		g.name = unescape(g.name)
		out[g.id] = g
	}
	return out, forumdb.Classify(rows.Err())
}

// Groups lists the forum's groups a mapping may name: not the
// administrators', not the moderators', not post count groups.
func (c *connector) Groups(ctx context.Context) ([]string, error) {
	all, err := c.allGroups(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range all {
		if g.managed() && !slices.Contains(out, g.name) {
			out = append(out, g.name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// tables are the forum's tables Keepstar reads or writes.
var tables = []string{"members", "membergroups", "log_online"}

// Check tells admins what stops the instance: the database unreachable
// or refusing Keepstar's user, the forum's tables missing under the
// prefix, the default group missing, mapped groups missing while the
// instance may not make them.
func (c *connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	if err := c.db.Ping(ctx); err != nil {
		if errors.Is(err, forumdb.ErrDenied) {
			return []services.Problem{{Message: "services.smf.problem.denied"}}, nil
		}
		return []services.Problem{{Message: "services.smf.problem.unreachable",
			Args: map[string]any{"Address": c.set.Address, "Error": err.Error()}}}, nil
	}
	var problems []services.Problem
	for _, t := range tables {
		rows, err := c.db.Query(ctx, "SELECT 1 FROM "+c.t(t)+" LIMIT 0")
		if err == nil {
			rows.Close()
			continue
		}
		if errors.Is(err, forumdb.ErrNoTable) {
			problems = append(problems, services.Problem{Message: "services.smf.problem.table",
				Args: map[string]any{"Table": c.t(t), "Prefix": c.set.Prefix}})
			continue
		}
		if errors.Is(err, forumdb.ErrDenied) {
			return append(problems, services.Problem{Message: "services.smf.problem.denied"}), nil
		}
		return nil, err
	}
	if len(problems) > 0 {
		return problems, nil
	}
	have, err := c.Groups(ctx)
	if err != nil {
		return nil, err
	}
	if c.set.DefaultGroup != "" && !slices.Contains(have, c.set.DefaultGroup) {
		problems = append(problems, services.Problem{Message: "services.smf.problem.default_group",
			Args: map[string]any{"Group": c.set.DefaultGroup}})
	}
	if !c.set.CreateGroups {
		for _, g := range managed {
			if !slices.Contains(have, g) {
				problems = append(problems, services.Problem{Message: "services.smf.problem.group_missing",
					Args: map[string]any{"Group": g}})
			}
		}
	}
	return problems, nil
}
