package notifications

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// Level is a notification's colour.
type Level string

const (
	Info    Level = "info"
	Success Level = "success"
	Warning Level = "warning"
	Danger  Level = "danger"
)

// Levels lists the levels.
var Levels = []Level{Info, Success, Warning, Danger}

// Notice is a notification to send. Keepstar's own notices name message ids
// (TitleKey, MessageKey) and their Args, so that each member reads them in
// their own language; Title and Message are plain text for the rest.
type Notice struct {
	Level      Level
	Title      string
	Message    string
	TitleKey   string
	MessageKey string
	Args       map[string]string
	// Security marks a notice about the account's safety: a character
	// moved to another account or removed, accounts merged, a token gone
	// invalid (a character about to be removed). While unread, it is never
	// dropped to make room for newer notices, nor counted against the
	// per-member maximum; what another member can cause must never carry
	// it, or they could fill the account with notices nothing drops.
	Security bool
	// Coalesce, when set, names what the notice is about (as
	// "group_request:12"): while the recipient has an unread notice of the
	// same key, sending updates that one (its text, level and time, and
	// Count) instead of adding another. Notices that other members cause
	// at will (requests to a group's managers) carry one, so that no member
	// can flood another's notifications and push out older ones.
	Coalesce string
}

// Notification is a stored notification.
type Notification struct {
	ID        int64
	AccountID int64
	Notice
	// CreatedAt is when it was last sent; Count how often it was sent,
	// coalesced into this one (1 for most).
	CreatedAt time.Time
	Count     int
	Read      bool
}

// Settings of notifications.
var (
	SettingMaxPerUser = settings.Definition{Name: "notifications.max_per_user", Section: "notifications.settings.section",
		Kind: settings.KindInt, Default: "50", Min: 1, Max: 10000,
		Label: "notifications.settings.max_per_user", Help: "notifications.settings.max_per_user_help"}
	SettingRefreshSeconds = settings.Definition{Name: "notifications.refresh_seconds", Section: "notifications.settings.section",
		Kind: settings.KindInt, Default: "30", Min: 0, Max: 3600,
		Label: "notifications.settings.refresh_seconds", Help: "notifications.settings.refresh_seconds_help"}
	SettingMaxAgeDays = settings.Definition{Name: "notifications.max_age_days", Section: "notifications.settings.section",
		Kind: settings.KindInt, Default: "90", Min: 0, Max: 3650,
		Label: "notifications.settings.max_age_days", Help: "notifications.settings.max_age_days_help"}
)

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingMaxPerUser, SettingRefreshSeconds, SettingMaxAgeDays}

// ErrNotFound: no such notification of this member.
var ErrNotFound = errors.New("notifications: not found")

// Store keeps the notifications.
type Store struct {
	db       *store.DB
	settings *settings.Store
	now      func() time.Time
}

// NewStore makes a Store; now nil means time.Now.
func NewStore(db *store.DB, st *settings.Store, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, settings: st, now: now}
}

// Send stores a notice for an account on q (the sender's transaction), and
// drops the account's oldest past the maximum, but never an unread security
// notice. A notice with a Coalesce key updates the account's unread notice of
// that key when there is one.
func (s *Store) Send(ctx context.Context, q store.Querier, accountID int64, n Notice) error {
	if !slices.Contains(Levels, n.Level) {
		return fmt.Errorf("notifications: send: unknown level %q", n.Level)
	}
	if n.Title == "" && n.TitleKey == "" {
		return errors.New("notifications: send: a notice needs a title")
	}
	args, err := json.Marshal(n.Args)
	if err != nil {
		return fmt.Errorf("notifications: send: %w", err)
	}
	values, err := s.settings.Values(ctx)
	if err != nil {
		return err
	}
	// The conflict target is the partial unique index of unread notices
	// with a key: a notice without one never conflicts. A coalesced notice
	// that once was a security notice stays one.
	if _, err := q.Exec(ctx, `INSERT INTO notifications (account_id, level, title, message, title_key, message_key, args, created_at, security, coalesce_key, sent_count)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
		ON CONFLICT (account_id, coalesce_key) WHERE read_at IS NULL AND coalesce_key <> '' DO UPDATE SET
			level = excluded.level, title = excluded.title, message = excluded.message, title_key = excluded.title_key,
			message_key = excluded.message_key, args = excluded.args, created_at = excluded.created_at,
			security = notifications.security OR excluded.security, sent_count = notifications.sent_count + 1`,
		accountID, n.Level, n.Title, n.Message, n.TitleKey, n.MessageKey, string(args), s.now(), n.Security, n.Coalesce); err != nil {
		return fmt.Errorf("notifications: send to account %d: %w", accountID, err)
	}
	return trim(ctx, q, accountID, values.Int(SettingMaxPerUser))
}

// trim keeps an account's newest notices up to keep, not counting unread
// security notices, which it never drops.
func trim(ctx context.Context, q store.Querier, accountID int64, keep int) error {
	if _, err := q.Exec(ctx, `DELETE FROM notifications WHERE account_id = $1 AND NOT (security AND read_at IS NULL) AND id NOT IN
		(SELECT id FROM notifications WHERE account_id = $1 AND NOT (security AND read_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT $2)`, accountID, keep); err != nil {
		return fmt.Errorf("notifications: trim account %d: %w", accountID, err)
	}
	return nil
}

// List gives an account's notifications, newest first.
func (s *Store) List(ctx context.Context, accountID int64) ([]Notification, error) {
	out, err := store.Collect(ctx, s.db, `SELECT id, account_id, level, title, message, title_key, message_key, args, created_at, read_at, security, coalesce_key, sent_count
		FROM notifications WHERE account_id = $1 ORDER BY created_at DESC, id DESC`, func(rows store.Rows, n *Notification) error {
		var args string
		var read *time.Time
		if err := rows.Scan(&n.ID, &n.AccountID, &n.Level, &n.Title, &n.Message, &n.TitleKey, &n.MessageKey, &args, &n.CreatedAt, &read, &n.Security, &n.Coalesce, &n.Count); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(args), &n.Args); err != nil {
			return fmt.Errorf("arguments of %d: %w", n.ID, err)
		}
		n.Read = read != nil
		return nil
	}, accountID)
	if err != nil {
		return nil, fmt.Errorf("notifications: list: %w", err)
	}
	return out, nil
}

// Unread counts an account's unread notifications.
func (s *Store) Unread(ctx context.Context, accountID int64) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("notifications: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks one notification of the account read.
func (s *Store) MarkRead(ctx context.Context, accountID, id int64) error {
	n, err := s.db.Exec(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE account_id = $1 AND id = $2`, accountID, id, s.now())
	return one(n, err, "mark read", id)
}

// MarkAllRead marks all of the account's notifications read.
func (s *Store) MarkAllRead(ctx context.Context, accountID int64) error {
	if _, err := s.db.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL`, accountID, s.now()); err != nil {
		return fmt.Errorf("notifications: mark all read: %w", err)
	}
	return nil
}

// Delete deletes one notification of the account.
func (s *Store) Delete(ctx context.Context, accountID, id int64) error {
	n, err := s.db.Exec(ctx, `DELETE FROM notifications WHERE account_id = $1 AND id = $2`, accountID, id)
	return one(n, err, "delete", id)
}

// DeleteRead deletes the account's read notifications.
func (s *Store) DeleteRead(ctx context.Context, accountID int64) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM notifications WHERE account_id = $1 AND read_at IS NOT NULL`, accountID); err != nil {
		return fmt.Errorf("notifications: delete read: %w", err)
	}
	return nil
}

func one(n int64, err error, what string, id int64) error {
	if err != nil {
		return fmt.Errorf("notifications: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return nil
}

// MergeAccounts gives a merged account's notifications to the winner. Where
// both have an unread notice of one coalescing key, the loser's stays a
// notice of its own (its key is cleared), as one account may hold only one.
func (s *Store) MergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE notifications SET coalesce_key = '' WHERE account_id = $2 AND read_at IS NULL AND coalesce_key <> ''
		AND coalesce_key IN (SELECT coalesce_key FROM notifications WHERE account_id = $1 AND read_at IS NULL)`, winner, loser); err != nil {
		return fmt.Errorf("notifications: merge account %d into %d: %w", loser, winner, err)
	}
	if _, err := q.Exec(ctx, `UPDATE notifications SET account_id = $1 WHERE account_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("notifications: merge account %d into %d: %w", loser, winner, err)
	}
	return nil
}
