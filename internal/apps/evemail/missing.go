package evemail

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/store"
)

// Members is what member tracking tells the missing-character mail: the
// members of tracked corporations who have no Keepstar account
// (TrackedMembers; tests give their own).
type Members interface {
	// Unregistered lists the members of corporations (tracked ones) who
	// are on no account and logged on at or after since.
	Unregistered(ctx context.Context, corporations []int32, since time.Time) ([]Member, error)
}

// Member is a tracked member without an account.
type Member struct {
	CharacterID   int32
	Name          string
	CorporationID int32
	LastLogon     time.Time
}

// TrackedMembers answers Members from member tracking's stored data
// (internal/apps/tracking), which its own job keeps current: the mail reads
// no ESI of its own.
type TrackedMembers struct{ DB store.Querier }

// Unregistered lists tracked members on no account who logged on since.
func (t TrackedMembers) Unregistered(ctx context.Context, corporations []int32, since time.Time) ([]Member, error) {
	absent, err := tracking.Unregistered(ctx, t.DB, corporations, since)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(absent))
	for i, a := range absent {
		out[i] = Member{CharacterID: a.CharacterID, Name: a.Name, CorporationID: a.CorporationID, LastLogon: a.LogonAt}
	}
	return out, nil
}

// MissingCharacterArgs is the periodic pass of the missing-character mail.
type MissingCharacterArgs struct{}

// Kind names the job in the queue.
func (MissingCharacterArgs) Kind() string { return "evemail_missing_character" }

type missingWorker struct {
	river.WorkerDefaults[MissingCharacterArgs]
	m *Mailer
}

func (w *missingWorker) Timeout(*river.Job[MissingCharacterArgs]) time.Duration {
	return 5 * time.Minute
}

func (w *missingWorker) Work(ctx context.Context, _ *river.Job[MissingCharacterArgs]) error {
	_, err := w.m.MissingCharacterPass(ctx)
	return err
}

// MissingCharacterPass queues the missing-character mail, when it is
// active and a sender chosen, for the members of the configured
// corporations without an account who logged on within the last N days
// and were not mailed within them: sent again after N days, as Neucore
// does. It counts how often each was mailed.
func (m *Mailer) MissingCharacterPass(ctx context.Context) (int, error) {
	if m.d.Members == nil {
		return 0, nil
	}
	v, err := m.d.Settings.Current(ctx)
	if err != nil {
		return 0, err
	}
	if !v.Bool(SettingMissingActive) || v.String(SettingMissingSubject) == "" {
		return 0, nil
	}
	sender, err := m.Sender(ctx)
	if err != nil || sender.CharacterID == 0 {
		return 0, err
	}
	corporations, err := ids(v.String(SettingMissingCorporations))
	if err != nil || len(corporations) == 0 {
		return 0, err
	}
	now := m.d.Now().UTC()
	since := now.Add(-time.Duration(v.Int(SettingMissingDays)) * 24 * time.Hour)
	members, err := m.d.Members.Unregistered(ctx, corporations, since)
	if err != nil {
		return 0, fmt.Errorf("evemail: tracked members: %w", err)
	}
	subject, body := v.String(SettingMissingSubject), v.String(SettingMissingBody)
	queued := 0
	err = m.d.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, mb := range members {
			// Mailed within the last N days, or on an account after all
			// (the tracking data lagging behind a login): not now.
			var skip int
			if err := tx.QueryRow(ctx, `SELECT
				(SELECT COUNT(*) FROM evemail_missing_character WHERE character_id = $1 AND sent_at > $2) +
				(SELECT COUNT(*) FROM characters WHERE id = $1)`, mb.CharacterID, since).Scan(&skip); err != nil {
				return fmt.Errorf("evemail: missing character %d: %w", mb.CharacterID, err)
			}
			if skip > 0 {
				continue
			}
			ml := Mail{Kind: KindMissingCharacter, RecipientID: mb.CharacterID, RecipientName: mb.Name, Subject: subject, Body: body}
			if err := m.insertMail(ctx, tx, &ml); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO evemail_missing_character (character_id, mail_id, sent_at, count) VALUES ($1, $2, $3, 1)
				ON CONFLICT (character_id) DO UPDATE SET mail_id = excluded.mail_id, sent_at = excluded.sent_at,
				count = evemail_missing_character.count + 1`, mb.CharacterID, ml.ID, ml.CreatedAt); err != nil {
				return fmt.Errorf("evemail: record missing character %d: %w", mb.CharacterID, err)
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if queued > 0 {
		m.d.Logger.InfoContext(ctx, "missing-character mails queued", "queued", queued)
	}
	return queued, nil
}
