package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
)

// seedService makes, or points again, one of the demo's service instances
// (in.Slug of in.Type) at this run's server, open to the Member and Blue
// states. A fresh server (the simulated ones are new at every start)
// forgets the accounts a kept folder remembers: forget says so. An
// instance of that name the visitor made of another type is theirs, and
// left alone.
func seedService(ctx context.Context, db *store.DB, svc *services.Services, in services.Input, forget bool) error {
	inst, err := svc.Instance(ctx, in.Slug)
	switch {
	case errors.Is(err, services.ErrNotFound):
		if inst, err = svc.Create(ctx, in); err != nil {
			return fmt.Errorf("demo: %s: %w", in.Slug, err)
		}
	case err != nil:
		return fmt.Errorf("demo: %s: %w", in.Slug, err)
	case inst.Type != in.Type:
		return nil
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if forget {
			if _, err := tx.Exec(ctx, `DELETE FROM service_accounts WHERE instance_id = $1`, inst.ID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
			SELECT id, $1 FROM states WHERE name IN ('Member', 'Blue') ON CONFLICT DO NOTHING`, inst.Permission())
		return err
	})
	if err != nil {
		return fmt.Errorf("demo: %s: %w", in.Slug, err)
	}
	slug := in.Slug
	in.Slug, in.Type = "", ""
	if _, err := svc.Update(ctx, inst.ID, in); err != nil {
		return fmt.Errorf("demo: %s: %w", slug, err)
	}
	return nil
}
