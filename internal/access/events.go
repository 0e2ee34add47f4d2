package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// EventKind says what changed in an account's access. The values are
// stored in access_events.kind, whose CHECK lists the same four.
type EventKind string

const (
	// EventGroupAdded: the account became a member of GroupID (by the
	// engine, a join, an accepted request or an admin). A consumer gives
	// the account what the group maps to on its service.
	EventGroupAdded EventKind = "group-added"
	// EventGroupRemoved: the account stopped being a member of GroupID (the
	// engine, a leave, a removal, the group or its autogroup configuration
	// deleted, a status change; Detail says which of the last three). A
	// consumer takes away what the group mapped to, unless another group
	// still gives it.
	EventGroupRemoved EventKind = "group-removed"
	// EventStateChanged: the account's state is now StateID. A consumer
	// re-reads what the state allows (the state as a role, the name
	// format, the access permission) and applies it.
	EventStateChanged EventKind = "state-changed"
	// EventDeactivationChanged: the account's group deactivation (invalid
	// tokens) is now Detail, a Deactivated ("no", "soon", "yes"). A
	// consumer treats "yes" as having no groups, and restores them when it
	// goes back to "no" or "soon".
	EventDeactivationChanged EventKind = "deactivation-changed"
)

// Event is one row of the access outbox (access_events).
type Event struct {
	// ID is the event's position; written events get theirs from the
	// database, so it is ignored by WriteEvents.
	ID        int64
	AccountID int64
	Kind      EventKind
	GroupID   int64  // the group of EventGroupAdded and EventGroupRemoved; 0 otherwise
	StateID   int64  // the state of EventStateChanged; 0 otherwise
	Detail    string // why, or the new value: see each kind
	At        time.Time
}

// check refuses an event a consumer could not act on.
func (e Event) check() error {
	switch {
	case e.AccountID == 0:
		return errors.New("no account")
	case e.At.IsZero():
		return errors.New("no time")
	}
	switch e.Kind {
	case EventGroupAdded, EventGroupRemoved:
		if e.GroupID == 0 {
			return fmt.Errorf("%s without a group", e.Kind)
		}
	case EventStateChanged:
		if e.StateID == 0 {
			return fmt.Errorf("%s without a state", e.Kind)
		}
	case EventDeactivationChanged:
	default:
		return fmt.Errorf("unknown kind %q", e.Kind)
	}
	return nil
}

// WriteEvents writes events to the outbox, in the transaction of the
// change they describe, so that a consumer never misses a change nor sees
// one rolled back. Every event made in Go goes through here: a
// recomputation's thousands in a few statements (insertRows: one on
// PostgreSQL, one per 1,333 rows on SQLite), a join's one in one.
func WriteEvents(ctx context.Context, tx *store.Tx, events ...Event) error {
	rows := make([][]any, 0, len(events))
	for _, e := range events {
		if err := e.check(); err != nil {
			return fmt.Errorf("access: write event of account %d: %w", e.AccountID, err)
		}
		rows = append(rows, []any{e.AccountID, string(e.Kind), nullInt(e.GroupID), nullInt(e.StateID), e.Detail, e.At})
	}
	return insertRows(ctx, tx, bulk{table: "access_events", columns: "account_id, kind, group_id, state_id, detail, at",
		types: []string{"bigint", "text", "bigint", "bigint", "text", "timestamptz"}}, rows)
}

// Follower is told, in the transaction of a change, of the accounts whose
// access or identity changed (feature.Hooks.AccountsChanged): the
// services mark their syncs there, so that a sync exists if and only if
// its change does. why says what changed, for logs.
type Follower func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error

// follow tells f, if any, of accounts; none is nothing to tell.
func (f Follower) follow(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	if f == nil || len(accounts) == 0 {
		return nil
	}
	return f(ctx, tx, accounts, why)
}

// Follow tells f of accounts, a nil f being no one: for the packages
// that change accounts (groups, states) to call after their change.
func (f Follower) Follow(ctx context.Context, tx *store.Tx, accounts []int64, why string) error {
	return f.follow(ctx, tx, accounts, why)
}

// eventAccounts lists the accounts of events, each once, in order of
// first appearance.
func eventAccounts(events []Event) []int64 {
	seen := make(map[int64]bool, len(events))
	var out []int64
	for _, e := range events {
		if !seen[e.AccountID] {
			seen[e.AccountID] = true
			out = append(out, e.AccountID)
		}
	}
	return out
}

// WriteMemberEvents writes one event of kind (EventGroupAdded or
// EventGroupRemoved) for every membership, row of group_members m, that
// where selects; where's placeholders are $1 to $len(args). It is the
// second form of WriteEvents, for changes made by one statement on every
// member of a group or every group of an account (a group deleted, a
// status changed): the database copies the rows in one INSERT ... SELECT,
// where reading them into Go first and writing them with WriteEvents
// would cost a round trip and, on SQLite, a statement per 1,333 members.
// Call it before the change that takes the memberships away. It gives
// the accounts concerned, each once, for the change's followers.
func WriteMemberEvents(ctx context.Context, q store.Querier, kind EventKind, detail string, at time.Time, where string, args ...any) ([]int64, error) {
	if kind != EventGroupAdded && kind != EventGroupRemoved {
		return nil, fmt.Errorf("access: write member events: %q is not a membership's kind", kind)
	}
	n := len(args)
	query := fmt.Sprintf(`INSERT INTO access_events (account_id, kind, group_id, detail, at)
		SELECT m.account_id, $%d, m.group_id, $%d, $%d FROM group_members m WHERE `, n+1, n+2, n+3) + where + ` RETURNING account_id`
	ids, err := store.Column[int64](ctx, q, query, append(args[:n:n], string(kind), detail, at)...)
	if err != nil {
		return nil, fmt.Errorf("access: write member events: %w", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// ReadEvents gives at most limit events (limit > 0) after position after
// (0: from the start), in the order of their ids. A consumer keeps the
// position it handled up to and resumes from it; see Settled for the
// position to keep on PostgreSQL.
func ReadEvents(ctx context.Context, q store.Querier, after int64, limit int) ([]Event, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("access: read events: limit %d", limit)
	}
	out, err := store.Collect(ctx, q, `SELECT id, account_id, kind, COALESCE(group_id, 0), COALESCE(state_id, 0), detail, at
		FROM access_events WHERE id > $1 ORDER BY id LIMIT $2`, func(rows store.Rows, e *Event) error {
		return rows.Scan(&e.ID, &e.AccountID, &e.Kind, &e.GroupID, &e.StateID, &e.Detail, &e.At)
	}, after, limit)
	if err != nil {
		return nil, fmt.Errorf("access: read events: %w", err)
	}
	return out, nil
}

// Settled gives the position a consumer keeps after handling events, read
// by ReadEvents after position after: the last event's id, unless a gap
// in the ids comes first whose next event is younger than grace; then the
// position just before that gap.
//
// Why: on PostgreSQL an id is taken when its row is inserted and seen when
// its transaction commits, so a transaction still open may commit an id
// below one already read; resuming past it would skip that event for
// good. A gap is such an id, or one of a transaction rolled back, which
// stays a gap for ever; grace, longer than any transaction that writes
// events plus the clock skew between processes (a minute is plenty), tells
// them apart. Events after a held gap are read again next time, so a
// consumer's handling must be idempotent (enqueueing a unique sync job
// is). On SQLite one writer at a time takes ids in order and a rollback
// gives its ids back, so there are no gaps and this is the last id.
func Settled(after int64, events []Event, now time.Time, grace time.Duration) int64 {
	pos := after
	for _, e := range events {
		if e.ID != pos+1 && now.Sub(e.At) < grace {
			return pos
		}
		pos = e.ID
	}
	return pos
}
