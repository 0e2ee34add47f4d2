package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// Group is a group with all its options.
type Group struct {
	ID          int64
	Name        string
	Description string
	Internal    bool
	Hidden      bool
	Open        bool
	Public      bool
	Restricted  bool
	Default     bool
	// AllowedStates: accounts of other states may not be members.
	AllowedStates []int64
	Required      []int64
	Forbidden     []int64
	Corporations  []int32
	Alliances     []int32
	Managers      []int64 // accounts
	ManagerGroups []int64
	Permissions   []string
	// Roles are the roles that require the group (set by superusers on
	// the roles page); with Permissions and Restricted they guard it.
	Roles []string
	// Autogroup is set on Alliance Auth's automatic groups, which the
	// engine creates and removes.
	Autogroup *access.AutogroupKey
	Members   int
}

// Automatic reports whether the engine alone decides who is in the group:
// members neither join nor leave it.
func (g Group) Automatic() bool {
	return g.Autogroup != nil || len(g.Corporations) > 0 || len(g.Alliances) > 0
}

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound  = errors.New("groups: no such group")
	ErrInvalid   = errors.New("groups: invalid group")
	ErrNameTaken = errors.New("groups: a group of that name exists")
	ErrReserved  = errors.New("groups: the name is reserved")
)

// MaxName is the longest group name (Neucore's).
const MaxName = 64

// Input is a group as the admin form or an API body gives it.
type Input struct {
	Name, Description                                   string
	Internal, Hidden, Open, Public, Restricted, Default bool
	AllowedStates, Required, Forbidden                  []int64
	Corporations, Alliances                             []int32
	Managers, ManagerGroups                             []int64
	Permissions                                         []string
}

// Input gives the group's options as a form shows them.
func (g Group) Input() Input {
	return Input{Name: g.Name, Description: g.Description, Internal: g.Internal, Hidden: g.Hidden, Open: g.Open,
		Public: g.Public, Restricted: g.Restricted, Default: g.Default, AllowedStates: g.AllowedStates,
		Required: g.Required, Forbidden: g.Forbidden, Corporations: g.Corporations, Alliances: g.Alliances,
		Managers: g.Managers, ManagerGroups: g.ManagerGroups, Permissions: g.Permissions}
}

func uniq[T int64 | int32 | string](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// Store keeps the groups.
type Store struct {
	db        *store.DB
	recompute *access.Recomputer
	queue     access.Inserter
	catalogue *access.Catalogue
	checks    []Check
	notifier  Notifier
	settings  *settings.Store
	follower  access.Follower
	now       func() time.Time
}

// Options build a Store.
type Options struct {
	Recomputer *access.Recomputer
	// Queue takes the recomputation of every account after a change of a
	// group's rules.
	Queue     access.Inserter
	Catalogue *access.Catalogue
	Notifier  Notifier
	Settings  *settings.Store
	Now       func() time.Time
	// Checks are other features' rules for a change of a group, asked in
	// its transaction before it is written: the Application API refuses a
	// name its clients cannot read for a group apps see
	// (appapi.Store.CheckGroup).
	Checks []Check
	// Follower is told of the accounts whose groups a change touched, in
	// its transaction (feature.Hooks.AccountsChanged).
	Follower access.Follower
}

// Check refuses a change of a group by returning an error that wraps
// ErrInvalid (feature.Hooks.CheckGroup).
type Check func(ctx context.Context, q store.Querier, change feature.GroupChange) error

// New makes a Store.
func New(db *store.DB, o Options) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, recompute: o.Recomputer, queue: o.Queue, catalogue: o.Catalogue, checks: o.Checks, notifier: o.Notifier,
		settings: o.Settings, follower: o.Follower, now: o.Now}
}

const groupColumns = `g.id, g.name, g.description, g.internal, g.hidden, g.open, g.public, g.restricted, g.is_default,
	g.autogroup_config, g.autogroup_kind, g.autogroup_entity,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id)`

func scanGroup(row store.Row) (Group, error) {
	var g Group
	var agConfig, agEntity *int64
	var agKind *string
	err := row.Scan(&g.ID, &g.Name, &g.Description, &g.Internal, &g.Hidden, &g.Open, &g.Public, &g.Restricted, &g.Default,
		&agConfig, &agKind, &agEntity, &g.Members)
	if agConfig != nil && agKind != nil && agEntity != nil {
		g.Autogroup = &access.AutogroupKey{Config: *agConfig, Kind: *agKind, EntityID: int32(*agEntity)}
	}
	return g, err
}

// List gives every group, by name, with their relations.
func (s *Store) List(ctx context.Context) ([]Group, error) {
	return s.list(ctx, s.db, ``)
}

func (s *Store) list(ctx context.Context, q store.Querier, where string, args ...any) ([]Group, error) {
	out, err := store.Collect(ctx, q, `SELECT `+groupColumns+` FROM groups g `+where+` ORDER BY lower(g.name), g.id`, func(rows store.Rows, g *Group) (err error) {
		*g, err = scanGroup(rows)
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("groups: list: %w", err)
	}
	if err := s.relations(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// relations fills the groups' relations, a query per relation.
func (s *Store) relations(ctx context.Context, q store.Querier, gs []Group) error {
	byID := map[int64]*Group{}
	for i := range gs {
		byID[gs[i].ID] = &gs[i]
	}
	for _, read := range []func() error{
		relation(ctx, q, byID, `SELECT group_id, '', state_id FROM group_states ORDER BY state_id`,
			func(g *Group, _ string) *[]int64 { return &g.AllowedStates }),
		relation(ctx, q, byID, `SELECT group_id, kind, other_id FROM group_rules ORDER BY other_id`,
			func(g *Group, kind string) *[]int64 {
				if kind == "required" {
					return &g.Required
				}
				return &g.Forbidden
			}),
		relation(ctx, q, byID, `SELECT group_id, kind, entity_id FROM group_mappings ORDER BY entity_id`,
			func(g *Group, kind string) *[]int32 {
				if kind == "corporation" {
					return &g.Corporations
				}
				return &g.Alliances
			}),
		relation(ctx, q, byID, `SELECT group_id, '', account_id FROM group_managers ORDER BY account_id`,
			func(g *Group, _ string) *[]int64 { return &g.Managers }),
		relation(ctx, q, byID, `SELECT group_id, '', manager_group_id FROM group_manager_groups ORDER BY manager_group_id`,
			func(g *Group, _ string) *[]int64 { return &g.ManagerGroups }),
		relation(ctx, q, byID, `SELECT group_id, '', permission FROM group_permissions ORDER BY permission`,
			func(g *Group, _ string) *[]string { return &g.Permissions }),
		relation(ctx, q, byID, `SELECT group_id, '', role FROM role_requirements ORDER BY role`,
			func(g *Group, _ string) *[]string { return &g.Roles }),
	} {
		if err := read(); err != nil {
			return fmt.Errorf("groups: relations: %w", err)
		}
	}
	return nil
}

// relation returns the reading of one relation: query gives rows of
// (group id, kind, value), and to names the list of the group, for the
// kind, that the value joins. Rows of groups not in byID are skipped.
func relation[T any](ctx context.Context, q store.Querier, byID map[int64]*Group, query string, to func(g *Group, kind string) *[]T) func() error {
	return func() error {
		return store.Each(ctx, q, query, func(rows store.Rows) error {
			var id int64
			var kind string
			var v T
			if err := rows.Scan(&id, &kind, &v); err != nil {
				return err
			}
			if g := byID[id]; g != nil {
				list := to(g, kind)
				*list = append(*list, v)
			}
			return nil
		})
	}
}

// Get reads one group; ErrNotFound when there is none.
func (s *Store) Get(ctx context.Context, id int64) (Group, error) {
	gs, err := s.list(ctx, s.db, `WHERE g.id = $1`, id)
	if err != nil {
		return Group{}, err
	}
	if len(gs) == 0 {
		return Group{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return gs[0], nil
}

// Create adds a group as the site itself (System).
func (s *Store) Create(ctx context.Context, in Input) (Group, error) {
	return s.CreateAs(ctx, System, in)
}

// CreateAs adds a group and queues the recomputation of every account (a
// default or mapped group has members at once). Only a superuser makes a
// restricted group or one that grants permissions.
func (s *Store) CreateAs(ctx context.Context, a Actor, in Input) (Group, error) {
	in = in.normal()
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.refuse(ctx, tx, 0, in); err != nil {
			return err
		}
		if err := guardInput(a, in); err != nil {
			return err
		}
		if err := s.nameFree(ctx, tx, in.Name, 0); err != nil {
			return err
		}
		now := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`, in.Name, in.Description, in.Internal, in.Hidden, in.Open,
			in.Public, in.Restricted, in.Default, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: create: %w", err)
		}
		if err := s.writeRelations(ctx, tx, id, in); err != nil {
			return err
		}
		// Its name or its permissions may have changed, and with them
		// what its members have on the services.
		members, err := store.Column[int64](ctx, tx, `SELECT account_id FROM group_members WHERE group_id = $1`, id)
		if err != nil {
			return fmt.Errorf("groups: update %d: %w", id, err)
		}
		if err := s.follower.Follow(ctx, tx, members, "group changed"); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
	if err != nil {
		return Group{}, err
	}
	return s.Get(ctx, id)
}

// Update changes a group as the site itself (System).
func (s *Store) Update(ctx context.Context, id int64, in Input) (Group, error) {
	return s.UpdateAs(ctx, System, id, in)
}

// UpdateAs changes a group's options and relations, and queues the
// recomputation of every account. Only a superuser changes a guarded group
// (Group.Guard), or makes one restricted or granting permissions.
func (s *Store) UpdateAs(ctx context.Context, a Actor, id int64, in Input) (Group, error) {
	in = in.normal()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.refuse(ctx, tx, id, in); err != nil {
			return err
		}
		if err := guardInput(a, in); err != nil {
			return err
		}
		if err := s.guard(ctx, tx, a, id); err != nil {
			return err
		}
		if err := s.nameFree(ctx, tx, in.Name, id); err != nil {
			return err
		}
		for _, check := range s.checks {
			if err := check(ctx, tx, feature.GroupChange{ID: id, Name: in.Name, Description: in.Description}); err != nil {
				return err
			}
		}
		n, err := tx.Exec(ctx, `UPDATE groups SET name = $2, description = $3, internal = $4, hidden = $5, open = $6, public = $7,
			restricted = $8, is_default = $9, updated_at = $10 WHERE id = $1`, id, in.Name, in.Description, in.Internal, in.Hidden,
			in.Open, in.Public, in.Restricted, in.Default, s.now())
		if err != nil {
			return fmt.Errorf("groups: update %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		for _, table := range []string{"group_states", "group_rules", "group_mappings", "group_managers", "group_manager_groups", "group_permissions"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE group_id = $1`, id); err != nil {
				return fmt.Errorf("groups: update %d: %w", id, err)
			}
		}
		if err := s.writeRelations(ctx, tx, id, in); err != nil {
			return err
		}
		// Its name or its permissions may have changed, and with them
		// what its members have on the services.
		members, err := store.Column[int64](ctx, tx, `SELECT account_id FROM group_members WHERE group_id = $1`, id)
		if err != nil {
			return fmt.Errorf("groups: update %d: %w", id, err)
		}
		if err := s.follower.Follow(ctx, tx, members, "group changed"); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
	if err != nil {
		return Group{}, err
	}
	return s.Get(ctx, id)
}

// nameFree checks a name is neither another group's (whatever the case)
// nor reserved.
func (s *Store) nameFree(ctx context.Context, q store.Querier, name string, id int64) error {
	var taken, reserved bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE lower(name) = lower($1) AND id <> $2),
		EXISTS (SELECT 1 FROM reserved_group_names WHERE name = lower($1))`, name, id).Scan(&taken, &reserved)
	if err != nil {
		return fmt.Errorf("groups: name: %w", err)
	}
	switch {
	case taken:
		return fmt.Errorf("%w: %q", ErrNameTaken, name)
	case reserved:
		return fmt.Errorf("%w: %q", ErrReserved, name)
	}
	return nil
}

// writeRelations stores a group's relations, which Validate found to exist
// in the same transaction.
func (s *Store) writeRelations(ctx context.Context, tx *store.Tx, id int64, in Input) error {
	type row struct {
		query string
		args  []any
	}
	var rows []row
	for _, st := range in.AllowedStates {
		rows = append(rows, row{`INSERT INTO group_states (group_id, state_id) VALUES ($1, $2)`, []any{id, st}})
	}
	for _, o := range in.Required {
		rows = append(rows, row{`INSERT INTO group_rules (group_id, kind, other_id) VALUES ($1, 'required', $2)`, []any{id, o}})
	}
	for _, o := range in.Forbidden {
		rows = append(rows, row{`INSERT INTO group_rules (group_id, kind, other_id) VALUES ($1, 'forbidden', $2)`, []any{id, o}})
	}
	for _, e := range in.Corporations {
		rows = append(rows, row{`INSERT INTO group_mappings (group_id, kind, entity_id) VALUES ($1, 'corporation', $2)`, []any{id, e}})
	}
	for _, e := range in.Alliances {
		rows = append(rows, row{`INSERT INTO group_mappings (group_id, kind, entity_id) VALUES ($1, 'alliance', $2)`, []any{id, e}})
	}
	for _, a := range in.Managers {
		rows = append(rows, row{`INSERT INTO group_managers (group_id, account_id) VALUES ($1, $2)`, []any{id, a}})
	}
	for _, g := range in.ManagerGroups {
		rows = append(rows, row{`INSERT INTO group_manager_groups (group_id, manager_group_id) VALUES ($1, $2)`, []any{id, g}})
	}
	for _, p := range in.Permissions {
		rows = append(rows, row{`INSERT INTO group_permissions (group_id, permission) VALUES ($1, $2)`, []any{id, p}})
	}
	for _, r := range rows {
		if _, err := tx.Exec(ctx, r.query, r.args...); err != nil {
			return fmt.Errorf("groups: relations of %d: %w", id, err)
		}
	}
	return nil
}

// Delete removes a group as the site itself (System).
func (s *Store) Delete(ctx context.Context, id int64) error { return s.DeleteAs(ctx, System, id) }

// DeleteAs removes a group, its memberships and requests; its log stays.
// Only a superuser deletes a guarded group.
func (s *Store) DeleteAs(ctx context.Context, a Actor, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.guard(ctx, tx, a, id); err != nil {
			return err
		}
		// The members' access changes: tell the connectors.
		members, err := access.WriteMemberEvents(ctx, tx, access.EventGroupRemoved, "group deleted", s.now(), `m.group_id = $1`, id)
		if err != nil {
			return fmt.Errorf("groups: delete %d: %w", id, err)
		}
		if err := s.follower.Follow(ctx, tx, members, "group deleted"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1`, id); err != nil {
			return fmt.Errorf("groups: delete %d: %w", id, err)
		}
		n, err := tx.Exec(ctx, `DELETE FROM groups WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("groups: delete %d: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
}

// Impact is what deleting a group does, counted for its confirmation.
type Impact struct {
	// Members lose the group.
	Members int
	// Requests pending to join or leave it are dropped.
	Requests int
	// Rules of other groups requiring or forbidding it are dropped.
	Rules int
}

// DeletionImpact counts what deleting group id would do.
func (s *Store) DeletionImpact(ctx context.Context, q store.Querier, id int64) (Impact, error) {
	var im Impact
	err := q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM group_members WHERE group_id = $1),
		(SELECT count(*) FROM group_requests WHERE group_id = $1 AND status = 'pending'),
		(SELECT count(*) FROM group_rules WHERE other_id = $1 AND group_id <> $1)`, id).Scan(&im.Members, &im.Requests, &im.Rules)
	if err != nil {
		return im, fmt.Errorf("groups: impact of deleting %d: %w", id, err)
	}
	return im, nil
}
