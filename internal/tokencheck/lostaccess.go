package tokencheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// SettingLostAccessDays is Neucore's deleted-lost-access: a character whose
// core.default token EVE has refused for this many days is removed from its
// account. 0 turns it off. Seven days by default: EVE kills a character's
// refresh tokens when it is sold, so without it a sold character keeps
// giving its seller's account whatever its corporation gives until the
// buyer logs in, which may be never (decision record 0019).
var SettingLostAccessDays = settings.Definition{Name: "tokens.lost_access_days", Section: "tokencheck.settings.section.tokens",
	Kind: settings.KindInt, Default: "7", Min: 0, Max: 365,
	Label: "tokencheck.settings.tokens.lost_access_days", Help: "tokencheck.settings.tokens.lost_access_days_help"}

// Notifier tells members that a character's token went invalid
// (*notifications.Store), in the caller's transaction.
type Notifier interface {
	Send(ctx context.Context, q store.Querier, accountID int64, n notifications.Notice) error
}

var _ Notifier = (*notifications.Store)(nil)

// noticeLead is how long before its removal a member is told last, and the
// least time the last notice leaves: a member is never told less than a day
// before the character goes, whatever the setting or its changes.
const noticeLead = 24 * time.Hour

// maxLostAccessPerRun bounds the characters one run acts on; the next tick
// (ten minutes later) takes the rest, the oldest invalid first.
const maxLostAccessPerRun = 1000

// deadlineLayout writes a deadline in notices: the same in every language,
// and still true when the notice is read days later.
const deadlineLayout = "2006-01-02 15:04 UTC"

// lapse is a character whose core.default token EVE refused, as the sweep
// reads it.
type lapse struct {
	characterID  int32
	accountID    int64
	name         string
	version      int64
	invalidSince time.Time
	notices      int
	deadline     time.Time // zero before the first notice
}

// lostAccess is Neucore's deleted-lost-access, with notices first. For
// each character whose core.default token is invalid, and that has no
// token of any login that EVE vouched for since:
//
//   - at once, its account is told: log in with the character again before
//     the deadline (the setting's days from now) or it will be removed;
//   - a day before the deadline, it is told again (unless the period is
//     shorter than two days: then the first notice is the last);
//   - once the deadline announced has passed and the token has been invalid
//     for the setting's days, the character is removed (deleted-lost-access,
//     recorded, the account notified by the removal itself, the main
//     reassigned) and the account recomputed.
//
// A login saving the token again stops the clock (tokens.Store.Save clears
// the notices). Lowering the setting never brings an announced deadline
// forward; raising it pushes removals back. removals false (the SSO looked
// down in this run: members could not log in) sends notices but removes
// nobody.
func (c *Checker) lostAccess(ctx context.Context, r *Report, removals bool) error {
	values, err := c.d.Settings.Values(ctx)
	if err != nil {
		return err
	}
	days := values.Int(SettingLostAccessDays)
	if days <= 0 {
		return nil
	}
	period := time.Duration(days) * 24 * time.Hour
	now := c.d.Now().UTC()
	lapses, err := c.lapses(ctx, now, period)
	if err != nil {
		return err
	}
	var errs []error
	var removedFrom []int64
	for _, l := range lapses {
		due := l.invalidSince.Add(period)
		var err error
		switch {
		case l.notices >= 1 && !now.Before(due) && !now.Before(l.deadline):
			if !removals {
				continue
			}
			var removed bool
			if removed, err = c.removeLapsed(ctx, l, now); removed {
				r.RemovedLostAccess++
				removedFrom = append(removedFrom, l.accountID)
			}
		case l.notices == 0:
			// The whole period from the first notice: the same as from
			// the token's death when the sweep finds it within minutes,
			// and no surprise when the setting is turned on over old
			// invalid tokens (or a site is upgraded).
			deadline := now.Add(period)
			notices := 1
			if period < 2*noticeLead {
				notices = 2 // too little time for a reminder: this one is the last
			}
			var sent bool
			if sent, err = c.noticeLapse(ctx, l, notices, deadline, "tokencheck.notice.lost_access.first"); sent {
				r.LostAccessNoticed++
			}
		case l.notices == 1 && !now.Before(later(due, l.deadline).Add(-noticeLead)):
			var sent bool
			if sent, err = c.noticeLapse(ctx, l, 2, later(due, l.deadline, now.Add(noticeLead)), "tokencheck.notice.lost_access.last"); sent {
				r.LostAccessReminded++
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(removedFrom) > 0 {
		if _, err := c.d.Recomputer.Accounts(ctx, removedFrom); err != nil {
			errs = append(errs, err)
		} else {
			r.Recomputed += len(removedFrom)
		}
	}
	return errors.Join(errs...)
}

// lapses reads the characters on which the sweep may act now: those never
// told, those due a reminder, those due their removal; the oldest invalid
// first.
func (c *Checker) lapses(ctx context.Context, now time.Time, period time.Duration) ([]lapse, error) {
	out, err := store.Collect(ctx, c.d.DB, `SELECT t.character_id, c.account_id, c.name, t.version, t.invalid_since,
			t.lost_access_notices, t.lost_access_deadline
		FROM eve_tokens t JOIN characters c ON c.id = t.character_id
		WHERE t.login = $1 AND t.validity = 'invalid' AND t.invalid_since IS NOT NULL
			AND (t.lost_access_notices = 0
				OR (t.lost_access_notices = 1 AND t.invalid_since <= $2 AND t.lost_access_deadline <= $3)
				OR (t.invalid_since <= $4 AND t.lost_access_deadline <= $5))
			AND NOT EXISTS (SELECT 1 FROM eve_tokens v WHERE v.character_id = t.character_id
				AND v.validity = 'valid' AND v.checked_at > t.invalid_since)
		ORDER BY t.invalid_since, t.character_id LIMIT $6`, func(rows store.Rows, l *lapse) error {
		var deadline *time.Time
		err := rows.Scan(&l.characterID, &l.accountID, &l.name, &l.version, &l.invalidSince, &l.notices, &deadline)
		if deadline != nil {
			l.deadline = *deadline
		}
		return err
	}, logins.Default, now.Add(-period+noticeLead), now.Add(noticeLead), now.Add(-period), now, maxLostAccessPerRun)
	if err != nil {
		return nil, fmt.Errorf("tokencheck: characters with invalid tokens: %w", err)
	}
	return out, nil
}

// guard changes the lapse's token row only if it is still as read (the
// same version: no login saved it since; the same number of notices: no
// other run acted on it), which also locks it; false when it changed.
func guard(ctx context.Context, tx *store.Tx, l lapse, notices int, deadline time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE eve_tokens SET lost_access_notices = $4, lost_access_deadline = $5
		WHERE character_id = $1 AND login = $2 AND version = $3 AND validity = 'invalid' AND lost_access_notices = $6
			AND NOT EXISTS (SELECT 1 FROM eve_tokens v WHERE v.character_id = eve_tokens.character_id
				AND v.validity = 'valid' AND v.checked_at > eve_tokens.invalid_since)`,
		l.characterID, logins.Default, l.version, notices, deadline, l.notices)
	if err != nil {
		return false, fmt.Errorf("tokencheck: lost access of character %d: %w", l.characterID, err)
	}
	return n == 1, nil
}

// noticeLapse records the notices sent and sends this one, in one
// transaction; false when the token changed meanwhile.
func (c *Checker) noticeLapse(ctx context.Context, l lapse, notices int, deadline time.Time, message string) (bool, error) {
	var sent bool
	err := c.d.DB.InTx(ctx, func(tx *store.Tx) error {
		ok, err := guard(ctx, tx, l, notices, deadline)
		if err != nil || !ok {
			return err
		}
		sent = true
		if c.d.Notifier == nil {
			return nil
		}
		// A security notice: never pushed out by other notices before it
		// is read. Not coalesced: at most two per lapse, and the member
		// should see both the first warning and the last.
		return c.d.Notifier.Send(ctx, tx, l.accountID, notifications.Notice{Level: notifications.Danger,
			Security: true,
			TitleKey: "tokencheck.notice.lost_access.title", MessageKey: message,
			Args: map[string]string{"Character": l.name, "Deadline": deadline.UTC().Format(deadlineLayout)}})
	})
	if err != nil {
		return false, fmt.Errorf("tokencheck: notify account %d of character %d's invalid token: %w", l.accountID, l.characterID, err)
	}
	if sent {
		c.d.Logger.InfoContext(ctx, "token check: character's token invalid, account told",
			"character_id", l.characterID, "account_id", l.accountID, "notices", notices, "deadline", deadline)
	}
	return sent, nil
}

// removeLapsed removes the character (deleted-lost-access) if its token is
// still as read; false when it changed meanwhile.
func (c *Checker) removeLapsed(ctx context.Context, l lapse, now time.Time) (bool, error) {
	var removed bool
	err := c.d.DB.InTx(ctx, func(tx *store.Tx) error {
		// The character first, as the account rules lock it before its
		// token, so that a login at the same moment waits instead of
		// deadlocking; SQLite has one writer anyway.
		if tx.Dialect() == config.Postgres {
			var id int32
			err := tx.QueryRow(ctx, `SELECT id FROM characters WHERE id = $1 FOR UPDATE`, l.characterID).Scan(&id)
			if errors.Is(err, store.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		ok, err := guard(ctx, tx, l, l.notices, l.deadline)
		if err != nil || !ok {
			return err
		}
		removed = true
		return c.d.Accounts.Remove(ctx, tx, l.characterID, accounts.DeletedLostAccess)
	})
	if err != nil {
		return false, fmt.Errorf("tokencheck: remove character %d, whose token stayed invalid: %w", l.characterID, err)
	}
	if removed {
		c.d.Logger.InfoContext(ctx, "token check: character removed, its token invalid past the deadline (deleted-lost-access)",
			"character_id", l.characterID, "account_id", l.accountID, "invalid_since", l.invalidSince, "days", now.Sub(l.invalidSince).Hours()/24)
	}
	return removed, nil
}

// later is the latest of the times.
func later(t time.Time, more ...time.Time) time.Time {
	for _, u := range more {
		if u.After(t) {
			t = u
		}
	}
	return t
}
