package services

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

// This file serves features built on the services (group pings): they find
// the instances whose connectors can do what they need, declared as small
// interfaces of their own, and the members reachable there.

// EnabledWhere lists the enabled instances, by name, whose live connector
// passes keep (a type assertion to the caller's interface, most often). An
// instance whose connector cannot be built is left out and logged: its
// admins see why on its page, and the caller's list stays usable.
func (s *Services) EnabledWhere(ctx context.Context, keep func(Connector) bool) ([]Instance, error) {
	list, err := s.inst.list(ctx, s.db, `enabled`)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, inst := range list {
		if _, ok := s.types[inst.Type]; !ok {
			continue
		}
		conn, err := s.connector(ctx, inst)
		if err != nil {
			s.logger.WarnContext(ctx, "open a service's connector", "service", inst.Slug, "error", err)
			continue
		}
		if keep(conn) {
			out = append(out, inst)
		}
	}
	return out, nil
}

// Connector gives the live connector of an enabled instance, the one its
// syncs use (ErrNotFound when the instance is disabled or unknown).
func (s *Services) Connector(ctx context.Context, id int64) (Instance, Connector, error) {
	inst, err := s.inst.Get(ctx, id)
	if err != nil {
		return inst, nil, err
	}
	if !inst.Enabled {
		return inst, nil, fmt.Errorf("%w: %s is disabled", ErrNotFound, inst.Slug)
	}
	conn, err := s.connector(ctx, inst)
	return inst, conn, err
}

// ActiveAccounts gives the service accounts on an instance of the given
// Keepstar accounts whose last change applied (status ok), by account id:
// those a message there reaches. Accounts without one are left out.
func (s *Services) ActiveAccounts(ctx context.Context, instanceID int64, accountIDs []int64) ([]Account, error) {
	if s.db.Dialect() == config.Postgres {
		// One statement with an array: PostgreSQL plans each IN list of
		// 500 parameters anew (the prepared statement's custom plans),
		// which cost 25 ms a chunk, 0.4 s for a ping to 5,000 members
		// (BenchmarkPingFiveThousand in internal/apps/pings).
		out, err := store.Collect(ctx, s.db, `SELECT `+accountColumns+` FROM service_accounts
			WHERE instance_id = $1 AND status = 'ok' AND account_id = ANY($2) ORDER BY account_id`,
			func(rows store.Rows, a *Account) error { return scanAccount(rows, a) }, instanceID, accountIDs)
		if err != nil {
			return nil, fmt.Errorf("services: active accounts on %d: %w", instanceID, err)
		}
		return out, nil
	}
	var out []Account
	for list, args := range store.InChunks(accountIDs, instanceID) {
		part, err := store.Collect(ctx, s.db, `SELECT `+accountColumns+` FROM service_accounts
			WHERE instance_id = $1 AND status = 'ok' AND account_id IN (`+list+`) ORDER BY account_id`,
			func(rows store.Rows, a *Account) error { return scanAccount(rows, a) }, args...)
		if err != nil {
			return nil, fmt.Errorf("services: active accounts on %d: %w", instanceID, err)
		}
		out = append(out, part...)
	}
	return out, nil
}
