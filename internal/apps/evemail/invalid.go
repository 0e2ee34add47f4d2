package evemail

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// InvalidTokenArgs is the periodic pass of the invalid-token mail.
type InvalidTokenArgs struct{}

// Kind names the job in the queue.
func (InvalidTokenArgs) Kind() string { return "evemail_invalid_token" }

type invalidWorker struct {
	river.WorkerDefaults[InvalidTokenArgs]
	m *Mailer
}

func (w *invalidWorker) Timeout(*river.Job[InvalidTokenArgs]) time.Duration { return 5 * time.Minute }

func (w *invalidWorker) Work(ctx context.Context, _ *river.Job[InvalidTokenArgs]) error {
	_, _, err := w.m.InvalidTokenPass(ctx)
	return err
}

// A character's token is invalid when it has no valid core.default token
// (Neucore: the default login's token invalid or missing).
const invalidCharacter = `NOT EXISTS (SELECT 1 FROM eve_tokens t WHERE t.character_id = %s.id AND t.login = 'core.default' AND t.validity = 'valid')`

// InvalidTokenPass resets the flag of accounts whose tokens are all valid
// again, then, when the mail is active and a sender chosen, queues it for
// every standard, active account not flagged that has a character with an
// invalid token and a character in a configured alliance or corporation:
// to its main, else to its first character with an invalid token. Managed
// accounts are never mailed.
func (m *Mailer) InvalidTokenPass(ctx context.Context) (queued, reset int, err error) {
	n, err := m.d.DB.Exec(ctx, `DELETE FROM evemail_invalid_token WHERE NOT EXISTS (SELECT 1 FROM characters c
		WHERE c.account_id = evemail_invalid_token.account_id AND `+fmt.Sprintf(invalidCharacter, "c")+`)`)
	if err != nil {
		return 0, 0, fmt.Errorf("evemail: reset the invalid-token flags: %w", err)
	}
	reset = int(n)
	v, err := m.d.Settings.Current(ctx)
	if err != nil {
		return 0, reset, err
	}
	// Nothing to say without a subject: the mail waits for one.
	if !v.Bool(SettingInvalidActive) || v.String(SettingInvalidSubject) == "" {
		return 0, reset, nil
	}
	sender, err := m.Sender(ctx)
	if err != nil || sender.CharacterID == 0 {
		return 0, reset, err
	}
	alliances, err := ids(v.String(SettingInvalidAlliances))
	if err != nil {
		return 0, reset, err
	}
	corporations, err := ids(v.String(SettingInvalidCorporations))
	if err != nil {
		return 0, reset, err
	}
	if len(alliances) == 0 && len(corporations) == 0 {
		return 0, reset, nil
	}
	due, err := m.invalidDue(ctx, alliances, corporations)
	if err != nil {
		return 0, reset, err
	}
	subject, body := v.String(SettingInvalidSubject), v.String(SettingInvalidBody)
	mails := make([]Mail, len(due))
	for i, d := range due {
		mails[i] = Mail{Kind: KindInvalidToken, AccountID: d.account, RecipientID: d.to, RecipientName: d.name, Subject: subject, Body: body}
	}
	err = m.d.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := m.insertMails(ctx, tx, mails); err != nil {
			return err
		}
		return flagAccounts(ctx, tx, mails)
	})
	if err != nil {
		return 0, reset, err
	}
	if len(due) > 0 || reset > 0 {
		m.d.Logger.InfoContext(ctx, "invalid-token mails queued", "queued", len(due), "reset", reset)
	}
	return len(due), reset, nil
}

// invalidMail is an account due the invalid-token mail and its recipient.
type invalidMail struct {
	account int64
	to      int32
	name    string
}

// invalidDue lists the accounts due the invalid-token mail.
func (m *Mailer) invalidDue(ctx context.Context, alliances, corporations []int32) ([]invalidMail, error) {
	rows, err := m.d.DB.Query(ctx, `SELECT a.id, c.id, c.name, c.main, COALESCE(c.corporation_id, 0), COALESCE(c.alliance_id, 0),
		CASE WHEN `+fmt.Sprintf(invalidCharacter, "c")+` THEN 1 ELSE 0 END
		FROM accounts a JOIN characters c ON c.account_id = a.id
		WHERE a.status = 'standard' AND a.active
		AND NOT EXISTS (SELECT 1 FROM evemail_invalid_token f WHERE f.account_id = a.id)
		AND EXISTS (SELECT 1 FROM characters x WHERE x.account_id = a.id AND `+fmt.Sprintf(invalidCharacter, "x")+`)
		ORDER BY a.id, c.id`)
	if err != nil {
		return nil, fmt.Errorf("evemail: find invalid tokens: %w", err)
	}
	defer rows.Close()
	var out []invalidMail
	var cur invalidMail
	var matched bool
	var firstInvalid invalidMail
	flush := func() {
		if cur.account == 0 {
			return
		}
		if cur.to == 0 {
			cur.to, cur.name = firstInvalid.to, firstInvalid.name
		}
		if matched && cur.to != 0 {
			out = append(out, cur)
		}
	}
	for rows.Next() {
		var account int64
		var id, corp, alliance int32
		var name string
		var main bool
		var invalid int
		if err := rows.Scan(&account, &id, &name, &main, &corp, &alliance, &invalid); err != nil {
			return nil, fmt.Errorf("evemail: find invalid tokens: %w", err)
		}
		if account != cur.account {
			flush()
			cur, matched, firstInvalid = invalidMail{account: account}, false, invalidMail{}
		}
		if main {
			cur.to, cur.name = id, name
		}
		if invalid == 1 && firstInvalid.to == 0 {
			firstInvalid = invalidMail{to: id, name: name}
		}
		matched = matched || slices.Contains(corporations, corp) || alliance != 0 && slices.Contains(alliances, alliance)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("evemail: find invalid tokens: %w", err)
	}
	flush()
	return out, nil
}

// SendTest queues a test mail of kind (KindInvalidToken or
// KindMissingCharacter: its subject and body) to a character.
func (m *Mailer) SendTest(ctx context.Context, kind string, to int32, name string) (Mail, error) {
	v, err := m.d.Settings.Values(ctx)
	if err != nil {
		return Mail{}, err
	}
	var subject, body settings.Definition
	switch kind {
	case KindInvalidToken:
		subject, body = SettingInvalidSubject, SettingInvalidBody
	case KindMissingCharacter:
		subject, body = SettingMissingSubject, SettingMissingBody
	default:
		return Mail{}, fmt.Errorf("evemail: no test mail %q", kind)
	}
	ml := Mail{Kind: KindTest, RecipientID: to, RecipientName: name, Subject: v.String(subject), Body: v.String(body)}
	err = m.d.DB.InTx(ctx, func(tx *store.Tx) error { return m.insertMail(ctx, tx, &ml) })
	return ml, err
}
