package groups

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/store"
)

// AutogroupConfig is one of Alliance Auth's automatic groups
// configurations: for the accounts in its states, a group per corporation
// and/or alliance of their main character.
type AutogroupConfig struct {
	ID                int64
	States            []int64
	CorporationGroups bool
	AllianceGroups    bool
	CorporationPrefix string
	AlliancePrefix    string
	NameSource        string // "name" or "ticker"
	ReplaceSpaces     bool
	ReplaceWith       string
	CreatedAt         time.Time
	Groups            int // groups it made
}

// ErrAutogroupInvalid wraps a refused configuration.
var ErrAutogroupInvalid = errors.New("groups: invalid autogroup configuration")

// AutogroupConfigs lists the configurations.
func (s *Store) AutogroupConfigs(ctx context.Context) ([]AutogroupConfig, error) {
	out, err := store.Collect(ctx, s.db, `SELECT c.id, c.corporation_groups, c.alliance_groups, c.corporation_prefix, c.alliance_prefix,
		c.name_source, c.replace_spaces, c.replace_with, c.created_at,
		(SELECT count(*) FROM groups g WHERE g.autogroup_config = c.id) FROM autogroup_configs c ORDER BY c.id`, func(rows store.Rows, c *AutogroupConfig) error {
		return rows.Scan(&c.ID, &c.CorporationGroups, &c.AllianceGroups, &c.CorporationPrefix, &c.AlliancePrefix, &c.NameSource,
			&c.ReplaceSpaces, &c.ReplaceWith, &c.CreatedAt, &c.Groups)
	})
	if err != nil {
		return nil, fmt.Errorf("groups: autogroups: %w", err)
	}
	for i := range out {
		out[i].States, err = store.Column[int64](ctx, s.db, `SELECT state_id FROM autogroup_config_states WHERE config_id = $1 ORDER BY state_id`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("groups: autogroups: %w", err)
		}
	}
	return out, nil
}

// CreateAutogroups adds a configuration; its groups come with the next
// recomputation, queued here.
func (s *Store) CreateAutogroups(ctx context.Context, c AutogroupConfig) (int64, error) {
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		ps, err := s.ValidateAutogroups(ctx, tx, c, true)
		if err != nil {
			return err
		}
		if err := ps.Err(ErrAutogroupInvalid); err != nil {
			return err
		}
		now := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO autogroup_configs (corporation_groups, alliance_groups, corporation_prefix, alliance_prefix,
				name_source, replace_spaces, replace_with, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
			c.CorporationGroups, c.AllianceGroups, c.CorporationPrefix, c.AlliancePrefix, c.NameSource, c.ReplaceSpaces, c.ReplaceWith, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: create autogroups: %w", err)
		}
		if err := s.autogroupStates(ctx, tx, id, c.States); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
	return id, err
}

// UpdateAutogroups changes a configuration's states and what it makes. Its
// prefixes, name source and spaces stay as created (Alliance Auth's rule:
// its groups are named by them).
func (s *Store) UpdateAutogroups(ctx context.Context, id int64, states []int64, corporations, alliances bool) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		c := AutogroupConfig{States: states, CorporationGroups: corporations, AllianceGroups: alliances}
		ps, err := s.ValidateAutogroups(ctx, tx, c, false)
		if err != nil {
			return err
		}
		if err := ps.Err(ErrAutogroupInvalid); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE autogroup_configs SET corporation_groups = $2, alliance_groups = $3, updated_at = $4 WHERE id = $1`,
			id, corporations, alliances, s.now())
		if err != nil {
			return fmt.Errorf("groups: update autogroups: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: autogroups %d", ErrNotFound, id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM autogroup_config_states WHERE config_id = $1`, id); err != nil {
			return fmt.Errorf("groups: update autogroups: %w", err)
		}
		if err := s.autogroupStates(ctx, tx, id, states); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
}

func (s *Store) autogroupStates(ctx context.Context, tx *store.Tx, id int64, states []int64) error {
	for _, st := range uniq(states) {
		if _, err := tx.Exec(ctx, `INSERT INTO autogroup_config_states (config_id, state_id) VALUES ($1, $2)`, id, st); err != nil {
			return fmt.Errorf("%w: no state %d", ErrAutogroupInvalid, st)
		}
	}
	return nil
}

// DeleteAutogroups removes a configuration and its groups (Alliance Auth:
// turning a configuration off deletes its groups).
func (s *Store) DeleteAutogroups(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		members, err := access.WriteMemberEvents(ctx, tx, access.EventGroupRemoved, "autogroups deleted", s.now(),
			`m.group_id IN (SELECT id FROM groups WHERE autogroup_config = $1)`, id)
		if err != nil {
			return fmt.Errorf("groups: delete autogroups: %w", err)
		}
		if err := s.follower.Follow(ctx, tx, members, "autogroups deleted"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE autogroup_config = $1)`, id); err != nil {
			return fmt.Errorf("groups: delete autogroups: %w", err)
		}
		n, err := tx.Exec(ctx, `DELETE FROM autogroup_configs WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("groups: delete autogroups: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("%w: autogroups %d", ErrNotFound, id)
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
}

// AutogroupsImpact is what deleting an autogroup configuration does,
// counted for its confirmation: the groups it made are deleted, and the
// members lose them.
type AutogroupsImpact struct {
	Groups, Members int
}

// AutogroupsDeletionImpact counts what deleting configuration id would do;
// ErrNotFound when there is no such configuration.
func (s *Store) AutogroupsDeletionImpact(ctx context.Context, q store.Querier, id int64) (AutogroupsImpact, error) {
	var im AutogroupsImpact
	var exists bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM autogroup_configs WHERE id = $1),
		(SELECT count(*) FROM groups WHERE autogroup_config = $1),
		(SELECT count(DISTINCT account_id) FROM group_members WHERE group_id IN (SELECT id FROM groups WHERE autogroup_config = $1))`,
		id).Scan(&exists, &im.Groups, &im.Members)
	if err != nil {
		return im, fmt.Errorf("groups: impact of deleting autogroups %d: %w", id, err)
	}
	if !exists {
		return im, fmt.Errorf("%w: autogroups %d", ErrNotFound, id)
	}
	return im, nil
}
