package access

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/store"
)

// autogroupConfig is what naming an autogroup needs of its configuration.
type autogroupConfig struct {
	corpPrefix, alliancePrefix string
	ticker                     bool
	replaceSpaces              bool
	replaceWith                string
}

// AutogroupName names the group of a corporation or alliance as Alliance
// Auth does: the prefix, then the name or the ticker, spaces replaced when
// the configuration says so.
func AutogroupName(prefix, name string, replaceSpaces bool, replaceWith string) string {
	s := prefix + name
	if replaceSpaces {
		s = strings.ReplaceAll(s, " ", replaceWith)
	}
	return s
}

// makeAutogroups creates the automatic groups of keys and gives how many
// it made. A name taken by another group or reserved gets "_2", "_3"...,
// as Alliance Auth renames groups with reserved names.
func (r *Recomputer) makeAutogroups(ctx context.Context, keys []AutogroupKey) (int, error) {
	// In one order for every caller: two recomputations making the same
	// groups at once then wait for each other's rows instead of each
	// holding one the other needs (PostgreSQL's deadlock, 40P01).
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b AutogroupKey) int {
		return cmp.Or(cmp.Compare(a.Config, b.Config), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.EntityID, b.EntityID))
	})
	made := 0
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		configs := map[int64]autogroupConfig{}
		err := store.Each(ctx, tx, `SELECT id, corporation_prefix, alliance_prefix, name_source, replace_spaces, replace_with FROM autogroup_configs`,
			func(rows store.Rows) error {
				var id int64
				var c autogroupConfig
				var source string
				if err := rows.Scan(&id, &c.corpPrefix, &c.alliancePrefix, &source, &c.replaceSpaces, &c.replaceWith); err != nil {
					return err
				}
				c.ticker = source == "ticker"
				configs[id] = c
				return nil
			})
		if err != nil {
			return fmt.Errorf("access: %w", err)
		}
		now := r.now()
		for _, k := range keys {
			c, ok := configs[k.Config]
			if !ok {
				continue // deleted meanwhile
			}
			table, prefix := "eve_corporations", c.corpPrefix
			if k.Kind == "alliance" {
				table, prefix = "eve_alliances", c.alliancePrefix
			}
			var name, ticker string
			err := tx.QueryRow(ctx, `SELECT name, ticker FROM `+table+` WHERE id = $1`, k.EntityID).Scan(&name, &ticker)
			if errors.Is(err, store.ErrNoRows) {
				name, ticker = fmt.Sprint(k.EntityID), fmt.Sprint(k.EntityID)
			} else if err != nil {
				return fmt.Errorf("access: autogroup name: %w", err)
			}
			if c.ticker {
				name = ticker
			}
			base := AutogroupName(prefix, name, c.replaceSpaces, c.replaceWith)
			final, err := freeName(ctx, tx, base)
			if err != nil {
				return err
			}
			n, err := tx.Exec(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
					autogroup_config, autogroup_kind, autogroup_entity, created_at, updated_at)
				VALUES ($1, '', FALSE, TRUE, FALSE, FALSE, FALSE, FALSE, $2, $3, $4, $5, $5)
				ON CONFLICT (autogroup_config, autogroup_kind, autogroup_entity) DO NOTHING`, final, k.Config, k.Kind, k.EntityID, now)
			if err != nil {
				return fmt.Errorf("access: create autogroup %q: %w", final, err)
			}
			made += int(n)
		}
		return nil
	})
	return made, err
}

// freeName gives base, or base_2, base_3... : the first name no group has
// and no one reserved.
func freeName(ctx context.Context, q store.Querier, base string) (string, error) {
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		var taken bool
		err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE lower(name) = lower($1))
			OR EXISTS (SELECT 1 FROM reserved_group_names WHERE name = lower($1))`, name).Scan(&taken)
		if err != nil {
			return "", fmt.Errorf("access: group name: %w", err)
		}
		if !taken {
			return name, nil
		}
	}
}

// FreeGroupName gives name if no group has it and it is not reserved, else
// the first of name_2, name_3... that is free.
func FreeGroupName(ctx context.Context, q store.Querier, name string) (string, error) {
	return freeName(ctx, q, name)
}
