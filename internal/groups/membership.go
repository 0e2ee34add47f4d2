package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// Notifier tells group managers of requests and members of decisions
// (internal/notifications), in the action's transaction.
type Notifier interface {
	Send(ctx context.Context, q store.Querier, accountID int64, n notifications.Notice) error
}

// Settings of group management (Alliance Auth's).
var (
	SettingAutoLeave = settings.Definition{Name: "groups.auto_leave", Section: "access.settings.section.groups", Kind: settings.KindBool,
		Default: "false", Label: "groups.settings.auto_leave", Help: "groups.settings.auto_leave_help"}
	SettingNotifyManagers = settings.Definition{Name: "groups.notify_managers", Section: "access.settings.section.groups", Kind: settings.KindBool,
		Default: "false", Label: "groups.settings.notify_managers", Help: "groups.settings.notify_managers_help"}
)

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingAutoLeave, SettingNotifyManagers}

// Errors of membership actions.
var (
	// ErrRefused wraps an access.Refusal: the account may not join.
	ErrRefused = errors.New("groups: the account may not be in this group")
	// ErrPending: a request of the same kind is waiting already.
	ErrPending     = errors.New("groups: a request is pending already")
	ErrNotMember   = errors.New("groups: not a member")
	ErrMember      = errors.New("groups: a member already")
	ErrNotManager  = errors.New("groups: not a manager of this group")
	ErrNoRequest   = errors.New("groups: no such pending request")
	ErrNotLeavable = errors.New("groups: this group cannot be left: it is automatic, a default group, or restricted")
	// ErrSuperuserOnly: the group is guarded (access.Guard); a
	// LockedError says why.
	ErrSuperuserOnly = errors.New("groups: only superusers change this group")
)

// RefusalError tells why an account may not join.
type RefusalError struct{ Reason access.Refusal }

func (e *RefusalError) Error() string { return fmt.Sprintf("groups: may not join: %s", e.Reason) }

// Unwrap makes errors.Is(err, ErrRefused) true.
func (e *RefusalError) Unwrap() error { return ErrRefused }

// Actor is who acts: an account, and whether it may act on every group.
type Actor struct {
	AccountID int64
	Name      string
	Superuser bool
	// ManageAll: the groups.manage_all permission (Alliance Auth's
	// group_management).
	ManageAll bool
}

// Outcome says what a join or leave did.
type Outcome string

const (
	Joined    Outcome = "joined"
	Left      Outcome = "left"
	Requested Outcome = "requested"
)

// Join asks for account to join a group: an open group takes it at once, any
// other gets a pending request for its managers. The account must be
// allowed in (access.Config.MayJoin).
func (s *Store) Join(ctx context.Context, a Actor, groupID int64) (Outcome, error) {
	cfg, facts, res, err := s.recompute.Account(ctx, a.AccountID)
	if err != nil {
		return "", err
	}
	g := cfg.Group(groupID)
	switch {
	case g == nil:
		return "", fmt.Errorf("%w: %d", ErrNotFound, groupID)
	case g.Internal:
		return "", &RefusalError{access.RefusedInternal}
	case slices.Contains(res.Groups, groupID):
		return "", ErrMember
	}
	if r := cfg.MayJoin(facts, res, groupID, a.Superuser); r != "" {
		return "", &RefusalError{r}
	}
	out := Requested
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		// The group may have become guarded since the rules were read.
		if err := s.guard(ctx, tx, a, groupID); err != nil {
			if gd := GuardOf(err); gd != access.Unguarded {
				return &RefusalError{gd.Refusal()}
			}
			return err
		}
		if g.Open {
			out = Joined
			return s.join(ctx, tx, a, a.AccountID, groupID, "join", "accept")
		}
		if err := s.request(ctx, tx, a.AccountID, groupID, "join"); err != nil {
			return err
		}
		return s.notifyManagers(ctx, tx, groupID, a, "join")
	})
	if err != nil {
		return "", err
	}
	return out, s.after(ctx, a.AccountID)
}

// Leave asks for account to leave a group: at once from an open group, or
// when leaving needs no approval (a setting); else a pending request.
func (s *Store) Leave(ctx context.Context, a Actor, groupID int64) (Outcome, error) {
	g, err := s.Get(ctx, groupID)
	if err != nil {
		return "", err
	}
	member, err := s.isMember(ctx, s.db, a.AccountID, groupID)
	if err != nil {
		return "", err
	}
	if !member {
		return "", ErrNotMember
	}
	if g.Automatic() || g.Default || g.Guard() != access.Unguarded && !a.Superuser {
		return "", ErrNotLeavable
	}
	values, err := s.settings.Values(ctx)
	if err != nil {
		return "", err
	}
	out := Requested
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if g.Open || values.Bool(SettingAutoLeave) {
			out = Left
			return s.leave(ctx, tx, a, a.AccountID, groupID, "leave", "accept")
		}
		if err := s.request(ctx, tx, a.AccountID, groupID, "leave"); err != nil {
			return err
		}
		return s.notifyManagers(ctx, tx, groupID, a, "leave")
	})
	if err != nil {
		return "", err
	}
	return out, s.after(ctx, a.AccountID)
}

// Cancel withdraws an account's pending request.
func (s *Store) Cancel(ctx context.Context, accountID, groupID int64, kind string) error {
	n, err := s.db.Exec(ctx, `DELETE FROM group_requests WHERE group_id = $1 AND account_id = $2 AND kind = $3 AND status = 'pending'`,
		groupID, accountID, kind)
	if err != nil {
		return fmt.Errorf("groups: cancel: %w", err)
	}
	if n == 0 {
		return ErrNoRequest
	}
	return nil
}

// request records a pending request; asking again after a decision asks
// anew (Neucore updates the same application).
func (s *Store) request(ctx context.Context, tx *store.Tx, accountID, groupID int64, kind string) error {
	n, err := tx.Exec(ctx, `INSERT INTO group_requests (group_id, account_id, kind, status, created_at) VALUES ($1, $2, $3, 'pending', $4)
		ON CONFLICT (group_id, account_id, kind) DO UPDATE SET status = 'pending', created_at = excluded.created_at,
			decided_at = NULL, decided_by = NULL
		WHERE group_requests.status <> 'pending'`, groupID, accountID, kind, s.now())
	if err != nil {
		return fmt.Errorf("groups: request: %w", err)
	}
	if n == 0 {
		return ErrPending
	}
	return nil
}

// join makes account a member, logs who did it, and tells the connectors.
func (s *Store) join(ctx context.Context, tx *store.Tx, actor Actor, accountID, groupID int64, request, action string) error {
	n, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, group_id) DO NOTHING`, accountID, groupID, s.now())
	if err != nil {
		return fmt.Errorf("groups: join: %w", err)
	}
	if n == 0 {
		return ErrMember
	}
	if err := s.event(ctx, tx, accountID, groupID, access.EventGroupAdded); err != nil {
		return err
	}
	return s.log(ctx, tx, groupID, accountID, request, action, actor)
}

// leave takes account out of a group, logs who did it, and tells the
// connectors.
func (s *Store) leave(ctx context.Context, tx *store.Tx, actor Actor, accountID, groupID int64, request, action string) error {
	n, err := tx.Exec(ctx, `DELETE FROM group_members WHERE account_id = $1 AND group_id = $2`, accountID, groupID)
	if err != nil {
		return fmt.Errorf("groups: leave: %w", err)
	}
	if n == 0 {
		return ErrNotMember
	}
	if err := s.event(ctx, tx, accountID, groupID, access.EventGroupRemoved); err != nil {
		return err
	}
	return s.log(ctx, tx, groupID, accountID, request, action, actor)
}

func (s *Store) event(ctx context.Context, tx *store.Tx, accountID, groupID int64, kind access.EventKind) error {
	if err := access.WriteEvents(ctx, tx, access.Event{AccountID: accountID, Kind: kind, GroupID: groupID, At: s.now()}); err != nil {
		return fmt.Errorf("groups: event: %w", err)
	}
	return s.follower.Follow(ctx, tx, []int64{accountID}, string(kind))
}

// log writes the audit log: the request (join, leave, removed), the action
// (accept, reject, remove), the account with its main's name, and the actor.
func (s *Store) log(ctx context.Context, q store.Querier, groupID, accountID int64, request, action string, actor Actor) error {
	if _, err := q.Exec(ctx, `INSERT INTO group_log (group_id, group_name, account_id, main_name, request, action, actor_id, actor_name, at)
		SELECT g.id, g.name, a.id, a.name, $3, $4, $5, $6, $7 FROM groups g, accounts a WHERE g.id = $1 AND a.id = $2`,
		groupID, accountID, request, action, nullID(actor.AccountID), actor.Name, s.now()); err != nil {
		return fmt.Errorf("groups: log: %w", err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// after recomputes the account a change concerned: what it joined may
// bring or cost other groups (required and forbidden ones).
func (s *Store) after(ctx context.Context, accountID int64) error {
	_, err := s.recompute.Accounts(ctx, []int64{accountID})
	return err
}

func (s *Store) isMember(ctx context.Context, q store.Querier, accountID, groupID int64) (bool, error) {
	var yes bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM group_members WHERE account_id = $1 AND group_id = $2)`, accountID, groupID).Scan(&yes)
	if err != nil {
		return false, fmt.Errorf("groups: membership: %w", err)
	}
	return yes, nil
}

// managersOf lists the accounts managing a group: its managers and the
// members of its manager groups.
func managersOf(ctx context.Context, q store.Querier, groupID int64) ([]int64, error) {
	out, err := store.Column[int64](ctx, q, `SELECT account_id FROM group_managers WHERE group_id = $1
		UNION SELECT m.account_id FROM group_manager_groups mg JOIN group_members m ON m.group_id = mg.manager_group_id
		WHERE mg.group_id = $1 ORDER BY 1`, groupID)
	if err != nil {
		return nil, fmt.Errorf("groups: managers: %w", err)
	}
	return out, nil
}

// notifyManagers tells a group's managers of a new request, when the
// setting asks for it (Alliance Auth's GROUPMANAGEMENT_REQUESTS_NOTIFICATION).
func (s *Store) notifyManagers(ctx context.Context, tx *store.Tx, groupID int64, from Actor, kind string) error {
	if s.notifier == nil {
		return nil
	}
	values, err := s.settings.Values(ctx)
	if err != nil || !values.Bool(SettingNotifyManagers) {
		return err
	}
	managers, err := managersOf(ctx, tx, groupID)
	if err != nil {
		return err
	}
	var name string
	if err := tx.QueryRow(ctx, `SELECT name FROM groups WHERE id = $1`, groupID).Scan(&name); err != nil {
		return fmt.Errorf("groups: notify: %w", err)
	}
	for _, m := range managers {
		// One unread notice per group and manager, however often
		// members ask (or ask, withdraw and ask again).
		if err := s.notifier.Send(ctx, tx, m, notifications.Notice{Level: notifications.Info,
			TitleKey: "groups.notice.group_request.title", MessageKey: "groups.notice.group_request." + kind,
			Args: map[string]string{"Name": from.Name, "Group": name}, Coalesce: "group_request:" + strconv.FormatInt(groupID, 10)}); err != nil {
			return err
		}
	}
	return nil
}
