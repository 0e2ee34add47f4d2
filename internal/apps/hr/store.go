package hr

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
)

// Errors the pages turn into answers.
var (
	ErrNotFound    = errors.New("hr: not found")
	ErrFormExists  = errors.New("hr: the corporation has a form")
	ErrUnknownCorp = errors.New("hr: unknown corporation")
	ErrPending     = errors.New("hr: an application is pending")
	ErrNotPending  = errors.New("hr: the application is decided")
	ErrNotClaimed  = errors.New("hr: the application is claimed by another reviewer or by none")
)

// Problem is input refused, with the message saying why.
type Problem struct {
	Key  string
	Args []any
}

func (p *Problem) Error() string { return "hr: invalid input: " + p.Key }

func problem(key string, args ...any) error { return &Problem{Key: key, Args: args} }

// Limits of the input.
const (
	maxTitle       = 200
	maxHelp        = 1000
	maxDescription = 2000
	maxChoices     = 20
	maxChoice      = 200
	maxAnswer      = 5000
	maxComment     = 2000
	maxQuestions   = 50
)

// Statuses of an application, Alliance Auth's approved null, true, false.
const (
	Pending  = "pending"
	Approved = "approved"
	Rejected = "rejected"
)

// Form is a corporation's application form.
type Form struct {
	ID              int64
	CorporationID   int32
	CorporationName string
	Description     string
	Questions       int
	CreatedAt       time.Time
}

// Question is one of a form's questions; Choices empty asks a free text.
type Question struct {
	ID       int64
	FormID   int64
	Position int
	Title    string
	Help     string
	Choices  []string
}

// CreateForm makes the form of a corporation Keepstar knows (its
// directory), at most one per corporation.
func (h *HR) CreateForm(ctx context.Context, corporationID int32, description string) (Form, error) {
	description = strings.TrimSpace(description)
	if utf8.RuneCountInString(description) > maxDescription {
		return Form{}, problem("hr.error.description_long", "Max", maxDescription)
	}
	f := Form{CorporationID: corporationID, Description: description, CreatedAt: h.now().UTC()}
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT name FROM eve_corporations WHERE id = $1`, corporationID).Scan(&f.CorporationName); err != nil {
			if errors.Is(err, store.ErrNoRows) {
				return ErrUnknownCorp
			}
			return err
		}
		err := tx.QueryRow(ctx, `INSERT INTO hr_forms (corporation_id, corporation_name, description, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (corporation_id) DO NOTHING RETURNING id`,
			corporationID, f.CorporationName, description, f.CreatedAt).Scan(&f.ID)
		if errors.Is(err, store.ErrNoRows) {
			return ErrFormExists
		}
		return err
	})
	if err != nil {
		return Form{}, fmt.Errorf("hr: create form: %w", err)
	}
	return f, nil
}

const formColumns = `f.id, f.corporation_id, f.corporation_name, f.description, f.created_at,
	(SELECT COUNT(*) FROM hr_questions q WHERE q.form_id = f.id)`

func scanForm(rows store.Row, f *Form) error {
	return rows.Scan(&f.ID, &f.CorporationID, &f.CorporationName, &f.Description, &f.CreatedAt, &f.Questions)
}

// Forms lists every form, by corporation name.
func (h *HR) Forms(ctx context.Context) ([]Form, error) {
	fs, err := store.Collect(ctx, h.db, `SELECT `+formColumns+` FROM hr_forms f ORDER BY f.corporation_name, f.id`,
		func(rows store.Rows, f *Form) error { return scanForm(rows, f) })
	if err != nil {
		return nil, fmt.Errorf("hr: forms: %w", err)
	}
	return fs, nil
}

// Form gives a form and its questions, in order.
func (h *HR) Form(ctx context.Context, id int64) (Form, []Question, error) {
	var f Form
	if err := scanForm(h.db.QueryRow(ctx, `SELECT `+formColumns+` FROM hr_forms f WHERE f.id = $1`, id), &f); err != nil {
		if errors.Is(err, store.ErrNoRows) {
			return Form{}, nil, ErrNotFound
		}
		return Form{}, nil, fmt.Errorf("hr: form %d: %w", id, err)
	}
	qs, err := questions(ctx, h.db, id)
	if err != nil {
		return Form{}, nil, err
	}
	return f, qs, nil
}

func questions(ctx context.Context, q store.Querier, form int64) ([]Question, error) {
	qs, err := store.Collect(ctx, q, `SELECT id, form_id, position, title, help_text, choices FROM hr_questions
		WHERE form_id = $1 ORDER BY position, id`, func(rows store.Rows, q *Question) error {
		var choices string
		if err := rows.Scan(&q.ID, &q.FormID, &q.Position, &q.Title, &q.Help, &choices); err != nil {
			return err
		}
		if choices != "" {
			q.Choices = strings.Split(choices, "\n")
		}
		return nil
	}, form)
	if err != nil {
		return nil, fmt.Errorf("hr: questions of %d: %w", form, err)
	}
	return qs, nil
}

// QuestionInput is a question as the form page sends it: choices one per
// line, blank lines left out.
type QuestionInput struct {
	Title, Help, Choices string
	Position             int
}

// AddQuestion adds a question to a form.
func (h *HR) AddQuestion(ctx context.Context, form int64, in QuestionInput) (Question, error) {
	q := Question{FormID: form, Position: in.Position, Title: strings.TrimSpace(in.Title), Help: strings.TrimSpace(in.Help)}
	switch {
	case q.Title == "":
		return Question{}, problem("hr.error.title_empty")
	case utf8.RuneCountInString(q.Title) > maxTitle:
		return Question{}, problem("hr.error.title_long", "Max", maxTitle)
	case utf8.RuneCountInString(q.Help) > maxHelp:
		return Question{}, problem("hr.error.help_long", "Max", maxHelp)
	case q.Position < 0 || q.Position > 1000:
		return Question{}, problem("hr.error.position", "Max", 1000)
	}
	for _, c := range strings.Split(in.Choices, "\n") {
		c = strings.TrimSpace(c)
		switch {
		case c == "" || slices.Contains(q.Choices, c):
			continue
		case utf8.RuneCountInString(c) > maxChoice:
			return Question{}, problem("hr.error.choice_long", "Max", maxChoice)
		}
		q.Choices = append(q.Choices, c)
	}
	if len(q.Choices) == 1 || len(q.Choices) > maxChoices {
		return Question{}, problem("hr.error.choices", "Max", maxChoices)
	}
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM hr_questions WHERE form_id = $1`, form).Scan(&n); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hr_forms WHERE id = $1)`, form).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		if n >= maxQuestions {
			return problem("hr.error.too_many_questions", "Max", maxQuestions)
		}
		return tx.QueryRow(ctx, `INSERT INTO hr_questions (form_id, position, title, help_text, choices)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, form, q.Position, q.Title, q.Help, strings.Join(q.Choices, "\n")).Scan(&q.ID)
	})
	if err != nil {
		return Question{}, fmt.Errorf("hr: add question to %d: %w", form, err)
	}
	return q, nil
}

// DeleteQuestion removes a question of a form, and its answers.
func (h *HR) DeleteQuestion(ctx context.Context, form, question int64) error {
	n, err := h.db.Exec(ctx, `DELETE FROM hr_questions WHERE id = $1 AND form_id = $2`, question, form)
	if err != nil {
		return fmt.Errorf("hr: delete question %d: %w", question, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Application is an account's application to a form.
type Application struct {
	ID              int64
	FormID          int64
	CorporationID   int32
	CorporationName string
	AccountID       int64
	Applicant       string // the account's main's name
	Status          string
	ReviewerID      int64 // 0: not claimed
	ReviewerName    string
	CreatedAt       time.Time
	DecidedAt       *time.Time
}

// Answer is the answer to one of the form's questions.
type Answer struct {
	Question string
	Answer   string
}

// Apply stores an account's application, answers keyed by question id:
// every question answered, a choice one of the question's.
func (h *HR) Apply(ctx context.Context, form, account int64, answers map[int64]string) (int64, error) {
	var id int64
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hr_forms WHERE id = $1)`, form).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		qs, err := questions(ctx, tx, form)
		if err != nil {
			return err
		}
		for _, q := range qs {
			a := strings.TrimSpace(answers[q.ID])
			switch {
			case a == "":
				return problem("hr.error.answer_empty", "Question", q.Title)
			case utf8.RuneCountInString(a) > maxAnswer:
				return problem("hr.error.answer_long", "Question", q.Title, "Max", maxAnswer)
			case q.Choices != nil && !slices.Contains(q.Choices, a):
				return problem("hr.error.answer_choice", "Question", q.Title)
			}
			answers[q.ID] = a
		}
		err = tx.QueryRow(ctx, `INSERT INTO hr_applications (form_id, account_id, status, reviewer_name, created_at)
			VALUES ($1, $2, 'pending', '', $3) ON CONFLICT (form_id, account_id) WHERE status = 'pending' DO NOTHING RETURNING id`,
			form, account, h.now().UTC()).Scan(&id)
		if errors.Is(err, store.ErrNoRows) {
			return ErrPending
		}
		if err != nil {
			return err
		}
		for _, q := range qs {
			if _, err := tx.Exec(ctx, `INSERT INTO hr_answers (application_id, question_id, answer) VALUES ($1, $2, $3)`,
				id, q.ID, answers[q.ID]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("hr: apply to %d: %w", form, err)
	}
	return id, nil
}

const applicationColumns = `a.id, a.form_id, f.corporation_id, f.corporation_name, a.account_id,
	COALESCE((SELECT c.name FROM characters c WHERE c.account_id = a.account_id AND c.main), ''),
	a.status, COALESCE(a.reviewer_id, 0), a.reviewer_name, a.created_at, a.decided_at`

func scanApplication(rows store.Row, a *Application) error {
	return rows.Scan(&a.ID, &a.FormID, &a.CorporationID, &a.CorporationName, &a.AccountID, &a.Applicant, &a.Status,
		&a.ReviewerID, &a.ReviewerName, &a.CreatedAt, &a.DecidedAt)
}

// Mine lists an account's applications, the newest first.
func (h *HR) Mine(ctx context.Context, account int64) ([]Application, error) {
	as, err := store.Collect(ctx, h.db, `SELECT `+applicationColumns+` FROM hr_applications a
		JOIN hr_forms f ON f.id = a.form_id WHERE a.account_id = $1 ORDER BY a.id DESC`,
		func(rows store.Rows, a *Application) error { return scanApplication(rows, a) }, account)
	if err != nil {
		return nil, fmt.Errorf("hr: applications of %d: %w", account, err)
	}
	return as, nil
}

// Application gives one application and its answers.
func (h *HR) Application(ctx context.Context, id int64) (Application, []Answer, error) {
	var a Application
	if err := scanApplication(h.db.QueryRow(ctx, `SELECT `+applicationColumns+` FROM hr_applications a
		JOIN hr_forms f ON f.id = a.form_id WHERE a.id = $1`, id), &a); err != nil {
		if errors.Is(err, store.ErrNoRows) {
			return Application{}, nil, ErrNotFound
		}
		return Application{}, nil, fmt.Errorf("hr: application %d: %w", id, err)
	}
	as, err := store.Collect(ctx, h.db, `SELECT q.title, r.answer FROM hr_answers r JOIN hr_questions q ON q.id = r.question_id
		WHERE r.application_id = $1 ORDER BY q.position, q.id`,
		func(rows store.Rows, a *Answer) error { return rows.Scan(&a.Question, &a.Answer) }, id)
	if err != nil {
		return Application{}, nil, fmt.Errorf("hr: answers of %d: %w", id, err)
	}
	return a, as, nil
}

// Withdraw deletes an account's own pending application, as Alliance
// Auth lets an applicant delete theirs while it is pending.
func (h *HR) Withdraw(ctx context.Context, account, id int64) error {
	n, err := h.db.Exec(ctx, `DELETE FROM hr_applications WHERE id = $1 AND account_id = $2 AND status = 'pending'`, id, account)
	if err != nil {
		return fmt.Errorf("hr: withdraw %d: %w", id, err)
	}
	if n == 0 {
		return ErrNotPending
	}
	return nil
}

// Claim makes a reviewer the application's, Alliance Auth's reviewer: a
// pending application not claimed yet, or already theirs.
func (h *HR) Claim(ctx context.Context, id, reviewer int64, reviewerName string) error {
	n, err := h.db.Exec(ctx, `UPDATE hr_applications SET reviewer_id = $2, reviewer_name = $3
		WHERE id = $1 AND status = 'pending' AND (reviewer_id IS NULL OR reviewer_id = $2)`, id, reviewer, reviewerName)
	if err != nil {
		return fmt.Errorf("hr: claim %d: %w", id, err)
	}
	if n == 0 {
		return ErrNotClaimed
	}
	return nil
}

// Decide approves or rejects a pending application: only its claiming
// reviewer may, or a superuser (who claims it on the way). The applicant
// is told in the same transaction.
func (h *HR) Decide(ctx context.Context, id, reviewer int64, reviewerName string, superuser, approve bool) error {
	status, level, msg := Rejected, notifications.Warning, "hr.notice.rejected"
	if approve {
		status, level, msg = Approved, notifications.Success, "hr.notice.approved"
	}
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		var account int64
		var corp string
		err := tx.QueryRow(ctx, `UPDATE hr_applications SET status = $2, reviewer_id = $3, reviewer_name = $4, decided_at = $5
			WHERE id = $1 AND status = 'pending' AND (reviewer_id = $3 OR $6)
			RETURNING account_id, (SELECT f.corporation_name FROM hr_forms f WHERE f.id = hr_applications.form_id)`,
			id, status, reviewer, reviewerName, h.now().UTC(), superuser).Scan(&account, &corp)
		if errors.Is(err, store.ErrNoRows) {
			return ErrNotClaimed
		}
		if err != nil || h.notify == nil {
			return err
		}
		return h.notify.Send(ctx, tx, account, notifications.Notice{Level: level, TitleKey: "hr.notice.title",
			MessageKey: msg, Args: map[string]string{"Corporation": corp}, Coalesce: "hr:" + strconv.FormatInt(id, 10)})
	})
	if err != nil {
		return fmt.Errorf("hr: decide %d: %w", id, err)
	}
	return nil
}

// Comment is a reviewer's comment on an application.
type Comment struct {
	Author    string
	Text      string
	CreatedAt time.Time
}

// AddComment stores a reviewer's comment.
func (h *HR) AddComment(ctx context.Context, id, author int64, authorName, text string) error {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return problem("hr.error.comment_empty")
	case utf8.RuneCountInString(text) > maxComment:
		return problem("hr.error.comment_long", "Max", maxComment)
	}
	if _, err := h.db.Exec(ctx, `INSERT INTO hr_comments (application_id, author_id, author_name, text, created_at)
		VALUES ($1, $2, $3, $4, $5)`, id, author, authorName, text, h.now().UTC()); err != nil {
		return fmt.Errorf("hr: comment on %d: %w", id, err)
	}
	return nil
}

// Comments lists an application's comments, the oldest first.
func (h *HR) Comments(ctx context.Context, id int64) ([]Comment, error) {
	cs, err := store.Collect(ctx, h.db, `SELECT author_name, text, created_at FROM hr_comments WHERE application_id = $1 ORDER BY id`,
		func(rows store.Rows, c *Comment) error { return rows.Scan(&c.Author, &c.Text, &c.CreatedAt) }, id)
	if err != nil {
		return nil, fmt.Errorf("hr: comments of %d: %w", id, err)
	}
	return cs, nil
}

// StatusLabel is the message id naming the application's status.
func (a Application) StatusLabel() string {
	switch a.Status {
	case Approved:
		return "hr.status.approved"
	case Rejected:
		return "hr.status.rejected"
	}
	return "hr.status.pending"
}

// StatusBadge is the badge class of the status.
func (a Application) StatusBadge() string {
	switch a.Status {
	case Approved:
		return "text-bg-success"
	case Rejected:
		return "text-bg-danger"
	}
	return "text-bg-warning"
}
