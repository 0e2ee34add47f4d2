package evemail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
)

// The EVE server's mail limit as Neucore keeps to it: 4 mails a minute
// from one character (beyond it ESI answers 520, which its specification
// says means an EVE server limit "most of the time"). The
// sending jobs of every process count the sends begun in the last Window
// in the database, so together they never start more than Limit.
const (
	Limit  = 4
	Window = time.Minute
)

// reasonCSPA is the EVE server's reason of a 520 for a recipient's CSPA
// charge not covered by approved_cost (the name Neucore looks for); any
// other 520 is taken for its limit.
const reasonCSPA = "ContactCostNotApproved"

// SendArgs is the job sending one mail.
type SendArgs struct {
	Mail int64 `json:"mail"`
}

// Kind names the job in the queue.
func (SendArgs) Kind() string { return "evemail_send" }

// sendOpts: waits for the limit are snoozes, not attempts; a few attempts
// cover a failure to record the outcome.
func sendOpts() *river.InsertOpts { return &river.InsertOpts{MaxAttempts: 5} }

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	m *Mailer
}

func (w *sendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return time.Minute }

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.m.Deliver(ctx, job.Args.Mail)
}

// WaitError says the mail limit is reached: the job is snoozed (it is a
// jobs.Snoozer) until a slot frees up.
type WaitError struct {
	For time.Duration
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("evemail: %d mails a minute sent; next slot in %s", Limit, e.For)
}

// SnoozeFor makes the job wait for the next slot.
func (e *WaitError) SnoozeFor() time.Duration { return e.For }

// maxError bounds an error recorded.
const maxError = 500

// Deliver sends one queued mail within the limit and records what became
// of it. A mail already begun is not sent again: one interrupted while
// sending may have gone out. It answers *WaitError when the limit leaves
// no slot now.
func (m *Mailer) Deliver(ctx context.Context, id int64) error {
	ml, err := m.mail(ctx, id)
	if errors.Is(err, errNoMail) {
		return nil
	}
	if err != nil {
		return err
	}
	switch ml.Status {
	case StatusQueued:
	case StatusSending:
		return m.finish(ctx, ml, StatusFailed, "interrupted while sending; not sent again", 0, 0)
	default:
		return nil
	}
	sender, err := m.Sender(ctx)
	if err != nil {
		return err
	}
	if sender.CharacterID == 0 {
		return m.finish(ctx, ml, StatusFailed, "no sender chosen", 0, 0)
	}
	wait, ok, err := m.claim(ctx, id)
	if err != nil || !ok {
		return err
	}
	if wait > 0 {
		return &WaitError{For: wait}
	}
	res, err := m.d.ESI.Post(ctx, esi.Request{Route: "POST /characters/{character_id}/mail",
		Path: fmt.Sprintf("/characters/%d/mail", sender.CharacterID), CharacterID: sender.CharacterID, Login: logins.Mail,
		Body: mailBody{Recipients: []recipient{{ID: ml.RecipientID, Type: "character"}}, Subject: ml.Subject, Body: ml.Body}})
	var status *esi.StatusError
	var limited *esi.LimitedError
	switch {
	case err == nil:
		var eveID int64
		if err := json.Unmarshal(res.Body, &eveID); err != nil {
			// Sent all the same: ESI answered 201.
			m.d.Logger.WarnContext(ctx, "EVE mail sent; its id unreadable", "mail", id, "error", err)
		}
		m.d.Logger.InfoContext(ctx, "EVE mail sent", "mail", id, "kind", ml.Kind, "recipient", ml.RecipientID)
		return m.finish(ctx, ml, StatusSent, "", eveID, sender.CharacterID)
	case errors.As(err, &status) && strings.Contains(status.Message, reasonCSPA):
		m.d.Logger.InfoContext(ctx, "EVE mail refused for a CSPA charge", "mail", id, "recipient", ml.RecipientID)
		return m.finish(ctx, ml, StatusRefusedCSPA, status.Message, 0, sender.CharacterID)
	case errors.As(err, &status) && status.Status == 520, errors.As(err, &limited):
		// The EVE server's limit (another program mailing with the same
		// character: MailStopSpamming, or whatever it names it) or ESI's:
		// the mail waits its turn again.
		if err := m.requeue(ctx, id); err != nil {
			return err
		}
		if limited != nil {
			return limited
		}
		return &WaitError{For: Window}
	default:
		m.d.Logger.WarnContext(ctx, "EVE mail not sent", "mail", id, "recipient", ml.RecipientID, "error", err)
		return m.finish(ctx, ml, StatusFailed, err.Error(), 0, sender.CharacterID)
	}
}

// mailBody is the spec's PostCharactersCharacterIdMail_request. No CSPA
// charge is ever approved: Keepstar does not spend the sender's ISK.
type mailBody struct {
	ApprovedCost int64       `json:"approved_cost"`
	Body         string      `json:"body"`
	Recipients   []recipient `json:"recipients"`
	Subject      string      `json:"subject"`
}

type recipient struct {
	ID   int32  `json:"recipient_id"`
	Type string `json:"recipient_type"`
}

// claim takes a slot under the limit for mail id: under the sender row's
// lock (one process at a time, on both engines), it counts the sends begun
// in the last Window and marks the mail sending when there are fewer than
// Limit. wait is how long until a slot frees when there is none; ok is
// false when the mail is no longer queued (another job took it).
func (m *Mailer) claim(ctx context.Context, id int64) (wait time.Duration, ok bool, err error) {
	now := m.d.Now().UTC()
	err = m.d.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE evemail_sender SET id = id WHERE id = 1`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT attempted_at FROM evemail_mails WHERE attempted_at > $1 ORDER BY attempted_at`, now.Add(-Window))
		if err != nil {
			return err
		}
		var recent []time.Time
		for rows.Next() {
			var at time.Time
			if err := rows.Scan(&at); err != nil {
				rows.Close()
				return err
			}
			recent = append(recent, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(recent) >= Limit {
			wait, ok = max(recent[len(recent)-Limit].Add(Window).Sub(now), time.Second), true
			return nil
		}
		n, err := tx.Exec(ctx, `UPDATE evemail_mails SET status = 'sending', attempted_at = $1 WHERE id = $2 AND status = 'queued'`, now, id)
		if err != nil {
			return err
		}
		ok = n == 1
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("evemail: take a slot under the limit: %w", err)
	}
	return wait, ok, nil
}

// requeue puts a mail ESI held back in the queue again; its attempt still
// counts against the limit.
func (m *Mailer) requeue(ctx context.Context, id int64) error {
	if _, err := m.d.DB.Exec(ctx, `UPDATE evemail_mails SET status = 'queued' WHERE id = $1 AND status = 'sending'`, id); err != nil {
		return fmt.Errorf("evemail: requeue mail %d: %w", id, err)
	}
	return nil
}

// finish records a mail's outcome. An invalid-token mail that failed
// (other than for a CSPA charge, which would refuse it again) clears its
// account's flag, so that a later pass tries again.
func (m *Mailer) finish(ctx context.Context, ml Mail, status, msg string, eveID int64, sender int32) error {
	if utf8.RuneCountInString(msg) > maxError {
		msg = string([]rune(msg)[:maxError]) + "…"
	}
	var eve, from any
	if eveID != 0 {
		eve = eveID
	}
	if sender != 0 {
		from = sender
	}
	// Recorded even when the job's time ran out: the sending is over.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return m.d.DB.InTx(rctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(rctx, `UPDATE evemail_mails SET status = $1, error = $2, eve_mail_id = $3, sender_id = $4, done_at = $5 WHERE id = $6`,
			status, msg, eve, from, m.d.Now().UTC(), ml.ID); err != nil {
			return fmt.Errorf("evemail: record mail %d: %w", ml.ID, err)
		}
		if status == StatusFailed && ml.Kind != KindTest {
			if _, err := tx.Exec(rctx, `DELETE FROM evemail_invalid_token WHERE mail_id = $1`, ml.ID); err != nil {
				return fmt.Errorf("evemail: clear the flag of mail %d: %w", ml.ID, err)
			}
			if _, err := tx.Exec(rctx, `DELETE FROM evemail_missing_character WHERE mail_id = $1`, ml.ID); err != nil {
				return fmt.Errorf("evemail: clear the record of mail %d: %w", ml.ID, err)
			}
		}
		return nil
	})
}
