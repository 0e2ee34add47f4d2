package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Reserved is a group name nobody may create (Alliance Auth's reserved
// group names): the services leave such roles and groups alone.
type Reserved struct {
	Name      string
	Reason    string
	CreatedBy string
	CreatedAt time.Time
}

// ErrReservedExists: the name is reserved already.
var ErrReservedExists = errors.New("groups: the name is reserved already")

// Reserve adds a reserved name; a group having it already is an error.
func (s *Store) Reserve(ctx context.Context, name, reason string, by int64) error {
	name, reason = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(reason)
	if err := ValidateReserved(name, reason).Err(ErrInvalid); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM groups WHERE lower(name) = $1)`, name).Scan(&exists); err != nil {
			return fmt.Errorf("groups: reserve: %w", err)
		}
		if exists {
			return fmt.Errorf("%w: %q", ErrNameTaken, name)
		}
		n, err := tx.Exec(ctx, `INSERT INTO reserved_group_names (name, reason, created_by, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO NOTHING`, name, reason, nullID(by), s.now())
		if err != nil {
			return fmt.Errorf("groups: reserve: %w", err)
		}
		if n == 0 {
			return ErrReservedExists
		}
		return nil
	})
}

// Unreserve frees a reserved name.
func (s *Store) Unreserve(ctx context.Context, name string) error {
	n, err := s.db.Exec(ctx, `DELETE FROM reserved_group_names WHERE name = lower($1)`, name)
	if err != nil {
		return fmt.Errorf("groups: unreserve: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: reserved name %q", ErrNotFound, name)
	}
	return nil
}

// ReservedNames lists the reserved names.
func (s *Store) ReservedNames(ctx context.Context) ([]Reserved, error) {
	out, err := store.Collect(ctx, s.db, `SELECT r.name, r.reason, COALESCE(a.name, ''), r.created_at FROM reserved_group_names r
		LEFT JOIN accounts a ON a.id = r.created_by ORDER BY r.name`, func(rows store.Rows, r *Reserved) error {
		return rows.Scan(&r.Name, &r.Reason, &r.CreatedBy, &r.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("groups: reserved names: %w", err)
	}
	return out, nil
}
