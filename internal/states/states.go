package states

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// State is a state with its members and permissions.
type State struct {
	ID           int64
	Name         string
	Priority     int
	Public       bool
	Guest        bool
	Characters   []int32
	Corporations []int32
	Alliances    []int32
	Factions     []int32
	Permissions  []string
	Accounts     int // accounts in the state now
}

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("states: no such state")
	ErrInvalid  = errors.New("states: invalid state")
	ErrTaken    = errors.New("states: the name or the priority is another state's")
	ErrGuest    = errors.New("states: the guest state cannot be deleted or renamed")
)

// Input is a state as the admin form gives it.
type Input struct {
	Name                                          string
	Priority                                      int
	Public                                        bool
	Characters, Corporations, Alliances, Factions []int32
	Permissions                                   []string
}

// Store keeps the states.
type Store struct {
	db        *store.DB
	queue     access.Inserter
	catalogue *access.Catalogue
	follower  access.Follower
	now       func() time.Time
}

// FollowWith makes f follow every change of a state, told of the accounts
// in it (their name format, their state as a role, their permissions may
// change). It is set once, before the process serves or works.
func (s *Store) FollowWith(f access.Follower) { s.follower = f }

// New makes a Store; now nil means time.Now.
func New(db *store.DB, queue access.Inserter, catalogue *access.Catalogue, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, queue: queue, catalogue: catalogue, now: now}
}

// Validate checks a state's input, every problem at once, each about a
// field of the admin form: the one check of the form and of the store,
// which refuses with the same problems (ErrInvalid).
func (s *Store) Validate(in Input) i18n.Problems {
	var ps i18n.Problems
	if name := strings.TrimSpace(in.Name); name == "" || utf8.RuneCountInString(name) > 64 {
		ps.Add("name", "states.admin.error.name")
	}
	if in.Priority < 0 || in.Priority > 1_000_000 {
		ps.Add("priority", "states.admin.error.priority")
	}
	for i, ids := range [][]int32{in.Characters, in.Corporations, in.Alliances, in.Factions} {
		for _, id := range ids {
			if id <= 0 {
				ps.Add(members[i]+"s", "states.admin.error.id", "Value", strconv.Itoa(int(id)), "Field", i18n.M("states.admin."+members[i]+"s"))
			}
		}
	}
	for _, perm := range in.Permissions {
		if s.catalogue != nil && !s.catalogue.Has(perm) {
			ps.Add("permissions", "states.admin.error.permission", "Name", perm)
		}
	}
	return ps
}

// check refuses an input Validate finds problems with, and gives it as it
// is stored: its name trimmed, its lists sorted and without repeats.
func (s *Store) check(in *Input) error {
	if err := s.Validate(*in).Err(ErrInvalid); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	for _, p := range []*[]int32{&in.Characters, &in.Corporations, &in.Alliances, &in.Factions} {
		slices.Sort(*p)
		*p = slices.Compact(*p)
	}
	slices.Sort(in.Permissions)
	in.Permissions = slices.Compact(in.Permissions)
	return nil
}

// List gives every state, highest priority first.
func (s *Store) List(ctx context.Context) ([]State, error) {
	out, err := store.Collect(ctx, s.db, `SELECT s.id, s.name, s.priority, s.public, s.guest,
		(SELECT count(*) FROM accounts a WHERE a.state_id = s.id) FROM states s ORDER BY s.priority DESC`, func(rows store.Rows, st *State) error {
		return rows.Scan(&st.ID, &st.Name, &st.Priority, &st.Public, &st.Guest, &st.Accounts)
	})
	if err != nil {
		return nil, fmt.Errorf("states: list: %w", err)
	}
	byID := map[int64]*State{}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	err = store.Each(ctx, s.db, `SELECT state_id, kind, entity_id FROM state_members ORDER BY entity_id`, func(rows store.Rows) error {
		var id int64
		var kind string
		var e int32
		if err := rows.Scan(&id, &kind, &e); err != nil {
			return err
		}
		if st := byID[id]; st != nil {
			switch kind {
			case "character":
				st.Characters = append(st.Characters, e)
			case "corporation":
				st.Corporations = append(st.Corporations, e)
			case "alliance":
				st.Alliances = append(st.Alliances, e)
			case "faction":
				st.Factions = append(st.Factions, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("states: list: %w", err)
	}
	err = store.Each(ctx, s.db, `SELECT state_id, permission FROM state_permissions ORDER BY permission`, func(rows store.Rows) error {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return err
		}
		if st := byID[id]; st != nil {
			st.Permissions = append(st.Permissions, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("states: list: %w", err)
	}
	return out, nil
}

// Get reads one state.
func (s *Store) Get(ctx context.Context, id int64) (State, error) {
	all, err := s.List(ctx)
	if err != nil {
		return State{}, err
	}
	i := slices.IndexFunc(all, func(st State) bool { return st.ID == id })
	if i < 0 {
		return State{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return all[i], nil
}

// Create adds a state and queues the recomputation of every account.
func (s *Store) Create(ctx context.Context, in Input) (int64, error) {
	if err := s.check(&in); err != nil {
		return 0, err
	}
	var id int64
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.free(ctx, tx, in, 0); err != nil {
			return err
		}
		now := s.now()
		if err := tx.QueryRow(ctx, `INSERT INTO states (name, priority, public, guest, created_at, updated_at) VALUES ($1, $2, $3, FALSE, $4, $4) RETURNING id`,
			in.Name, in.Priority, in.Public, now).Scan(&id); err != nil {
			return fmt.Errorf("states: create: %w", err)
		}
		if err := s.write(ctx, tx, id, in); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
	return id, err
}

// Update changes a state; the guest state keeps its name.
func (s *Store) Update(ctx context.Context, id int64, in Input) error {
	if err := s.check(&in); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var name string
		var guest bool
		err := tx.QueryRow(ctx, `SELECT name, guest FROM states WHERE id = $1`, id).Scan(&name, &guest)
		if errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("states: update: %w", err)
		}
		if guest && in.Name != name {
			return ErrGuest
		}
		if err := s.free(ctx, tx, in, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE states SET name = $2, priority = $3, public = $4, updated_at = $5 WHERE id = $1`,
			id, in.Name, in.Priority, in.Public || guest, s.now()); err != nil {
			return fmt.Errorf("states: update: %w", err)
		}
		for _, table := range []string{"state_members", "state_permissions"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE state_id = $1`, id); err != nil {
				return fmt.Errorf("states: update: %w", err)
			}
		}
		if err := s.write(ctx, tx, id, in); err != nil {
			return err
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
}

// Delete removes a state (never the guest); its accounts move to the next
// state they qualify for at the recomputation queued here.
func (s *Store) Delete(ctx context.Context, id int64) error {
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var guest bool
		err := tx.QueryRow(ctx, `SELECT guest FROM states WHERE id = $1`, id).Scan(&guest)
		if errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("states: delete: %w", err)
		}
		if guest {
			return ErrGuest
		}
		// Until the recomputation runs, its accounts are guests.
		if _, err := tx.Exec(ctx, `UPDATE accounts SET state_id = (SELECT id FROM states WHERE guest) WHERE state_id = $1`, id); err != nil {
			return fmt.Errorf("states: delete: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM states WHERE id = $1`, id); err != nil {
			return fmt.Errorf("states: delete: %w", err)
		}
		return access.RecomputeAllLater(ctx, tx, s.queue)
	})
}

// free checks the name and priority are no other state's.
func (s *Store) free(ctx context.Context, q store.Querier, in Input, id int64) error {
	var taken bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM states WHERE id <> $1 AND (lower(name) = lower($2) OR priority = $3))`,
		id, in.Name, in.Priority).Scan(&taken); err != nil {
		return fmt.Errorf("states: %w", err)
	}
	if taken {
		return fmt.Errorf("%w: %q or %d", ErrTaken, in.Name, in.Priority)
	}
	return nil
}

func (s *Store) write(ctx context.Context, tx *store.Tx, id int64, in Input) error {
	for kind, ids := range map[string][]int32{"character": in.Characters, "corporation": in.Corporations, "alliance": in.Alliances, "faction": in.Factions} {
		for _, e := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO state_members (state_id, kind, entity_id) VALUES ($1, $2, $3)`, id, kind, e); err != nil {
				return fmt.Errorf("states: members: %w", err)
			}
		}
	}
	for _, p := range in.Permissions {
		if _, err := tx.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, $2)`, id, p); err != nil {
			return fmt.Errorf("states: permissions: %w", err)
		}
	}
	accounts, err := store.Column[int64](ctx, tx, `SELECT id FROM accounts WHERE state_id = $1`, id)
	if err != nil {
		return fmt.Errorf("states: members: %w", err)
	}
	return s.follower.Follow(ctx, tx, accounts, "state changed")
}

// Names gives every state's name by id.
func (s *Store) Names(ctx context.Context) (map[int64]string, error) {
	out := map[int64]string{}
	err := store.Each(ctx, s.db, `SELECT id, name FROM states`, func(rows store.Rows) error {
		var id int64
		var name string
		err := rows.Scan(&id, &name)
		out[id] = name
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("states: names: %w", err)
	}
	return out, nil
}

// Impact is what deleting a state does, counted for its confirmation.
type Impact struct {
	// Accounts in the state move to the next state that admits them, or
	// to the guest state.
	Accounts int
	// Groups limited to the state (and others) lose the limit to it.
	Groups int
}

// DeletionImpact counts what deleting state id would do.
func (s *Store) DeletionImpact(ctx context.Context, q store.Querier, id int64) (Impact, error) {
	var im Impact
	err := q.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts WHERE state_id = $1),
		(SELECT count(*) FROM group_states WHERE state_id = $1)`, id).Scan(&im.Accounts, &im.Groups)
	if err != nil {
		return im, fmt.Errorf("states: impact of deleting %d: %w", id, err)
	}
	return im, nil
}
