package groups

import (
	"context"
	"errors"
	"fmt"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// System is the site itself acting: the composition root, the command
// line, tests. It changes any group, as a superuser does.
var System = Actor{Name: "Keepstar", Superuser: true}

// LockedError refuses a change of a guarded group (access.Guard) to an
// actor who is no superuser: a restricted group, one that grants
// permissions, or one a role requires.
type LockedError struct {
	Group string
	Guard access.Guard
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("groups: only superusers change %q (%s)", e.Group, e.Guard)
}

// Unwrap makes errors.Is(err, ErrSuperuserOnly) true.
func (e *LockedError) Unwrap() error { return ErrSuperuserOnly }

// GuardOf gives the guard of a refusal, Unguarded when err is none.
func GuardOf(err error) access.Guard {
	var locked *LockedError
	if errors.As(err, &locked) {
		return locked.Guard
	}
	return access.Unguarded
}

// Guard says why only superusers change the group; Unguarded when group
// admins and managers may.
func (g Group) Guard() access.Guard {
	return access.GuardOf(g.Restricted, len(g.Permissions) > 0, len(g.Roles) > 0)
}

// guard refuses an actor who is no superuser a change of a guarded group,
// reading the group in the change's transaction (and locking its row on
// PostgreSQL, which the change of its permissions writes too): a group
// that gained permissions a moment ago is guarded from then on.
func (s *Store) guard(ctx context.Context, tx *store.Tx, a Actor, groupID int64) error {
	if a.Superuser {
		return nil
	}
	lock := ""
	if tx.Dialect() == config.Postgres {
		lock = " FOR UPDATE"
	}
	var name string
	var restricted bool
	err := tx.QueryRow(ctx, `SELECT name, restricted FROM groups WHERE id = $1`+lock, groupID).Scan(&name, &restricted)
	if errors.Is(err, store.ErrNoRows) {
		return fmt.Errorf("%w: %d", ErrNotFound, groupID)
	}
	if err != nil {
		return fmt.Errorf("groups: guard of %d: %w", groupID, err)
	}
	var grants, required bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_permissions WHERE group_id = $1),
		EXISTS (SELECT 1 FROM role_requirements WHERE group_id = $1)`, groupID).Scan(&grants, &required); err != nil {
		return fmt.Errorf("groups: guard of %d: %w", groupID, err)
	}
	if g := access.GuardOf(restricted, grants, required); g != access.Unguarded {
		return &LockedError{Group: name, Guard: g}
	}
	return nil
}

// guardInput refuses an actor who is no superuser a group made or
// changed into a guarded one: restricted, or granting permissions.
func guardInput(a Actor, in Input) error {
	if g := access.GuardOf(in.Restricted, len(in.Permissions) > 0, false); !a.Superuser && g != access.Unguarded {
		return &LockedError{Group: in.Name, Guard: g}
	}
	return nil
}
