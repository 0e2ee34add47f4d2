package hr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/eve/esi"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Scope is what a reviewer sees: every form's applications, or those of
// the form of their main's corporation (Corporation 0: none).
type Scope struct {
	All         bool
	Corporation int32
}

// ScopeOf reads a viewer's reviewing scope: hr.review_all (superusers
// hold it) sees all; hr.review the corporation of the viewer's main.
func (h *HR) ScopeOf(ctx context.Context, v *web.Viewer) (Scope, error) {
	if v.Has(PermissionReviewAll.Name) {
		return Scope{All: true}, nil
	}
	if !v.Has(PermissionReview.Name) || v.MainID == 0 {
		return Scope{}, nil
	}
	var corp int32
	err := h.db.QueryRow(ctx, `SELECT COALESCE(corporation_id, 0) FROM characters WHERE id = $1`, v.MainID).Scan(&corp)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return Scope{}, fmt.Errorf("hr: scope of %d: %w", v.AccountID, err)
	}
	return Scope{Corporation: corp}, nil
}

// Sees reports whether the scope reaches a form's corporation.
func (s Scope) Sees(corporation int32) bool {
	return s.All || (s.Corporation != 0 && s.Corporation == corporation)
}

// Filter narrows the reviewers' list: a status ("" any), a part of the
// applicant's main's name ("" any), and the page (from 1).
type Filter struct {
	Status string
	Name   string
	Page   int
}

// PerPage is how many applications a page of the reviewers' list shows.
const PerPage = 50

// Review lists the applications a scope sees, the newest first, one page,
// with how many match.
func (h *HR) Review(ctx context.Context, s Scope, f Filter) ([]Application, int, error) {
	if !s.All && s.Corporation == 0 {
		return nil, 0, nil
	}
	// One form per corporation: a corporation's scope is its form's id,
	// which the index on (form_id, status, id) serves.
	where := []string{"1 = 1"}
	var args []any
	if !s.All {
		args = append(args, s.Corporation)
		where = append(where, "a.form_id IN (SELECT id FROM hr_forms WHERE corporation_id = $1)")
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("a.status = $%d", len(args)))
	}
	if f.Name != "" {
		// The characters matching are read once, not once per application.
		args = append(args, "%"+escapeLike(strings.ToLower(f.Name))+"%")
		where = append(where, fmt.Sprintf(`a.account_id IN (SELECT c.account_id FROM characters c
			WHERE lower(c.name) LIKE $%d ESCAPE '\')`, len(args)))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := h.db.QueryRow(ctx, `SELECT COUNT(*) FROM hr_applications a WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("hr: count review: %w", err)
	}
	page := max(f.Page, 1)
	args = append(args, PerPage, (page-1)*PerPage)
	// The page's ids first, then their columns: the names are read for
	// the page's rows only, not for every row the offset skips.
	as, err := store.Collect(ctx, h.db, `SELECT `+applicationColumns+` FROM (SELECT a.id FROM hr_applications a WHERE `+cond+
		fmt.Sprintf(` ORDER BY a.id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args))+`) p
		JOIN hr_applications a ON a.id = p.id JOIN hr_forms f ON f.id = a.form_id ORDER BY a.id DESC`,
		func(rows store.Rows, a *Application) error { return scanApplication(rows, a) }, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("hr: review: %w", err)
	}
	return as, total, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Character is one of the applicant's characters, with its corporation
// and alliance as Keepstar's directory names them.
type Character struct {
	ID          int32
	Name        string
	Main        bool
	Corporation string
	Alliance    string
	// History is the character's corporation history from ESI, the
	// newest first; HistoryFailed when ESI did not give it.
	History       []Membership
	HistoryFailed bool
}

// Membership is a record of a character's corporation history: the
// corporation's name from Keepstar's directory ("" when it does not know
// it: the page shows the id).
type Membership struct {
	CorporationID int32
	Corporation   string
	Start         time.Time
}

// Applicant is what a reviewer sees of the applying account: its
// characters, state and groups.
type Applicant struct {
	Characters []Character
	State      string
	Groups     []string
}

// ApplicantOf reads an account's characters, state and groups.
func (h *HR) ApplicantOf(ctx context.Context, account int64) (Applicant, error) {
	var a Applicant
	var err error
	a.Characters, err = store.Collect(ctx, h.db, `SELECT ch.id, ch.name, ch.main, COALESCE(co.name, ''), COALESCE(al.name, '')
		FROM characters ch LEFT JOIN eve_corporations co ON co.id = ch.corporation_id
		LEFT JOIN eve_alliances al ON al.id = ch.alliance_id
		WHERE ch.account_id = $1 ORDER BY ch.main DESC, ch.name`, func(rows store.Rows, c *Character) error {
		return rows.Scan(&c.ID, &c.Name, &c.Main, &c.Corporation, &c.Alliance)
	}, account)
	if err == nil {
		err = h.db.QueryRow(ctx, `SELECT COALESCE((SELECT s.name FROM accounts ac JOIN states s ON s.id = ac.state_id
			WHERE ac.id = $1), '')`, account).Scan(&a.State)
	}
	if err == nil {
		a.Groups, err = store.Column[string](ctx, h.db, `SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id
			WHERE m.account_id = $1 ORDER BY g.name`, account)
	}
	if err == nil {
		err = h.histories(ctx, a.Characters)
	}
	if err != nil {
		return Applicant{}, fmt.Errorf("hr: applicant %d: %w", account, err)
	}
	return a, nil
}

// histories reads each character's corporation history from ESI (public,
// cached a day by ESI and by the client's cache); a character whose read
// fails is marked, the others shown.
func (h *HR) histories(ctx context.Context, cs []Character) error {
	if h.esi == nil {
		return nil
	}
	for i := range cs {
		res, err := h.esi.Get(ctx, esi.Request{Route: "GET /characters/{character_id}/corporationhistory",
			Path: "/characters/" + strconv.Itoa(int(cs[i].ID)) + "/corporationhistory"})
		var records []struct {
			CorporationID int32     `json:"corporation_id"`
			StartDate     time.Time `json:"start_date"`
		}
		if err == nil {
			err = json.Unmarshal(res.Body, &records)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			cs[i].HistoryFailed = true
			continue
		}
		for _, r := range records {
			m := Membership{CorporationID: r.CorporationID, Start: r.StartDate}
			err := h.db.QueryRow(ctx, `SELECT name FROM eve_corporations WHERE id = $1`, r.CorporationID).Scan(&m.Corporation)
			if err != nil && !errors.Is(err, store.ErrNoRows) {
				return fmt.Errorf("hr: corporation %d: %w", r.CorporationID, err)
			}
			cs[i].History = append(cs[i].History, m)
		}
	}
	return nil
}
