package fleetops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// The longest texts, in characters (Alliance Auth's column sizes; the
// description longer, for the plan and the comms).
const (
	maxShort       = 254
	maxDescription = 4000
)

// listLength bounds each list of the page.
const listLength = 200

// Operation is a scheduled fleet operation.
type Operation struct {
	ID          int64
	Name        string
	Doctrine    string
	System      string
	Start       time.Time
	Duration    string
	FC          string
	Type        string
	Description string
	CreatorID   int64
	CreatorName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Input is an operation as an officer enters it.
type Input struct {
	Name, Doctrine, System, Duration, FC, Type, Description string
	// Start is when it starts, or zero when Days, Hours and Minutes from
	// now say.
	Start                time.Time
	Days, Hours, Minutes int
}

// ErrNotFound: no such operation.
var ErrNotFound = errors.New("fleetops: not found")

// errInvalid is an input with problems (i18n.InvalidError).
var errInvalid = errors.New("fleetops: invalid operation")

// check validates an input, every problem at once, and gives its start.
func check(in *Input, now time.Time) (time.Time, error) {
	var ps i18n.Problems
	text := func(field string, s *string, max int, required bool) {
		*s = strings.TrimSpace(strings.ReplaceAll(*s, "\r\n", "\n"))
		switch n := utf8.RuneCountInString(*s); {
		case !utf8.ValidString(*s):
			ps.Add(field, "fleetops.error.invalid_text")
		case n == 0 && required:
			ps.Add(field, "fleetops.error.required")
		case n > max:
			ps.Add(field, "fleetops.error.too_long", "Max", max, "Length", n)
		}
	}
	text("name", &in.Name, maxShort, true)
	text("doctrine", &in.Doctrine, maxShort, true)
	text("system", &in.System, maxShort, true)
	text("duration", &in.Duration, maxShort, false)
	text("fc", &in.FC, maxShort, true)
	text("type", &in.Type, maxShort, false)
	text("description", &in.Description, maxDescription, false)
	var at time.Time
	relative := in.Days != 0 || in.Hours != 0 || in.Minutes != 0
	switch {
	case in.Days < 0 || in.Hours < 0 || in.Minutes < 0 || in.Days > 365 || in.Hours > 23*365 || in.Minutes > 59*365*24:
		ps.Add("relative", "fleetops.error.relative")
	case !in.Start.IsZero() && relative:
		ps.Add("start", "fleetops.error.both_times")
	case !in.Start.IsZero():
		at = in.Start.UTC()
		if at.Year() < 2003 || at.After(now.AddDate(2, 0, 0)) {
			ps.Add("start", "fleetops.error.time_range")
		}
	case relative:
		at = now.Add(time.Duration(in.Days)*24*time.Hour + time.Duration(in.Hours)*time.Hour + time.Duration(in.Minutes)*time.Minute)
	default:
		ps.Add("start", "fleetops.error.no_time")
	}
	return at.Truncate(time.Second), ps.Err(errInvalid)
}

const columns = `o.id, o.name, o.doctrine, o.system, o.start_at, o.duration, o.fc, o.op_type, o.description, o.creator_id,
	o.creator_name, o.created_at, o.updated_at`

// list reads operations matching cond (on o), in order, at most limit.
func list(ctx context.Context, q store.Querier, cond, order string, limit int, args ...any) ([]Operation, error) {
	var out []Operation
	err := store.Each(ctx, q, `SELECT `+columns+` FROM fleet_operations o WHERE `+cond+` ORDER BY `+order+
		fmt.Sprintf(` LIMIT %d`, limit), func(rows store.Rows) error {
		var o Operation
		if err := rows.Scan(&o.ID, &o.Name, &o.Doctrine, &o.System, &o.Start, &o.Duration, &o.FC, &o.Type, &o.Description,
			&o.CreatorID, &o.CreatorName, &o.CreatedAt, &o.UpdatedAt); err != nil {
			return err
		}
		o.Start, o.CreatedAt, o.UpdatedAt = o.Start.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
		out = append(out, o)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("fleetops: list: %w", err)
	}
	return out, nil
}

// startedFor is how long after its start an operation still counts as
// upcoming: a fleet forms up late and flies for hours, and the officers
// want it at the top meanwhile.
const startedFor = time.Hour

// Upcoming lists the operations starting after an hour ago, soonest first;
// Past the others, latest first. Both read the start_at index.
func (f *FleetOps) Upcoming(ctx context.Context, now time.Time) ([]Operation, error) {
	return list(ctx, f.db, `o.start_at >= $1`, `o.start_at, o.id`, listLength, now.Add(-startedFor))
}

func (f *FleetOps) Past(ctx context.Context, now time.Time) ([]Operation, error) {
	return list(ctx, f.db, `o.start_at < $1`, `o.start_at DESC, o.id DESC`, listLength, now.Add(-startedFor))
}

// Get reads one operation.
func (f *FleetOps) Get(ctx context.Context, id int64) (Operation, error) {
	out, err := list(ctx, f.db, `o.id = $1`, `o.id`, 1, id)
	if err != nil {
		return Operation{}, err
	}
	if len(out) == 0 {
		return Operation{}, ErrNotFound
	}
	return out[0], nil
}

// Create checks and stores a new operation by the account (named).
func (f *FleetOps) Create(ctx context.Context, accountID int64, creator string, in Input) (Operation, error) {
	now := f.now().UTC().Truncate(time.Second)
	at, err := check(&in, now)
	if err != nil {
		return Operation{}, err
	}
	var id int64
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO fleet_operations (name, doctrine, system, start_at, duration, fc, op_type, description,
			creator_id, creator_name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			in.Name, in.Doctrine, in.System, at, in.Duration, in.FC, in.Type, in.Description, accountID, creator, now).Scan(&id)
	})
	if err != nil {
		return Operation{}, fmt.Errorf("fleetops: create: %w", err)
	}
	f.logger.InfoContext(ctx, "fleet operation added", "operation", id, "account", accountID, "start", at)
	return f.Get(ctx, id)
}

// Update checks and stores a change of an operation; one whose start
// moved is reminded of again.
func (f *FleetOps) Update(ctx context.Context, accountID int64, id int64, in Input) (Operation, error) {
	now := f.now().UTC().Truncate(time.Second)
	at, err := check(&in, now)
	if err != nil {
		return Operation{}, err
	}
	n, err := f.db.Exec(ctx, `UPDATE fleet_operations SET name = $2, doctrine = $3, system = $4, start_at = $5, duration = $6,
		fc = $7, op_type = $8, description = $9, updated_at = $10,
		notified_at = CASE WHEN start_at = $5 THEN notified_at END WHERE id = $1`,
		id, in.Name, in.Doctrine, in.System, at, in.Duration, in.FC, in.Type, in.Description, now)
	if err != nil {
		return Operation{}, fmt.Errorf("fleetops: update: %w", err)
	}
	if n == 0 {
		return Operation{}, ErrNotFound
	}
	f.logger.InfoContext(ctx, "fleet operation changed", "operation", id, "account", accountID)
	return f.Get(ctx, id)
}

// Delete removes an operation.
func (f *FleetOps) Delete(ctx context.Context, accountID, id int64) error {
	n, err := f.db.Exec(ctx, `DELETE FROM fleet_operations WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("fleetops: delete: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	f.logger.InfoContext(ctx, "fleet operation deleted", "operation", id, "account", accountID)
	return nil
}

// mergeAccounts gives the loser's operations to the winner.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE fleet_operations SET creator_id = $1 WHERE creator_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("fleetops: merge: %w", err)
	}
	return nil
}
