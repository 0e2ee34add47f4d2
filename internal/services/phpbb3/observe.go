package phpbb3

import (
	"context"
	"errors"
	"slices"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/forumdb"
)

// Observe reads the users of a page of accounts back in one statement:
// their groups (not phpBB's own, not pending) for verification; a user
// deleted on the forum is Gone. The name is the one made at creation.
func (c *connector) Observe(ctx context.Context, accts []services.Account) ([]services.Observation, error) {
	out := make([]services.Observation, len(accts))
	ids := make([]any, 0, len(accts))
	index := map[int64][]int{}
	for i, a := range accts {
		out[i] = services.Observation{Gone: true, State: a.State}
		id, err := userID(a)
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
	rows, err := c.db.Query(ctx, c.q.observe(len(ids)), ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var userType, groupType int
		var group string
		if err := rows.Scan(&id, &userType, &group, &groupType); err != nil {
			return nil, forumdb.Classify(err)
		}
		for _, i := range index[id] {
			o := &out[i]
			if o.Gone {
				o.Gone, o.Name, o.Groups = false, accts[i].Name, []string{}
			}
			if group != "" && groupType != groupSpecial && !slices.Contains(o.Groups, group) {
				o.Groups = append(o.Groups, group)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, forumdb.Classify(err)
	}
	for i := range out {
		slices.Sort(out[i].Groups)
	}
	return out, nil
}

// Groups lists the forum's groups a mapping may name: all but phpBB's own.
func (c *connector) Groups(ctx context.Context) ([]string, error) {
	rows, err := c.db.Query(ctx, c.q.listGroups)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, forumdb.Classify(err)
		}
		out = append(out, name)
	}
	return out, forumdb.Classify(rows.Err())
}

// tables are the forum's tables Keepstar reads or writes.
var tables = []string{"users", "groups", "user_group", "sessions", "sessions_keys", "config"}

// Check tells admins what stops the instance: the database unreachable
// or refusing Keepstar's user, the forum's tables missing under the
// prefix, the default group missing, mapped groups missing while the
// instance may not make them.
func (c *connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	if err := c.db.Ping(ctx); err != nil {
		if errors.Is(err, forumdb.ErrDenied) {
			return []services.Problem{{Message: "services.phpbb3.problem.denied"}}, nil
		}
		return []services.Problem{{Message: "services.phpbb3.problem.unreachable",
			Args: map[string]any{"Address": c.set.Address, "Error": err.Error()}}}, nil
	}
	var problems []services.Problem
	for _, t := range tables {
		rows, err := c.db.Query(ctx, "SELECT 1 FROM "+c.q.table(t)+" LIMIT 0")
		if err == nil {
			rows.Close()
			continue
		}
		if errors.Is(err, forumdb.ErrNoTable) {
			problems = append(problems, services.Problem{Message: "services.phpbb3.problem.table",
				Args: map[string]any{"Table": c.q.table(t), "Prefix": c.set.Prefix}})
			continue
		}
		if errors.Is(err, forumdb.ErrDenied) {
			return append(problems, services.Problem{Message: "services.phpbb3.problem.denied"}), nil
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
	var def int
	rows, err := c.db.Query(ctx, c.q.groupByName, c.set.DefaultGroup)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		def++
	}
	rows.Close()
	if def == 0 {
		problems = append(problems, services.Problem{Message: "services.phpbb3.problem.default_group",
			Args: map[string]any{"Group": c.set.DefaultGroup}})
	}
	if !c.set.CreateGroups {
		for _, g := range managed {
			if !slices.Contains(have, g) {
				problems = append(problems, services.Problem{Message: "services.phpbb3.problem.group_missing",
					Args: map[string]any{"Group": g}})
			}
		}
	}
	return problems, nil
}
