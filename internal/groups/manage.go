package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
)

// CanManage reports whether an actor manages a group: superusers and
// holders of groups.manage_all manage all; managers and members of manager
// groups theirs.
func (s *Store) CanManage(ctx context.Context, a Actor, groupID int64) (bool, error) {
	if a.Superuser || a.ManageAll {
		return true, nil
	}
	managers, err := managersOf(ctx, s.db, groupID)
	if err != nil {
		return false, err
	}
	return slices.Contains(managers, a.AccountID), nil
}

// Managed lists the groups an actor manages.
func (s *Store) Managed(ctx context.Context, a Actor) ([]Group, error) {
	if a.Superuser || a.ManageAll {
		return s.List(ctx)
	}
	return s.list(ctx, s.db, `WHERE g.id IN (SELECT group_id FROM group_managers WHERE account_id = $1
		UNION SELECT mg.group_id FROM group_manager_groups mg JOIN group_members m ON m.group_id = mg.manager_group_id WHERE m.account_id = $1)`,
		a.AccountID)
}

// Request is a pending request as managers see it.
type Request struct {
	ID        int64
	GroupID   int64
	GroupName string
	AccountID int64
	Name      string // the account's main
	MainID    int32
	Kind      string // join or leave
	At        time.Time
	// Guard: when set, only superusers decide it.
	Guard access.Guard
}

// Pending lists the pending requests of the groups an actor manages,
// oldest first.
func (s *Store) Pending(ctx context.Context, a Actor) ([]Request, error) {
	where := ``
	args := []any{}
	if !a.Superuser && !a.ManageAll {
		where = `AND r.group_id IN (SELECT group_id FROM group_managers WHERE account_id = $1
			UNION SELECT mg.group_id FROM group_manager_groups mg JOIN group_members m ON m.group_id = mg.manager_group_id WHERE m.account_id = $1)`
		args = append(args, a.AccountID)
	}
	out, err := store.Collect(ctx, s.db, `SELECT r.id, r.group_id, g.name, r.account_id, acc.name, COALESCE(m.id, 0), r.kind, r.created_at, g.restricted,
			EXISTS (SELECT 1 FROM group_permissions p WHERE p.group_id = g.id), EXISTS (SELECT 1 FROM role_requirements rr WHERE rr.group_id = g.id)
		FROM group_requests r JOIN groups g ON g.id = r.group_id JOIN accounts acc ON acc.id = r.account_id
		LEFT JOIN characters m ON m.account_id = acc.id AND m.main
		WHERE r.status = 'pending' `+where+` ORDER BY r.created_at, r.id`, func(rows store.Rows, r *Request) error {
		var restricted, grants, required bool
		err := rows.Scan(&r.ID, &r.GroupID, &r.GroupName, &r.AccountID, &r.Name, &r.MainID, &r.Kind, &r.At, &restricted, &grants, &required)
		r.Guard = access.GuardOf(restricted, grants, required)
		return err
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("groups: pending: %w", err)
	}
	return out, nil
}

// Decide accepts or rejects a pending request. Accepting a join checks
// again that the account may be in the group (its state may have changed
// since it asked).
func (s *Store) Decide(ctx context.Context, a Actor, requestID int64, accept bool) error {
	var groupID, accountID int64
	var kind string
	err := s.db.QueryRow(ctx, `SELECT group_id, account_id, kind FROM group_requests WHERE id = $1 AND status = 'pending'`, requestID).
		Scan(&groupID, &accountID, &kind)
	if errors.Is(err, store.ErrNoRows) {
		return ErrNoRequest
	}
	if err != nil {
		return fmt.Errorf("groups: decide: %w", err)
	}
	g, err := s.mayChange(ctx, a, groupID)
	if err != nil {
		return err
	}
	if accept && kind == "join" {
		cfg, facts, res, err := s.recompute.Account(ctx, accountID)
		if err != nil {
			return err
		}
		if r := cfg.MayJoin(facts, res, groupID, a.Superuser); r != "" {
			return &RefusalError{r}
		}
	}
	action, status := "reject", "rejected"
	if accept {
		action, status = "accept", "accepted"
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.guard(ctx, tx, a, groupID); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE group_requests SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1 AND status = 'pending'`,
			requestID, status, s.now(), nullID(a.AccountID))
		if err != nil {
			return fmt.Errorf("groups: decide: %w", err)
		}
		if n == 0 {
			return ErrNoRequest // decided meanwhile by another manager
		}
		switch {
		case accept && kind == "join":
			err = s.join(ctx, tx, a, accountID, groupID, "join", "accept")
		case accept:
			err = s.leave(ctx, tx, a, accountID, groupID, "leave", "accept")
		default:
			err = s.log(ctx, tx, groupID, accountID, kind, "reject", a)
		}
		if err != nil && !errors.Is(err, ErrMember) && !errors.Is(err, ErrNotMember) {
			return err
		}
		if s.notifier == nil {
			return nil
		}
		return s.notifier.Send(ctx, tx, accountID, notifications.Notice{Level: notifications.Info,
			TitleKey: "groups.notice.group_decision.title", MessageKey: "groups.notice.group_decision." + kind + "_" + action,
			Args: map[string]string{"Group": g.Name}})
	})
	if err != nil {
		return err
	}
	return s.after(ctx, accountID)
}

// mayChange checks an actor may change a group's members: a manager, and
// a superuser for guarded groups (restricted, granting permissions, or
// required by a role). The change's transaction asks again (Store.guard).
func (s *Store) mayChange(ctx context.Context, a Actor, groupID int64) (Group, error) {
	g, err := s.Get(ctx, groupID)
	if err != nil {
		return Group{}, err
	}
	ok, err := s.CanManage(ctx, a, groupID)
	if err != nil {
		return Group{}, err
	}
	if !ok {
		return Group{}, ErrNotManager
	}
	if gd := g.Guard(); gd != access.Unguarded && !a.Superuser {
		return Group{}, &LockedError{Group: g.Name, Guard: gd}
	}
	return g, nil
}

// Remove takes a member out of a group, as a manager.
func (s *Store) Remove(ctx context.Context, a Actor, groupID, accountID int64) error {
	g, err := s.mayChange(ctx, a, groupID)
	if err != nil {
		return err
	}
	if g.Automatic() || g.Default {
		return ErrNotLeavable // the engine would give it back at once
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.guard(ctx, tx, a, groupID); err != nil {
			return err
		}
		return s.leave(ctx, tx, a, accountID, groupID, "removed", "remove")
	})
	if err != nil {
		return err
	}
	return s.after(ctx, accountID)
}

// Add puts an account in a group, as a manager, if the account may be in
// it.
func (s *Store) Add(ctx context.Context, a Actor, groupID, accountID int64) error {
	if _, err := s.mayChange(ctx, a, groupID); err != nil {
		return err
	}
	cfg, facts, res, err := s.recompute.Account(ctx, accountID)
	if err != nil {
		return err
	}
	if slices.Contains(res.Groups, groupID) {
		return ErrMember
	}
	if r := cfg.MayJoin(facts, res, groupID, a.Superuser); r != "" {
		return &RefusalError{r}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := s.guard(ctx, tx, a, groupID); err != nil {
			return err
		}
		return s.join(ctx, tx, a, accountID, groupID, "join", "accept")
	})
	if err != nil {
		return err
	}
	return s.after(ctx, accountID)
}

// Member is a member of a group.
type Member struct {
	AccountID int64
	Name      string
	MainID    int32
	Since     time.Time
}

// Members lists a group's members by name.
func (s *Store) Members(ctx context.Context, groupID int64) ([]Member, error) {
	out, err := store.Collect(ctx, s.db, `SELECT a.id, a.name, COALESCE(c.id, 0), m.since FROM group_members m JOIN accounts a ON a.id = m.account_id
		LEFT JOIN characters c ON c.account_id = a.id AND c.main WHERE m.group_id = $1 ORDER BY lower(a.name), a.id`, func(rows store.Rows, m *Member) error {
		return rows.Scan(&m.AccountID, &m.Name, &m.MainID, &m.Since)
	}, groupID)
	if err != nil {
		return nil, fmt.Errorf("groups: members: %w", err)
	}
	return out, nil
}

// LogEntry is a line of a group's audit log.
type LogEntry struct {
	At        time.Time
	AccountID int64
	Main      string
	Request   string // join, leave, removed
	Action    string // accept, reject, remove, auto
	ActorID   int64
	Actor     string
}

// Log gives a group's audit log, newest first, at most limit lines.
func (s *Store) Log(ctx context.Context, groupID int64, limit int) ([]LogEntry, error) {
	out, err := store.Collect(ctx, s.db, `SELECT at, account_id, main_name, request, action, COALESCE(actor_id, 0), actor_name
		FROM group_log WHERE group_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, func(rows store.Rows, e *LogEntry) error {
		return rows.Scan(&e.At, &e.AccountID, &e.Main, &e.Request, &e.Action, &e.ActorID, &e.Actor)
	}, groupID, limit)
	if err != nil {
		return nil, fmt.Errorf("groups: log: %w", err)
	}
	return out, nil
}

// MergeAccounts gives a merged account's memberships, requests and managed
// groups to the winner (an accounts.Merger).
func (s *Store) MergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	both, one := []any{winner, loser}, []any{loser}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO group_members (account_id, group_id, since) SELECT $1, group_id, since FROM group_members WHERE account_id = $2
			ON CONFLICT (account_id, group_id) DO NOTHING`, both},
		{`DELETE FROM group_members WHERE account_id = $1`, one},
		{`DELETE FROM group_requests WHERE account_id = $2 AND group_id IN (SELECT group_id FROM group_requests WHERE account_id = $1)`, both},
		{`UPDATE group_requests SET account_id = $1 WHERE account_id = $2`, both},
		{`INSERT INTO group_managers (group_id, account_id) SELECT group_id, $1 FROM group_managers WHERE account_id = $2
			ON CONFLICT (group_id, account_id) DO NOTHING`, both},
		{`DELETE FROM group_managers WHERE account_id = $1`, one},
	} {
		if _, err := q.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("groups: merge account %d into %d: %w", loser, winner, err)
		}
	}
	return nil
}

// ClearAccount takes every group and request away from an account, as
// Neucore does when an account's status changes; the engine then gives
// back what applies.
func (s *Store) ClearAccount(ctx context.Context, q store.Querier, accountID int64) error {
	now := s.now()
	if _, err := access.WriteMemberEvents(ctx, q, access.EventGroupRemoved, "status changed", now, `m.account_id = $1`, accountID); err != nil {
		return fmt.Errorf("groups: clear account %d: %w", accountID, err)
	}
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO group_log (group_id, group_name, account_id, main_name, request, action, actor_name, at)
			SELECT g.id, g.name, a.id, a.name, 'removed', 'auto', '', $2 FROM group_members m JOIN groups g ON g.id = m.group_id
			JOIN accounts a ON a.id = m.account_id WHERE m.account_id = $1`, []any{accountID, now}},
		{`DELETE FROM group_members WHERE account_id = $1`, []any{accountID}},
		{`DELETE FROM group_requests WHERE account_id = $1`, []any{accountID}},
	} {
		if _, err := q.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("groups: clear account %d: %w", accountID, err)
		}
	}
	return nil
}
