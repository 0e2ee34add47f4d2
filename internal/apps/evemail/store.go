package evemail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/store"
)

// Kinds of mail.
const (
	KindInvalidToken     = "invalid_token"
	KindMissingCharacter = "missing_character"
	KindTest             = "test"
)

// Statuses of a mail. A mail is sending from the moment its slot under
// the limit is taken until ESI answered.
const (
	StatusQueued      = "queued"
	StatusSending     = "sending"
	StatusSent        = "sent"
	StatusFailed      = "failed"
	StatusRefusedCSPA = "refused_cspa"
)

// Mail is one mail of the send log.
type Mail struct {
	ID            int64
	Kind          string
	AccountID     int64 // the account an invalid-token mail is for; 0 otherwise
	RecipientID   int32
	RecipientName string
	Subject       string
	Body          string
	Status        string
	Error         string
	EVEMailID     int64
	SenderID      int32
	CreatedAt     time.Time
	AttemptedAt   time.Time
	DoneAt        time.Time
}

// Sender is the character whose core.mail token sends.
type Sender struct {
	CharacterID int32 // 0: none chosen
	Name        string
}

// errNoMail: the mail of a job is gone.
var errNoMail = errors.New("evemail: no such mail")

// insertMail records a queued mail and queues its job, in tx.
func (m *Mailer) insertMail(ctx context.Context, tx *store.Tx, mail *Mail) error {
	if err := m.recordMail(ctx, tx, mail); err != nil {
		return err
	}
	if _, err := m.d.Queue.InsertTx(ctx, tx, SendArgs{Mail: mail.ID}, sendOpts()); err != nil {
		return fmt.Errorf("evemail: queue mail: %w", err)
	}
	return nil
}

// insertMails records queued mails and queues their jobs in one insert,
// in tx: a pass that finds a thousand accounts due at once.
func (m *Mailer) insertMails(ctx context.Context, tx *store.Tx, mails []Mail) error {
	params := make([]river.InsertManyParams, 0, len(mails))
	for i := range mails {
		if err := m.recordMail(ctx, tx, &mails[i]); err != nil {
			return err
		}
		params = append(params, river.InsertManyParams{Args: SendArgs{Mail: mails[i].ID}, InsertOpts: sendOpts()})
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := m.d.Queue.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("evemail: queue mails: %w", err)
	}
	return nil
}

// recordMail records a queued mail, in tx.
func (m *Mailer) recordMail(ctx context.Context, tx *store.Tx, mail *Mail) error {
	mail.Status, mail.CreatedAt = StatusQueued, m.d.Now().UTC()
	var account any
	if mail.AccountID != 0 {
		account = mail.AccountID
	}
	err := tx.QueryRow(ctx, `INSERT INTO evemail_mails (kind, account_id, recipient_id, recipient_name, subject, body, status, error, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8) RETURNING id`,
		mail.Kind, account, mail.RecipientID, mail.RecipientName, mail.Subject, mail.Body, mail.Status, mail.CreatedAt).Scan(&mail.ID)
	if err != nil {
		return fmt.Errorf("evemail: record mail: %w", err)
	}
	return nil
}

const mailColumns = `id, kind, account_id, recipient_id, recipient_name, subject, body, status, error, eve_mail_id, sender_id,
	created_at, attempted_at, done_at`

func scanMail(row interface{ Scan(...any) error }) (Mail, error) {
	var ml Mail
	var account, eveID sql.NullInt64
	var sender sql.NullInt32
	var attempted, done sql.NullTime
	err := row.Scan(&ml.ID, &ml.Kind, &account, &ml.RecipientID, &ml.RecipientName, &ml.Subject, &ml.Body, &ml.Status, &ml.Error,
		&eveID, &sender, &ml.CreatedAt, &attempted, &done)
	ml.AccountID, ml.EVEMailID, ml.SenderID = account.Int64, eveID.Int64, sender.Int32
	ml.AttemptedAt, ml.DoneAt = attempted.Time, done.Time
	return ml, err
}

// mail reads one mail.
func (m *Mailer) mail(ctx context.Context, id int64) (Mail, error) {
	ml, err := scanMail(m.d.DB.QueryRow(ctx, `SELECT `+mailColumns+` FROM evemail_mails WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ml, errNoMail
	}
	if err != nil {
		return ml, fmt.Errorf("evemail: read mail %d: %w", id, err)
	}
	return ml, nil
}

// Log lists the newest mails, newest first.
func (m *Mailer) Log(ctx context.Context, limit int) ([]Mail, error) {
	rows, err := m.d.DB.Query(ctx, `SELECT `+mailColumns+` FROM evemail_mails ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("evemail: read the log: %w", err)
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		ml, err := scanMail(rows)
		if err != nil {
			return nil, fmt.Errorf("evemail: read the log: %w", err)
		}
		out = append(out, ml)
	}
	return out, rows.Err()
}

// Sender gives the sending character.
func (m *Mailer) Sender(ctx context.Context) (Sender, error) {
	var s Sender
	var id sql.NullInt32
	if err := m.d.DB.QueryRow(ctx, `SELECT character_id, character_name FROM evemail_sender WHERE id = 1`).Scan(&id, &s.Name); err != nil {
		return s, fmt.Errorf("evemail: read the sender: %w", err)
	}
	s.CharacterID = id.Int32
	return s, nil
}

// Candidates are the characters that may send: those with a valid
// core.mail token.
func (m *Mailer) Candidates(ctx context.Context) ([]Sender, error) {
	rows, err := m.d.DB.Query(ctx, `SELECT t.character_id, t.character_name FROM eve_tokens t
		WHERE t.login = 'core.mail' AND t.validity = 'valid' ORDER BY t.character_name, t.character_id`)
	if err != nil {
		return nil, fmt.Errorf("evemail: read the mail tokens: %w", err)
	}
	defer rows.Close()
	var out []Sender
	for rows.Next() {
		var s Sender
		if err := rows.Scan(&s.CharacterID, &s.Name); err != nil {
			return nil, fmt.Errorf("evemail: read the mail tokens: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ErrNotCandidate: the character chosen has no valid core.mail token.
var ErrNotCandidate = errors.New("evemail: the character has no valid core.mail token")

// SetSender chooses the sending character (0: none) among the candidates.
func (m *Mailer) SetSender(ctx context.Context, characterID int32, by int64) (Sender, error) {
	s := Sender{CharacterID: characterID}
	if characterID != 0 {
		cs, err := m.Candidates(ctx)
		if err != nil {
			return s, err
		}
		found := false
		for _, c := range cs {
			if c.CharacterID == characterID {
				s, found = c, true
			}
		}
		if !found {
			return s, ErrNotCandidate
		}
	}
	var id any
	if s.CharacterID != 0 {
		id = s.CharacterID
	}
	_, err := m.d.DB.Exec(ctx, `UPDATE evemail_sender SET character_id = $1, character_name = $2, changed_by = $3, changed_at = $4 WHERE id = 1`,
		id, s.Name, by, m.d.Now().UTC())
	if err != nil {
		return s, fmt.Errorf("evemail: set the sender: %w", err)
	}
	m.d.Logger.InfoContext(ctx, "EVE mail sender chosen", "character", s.CharacterID, "by", by)
	return s, nil
}

// flagChunk bounds the rows of one insert of flags (PostgreSQL takes at
// most 65,535 parameters; SQLite 32,766).
const flagChunk = 500

// flagAccounts flags the accounts of invalid-token mails, a few hundred
// rows per statement.
func flagAccounts(ctx context.Context, tx *store.Tx, mails []Mail) error {
	for start := 0; start < len(mails); start += flagChunk {
		chunk := mails[start:min(start+flagChunk, len(mails))]
		values := make([]string, len(chunk))
		args := make([]any, 0, 3*len(chunk))
		for i, ml := range chunk {
			values[i] = fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			args = append(args, ml.AccountID, ml.ID, ml.CreatedAt)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO evemail_invalid_token (account_id, mail_id, sent_at) VALUES `+strings.Join(values, ", "), args...); err != nil {
			return fmt.Errorf("evemail: flag accounts: %w", err)
		}
	}
	return nil
}
