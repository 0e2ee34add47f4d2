package srp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// Errors the pages turn into answers.
var (
	ErrNotFound = errors.New("srp: not found")
	ErrClosed   = errors.New("srp: the fleet is completed")
)

// Fleet statuses and request statuses.
const (
	StatusOpen      = "open"
	StatusCompleted = "completed"
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
)

// Lengths of what officers and members type.
const (
	maxName    = 200
	maxComment = 1000
)

// Fleet is an SRP fleet.
type Fleet struct {
	ID                        int64
	Name, Doctrine, Commander string
	Time                      time.Time
	Code, Status              string
	// Requests, Pending and Approved count the fleet's requests; Payout
	// sums the approved payouts (the list's figures).
	Requests, Pending int
	Payout            float64
}

// FleetInput is what an officer types to open a fleet.
type FleetInput struct {
	Name, Doctrine, Commander string
	Time                      time.Time
}

func (in FleetInput) check() i18n.Problems {
	var ps i18n.Problems
	for _, f := range []struct{ field, v, msg string }{{"name", in.Name, "srp.error.name"}, {"doctrine", in.Doctrine, "srp.error.doctrine"},
		{"commander", in.Commander, "srp.error.commander"}} {
		if strings.TrimSpace(f.v) == "" || utf8.RuneCountInString(f.v) > maxName || !utf8.ValidString(f.v) {
			ps.Add(f.field, f.msg, "Max", maxName)
		}
	}
	if in.Time.IsZero() {
		ps.Add("fleet_time", "srp.error.time")
	}
	return ps
}

// newCode makes a fleet's SRP code: 8 random hex characters, as short
// as members quote it and unguessable enough for a code shown to them.
func newCode() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// CreateFleet opens a fleet.
func (s *SRP) CreateFleet(ctx context.Context, v *web.Viewer, in FleetInput) (Fleet, error) {
	in.Name, in.Doctrine, in.Commander = strings.TrimSpace(in.Name), strings.TrimSpace(in.Doctrine), strings.TrimSpace(in.Commander)
	if ps := in.check(); len(ps) > 0 {
		return Fleet{}, &i18n.InvalidError{Problems: ps}
	}
	f := Fleet{Name: in.Name, Doctrine: in.Doctrine, Commander: in.Commander, Time: in.Time.UTC(), Code: newCode(), Status: StatusOpen}
	// The INSERT … RETURNING runs in a transaction: the writer's.
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO srp_fleets (name, doctrine, fleet_time, commander, code, status, creator_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, f.Name, f.Doctrine, f.Time, f.Commander, f.Code, f.Status,
			v.AccountID, s.now().UTC()).Scan(&f.ID)
	})
	return f, err
}

const fleetColumns = `f.id, f.name, f.doctrine, f.commander, f.fleet_time, f.code, f.status,
	(SELECT count(*) FROM srp_requests r WHERE r.fleet_id = f.id),
	(SELECT count(*) FROM srp_requests r WHERE r.fleet_id = f.id AND r.status = 'pending'),
	COALESCE((SELECT sum(payout) FROM srp_requests r WHERE r.fleet_id = f.id AND r.status = 'approved'), 0)`

func scanFleet(row interface{ Scan(...any) error }) (Fleet, error) {
	var f Fleet
	err := row.Scan(&f.ID, &f.Name, &f.Doctrine, &f.Commander, &f.Time, &f.Code, &f.Status, &f.Requests, &f.Pending, &f.Payout)
	return f, err
}

// Fleets lists the fleets, the newest first: open ones only unless all.
func (s *SRP) Fleets(ctx context.Context, all bool) ([]Fleet, error) {
	q := `SELECT ` + fleetColumns + ` FROM srp_fleets f`
	if !all {
		q += ` WHERE f.status = 'open'`
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY f.fleet_time DESC, f.id DESC LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Fleet
	for rows.Next() {
		f, err := scanFleet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// GetFleet reads a fleet.
func (s *SRP) GetFleet(ctx context.Context, id int64) (Fleet, error) {
	f, err := scanFleet(s.db.QueryRow(ctx, `SELECT `+fleetColumns+` FROM srp_fleets f WHERE f.id = $1`, id))
	if errors.Is(err, store.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}

// SetFleetStatus completes a fleet (no more requests) or opens it again.
func (s *SRP) SetFleetStatus(ctx context.Context, id int64, status string) error {
	n, err := s.db.Exec(ctx, `UPDATE srp_fleets SET status = $1 WHERE id = $2`, status, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// Request is a member's loss filed in a fleet.
type Request struct {
	ID, FleetID, AccountID int64
	KillmailID             int64
	KillmailHash           string
	CharacterID            int32
	CharacterName          string
	ShipTypeID             int32
	ShipName               string
	LossValue              float64
	Additional             string
	Status                 string
	Payout                 float64
	Comment, DecidedBy     string
	CreatedAt              time.Time
	// FleetName is the fleet's, for the member's own list.
	FleetName string
}

// Resolved tells whether the killmail was read from ESI (a zKillboard
// link waits for its hash).
func (r Request) Resolved() bool { return r.KillmailHash != "" }

const requestColumns = `r.id, r.fleet_id, r.account_id, r.killmail_id, r.killmail_hash, r.character_id, r.character_name,
	r.ship_type_id, r.ship_name, r.loss_value, r.additional, r.status, r.payout, r.comment, r.decided_by, r.created_at, f.name`

func scanRequest(row interface{ Scan(...any) error }) (Request, error) {
	var r Request
	err := row.Scan(&r.ID, &r.FleetID, &r.AccountID, &r.KillmailID, &r.KillmailHash, &r.CharacterID, &r.CharacterName,
		&r.ShipTypeID, &r.ShipName, &r.LossValue, &r.Additional, &r.Status, &r.Payout, &r.Comment, &r.DecidedBy, &r.CreatedAt, &r.FleetName)
	return r, err
}

func (s *SRP) requests(ctx context.Context, where string, arg any) ([]Request, error) {
	rows, err := s.db.Query(ctx, `SELECT `+requestColumns+` FROM srp_requests r JOIN srp_fleets f ON f.id = r.fleet_id
		WHERE `+where+` ORDER BY r.id`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FleetRequests lists a fleet's requests in the order they were filed.
func (s *SRP) FleetRequests(ctx context.Context, fleetID int64) ([]Request, error) {
	return s.requests(ctx, `r.fleet_id = $1`, fleetID)
}

// MemberRequests lists an account's requests.
func (s *SRP) MemberRequests(ctx context.Context, accountID int64) ([]Request, error) {
	return s.requests(ctx, `r.account_id = $1`, accountID)
}

// GetRequest reads a request.
func (s *SRP) GetRequest(ctx context.Context, id int64) (Request, error) {
	r, err := scanRequest(s.db.QueryRow(ctx, `SELECT `+requestColumns+` FROM srp_requests r JOIN srp_fleets f ON f.id = r.fleet_id
		WHERE r.id = $1`, id))
	if errors.Is(err, store.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// Total is what a member was paid in a set of requests.
type Total struct {
	AccountID          int64
	Name               string
	Requests, Approved int
	Payout             float64
}

// MemberTotals sums the approved payouts per member, for one fleet or
// (fleetID 0) every fleet, the highest first.
func (s *SRP) MemberTotals(ctx context.Context, fleetID int64) ([]Total, error) {
	q := `SELECT r.account_id, COALESCE((SELECT a.name FROM accounts a WHERE a.id = r.account_id), ''),
		count(*), sum(CASE WHEN r.status = 'approved' THEN 1 ELSE 0 END),
		COALESCE(sum(CASE WHEN r.status = 'approved' THEN r.payout ELSE 0 END), 0)
		FROM srp_requests r WHERE r.fleet_id = $1 OR $1 = 0 GROUP BY r.account_id ORDER BY 5 DESC, 1`
	rows, err := s.db.Query(ctx, q, fleetID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Total
	for rows.Next() {
		var t Total
		if err := rows.Scan(&t.AccountID, &t.Name, &t.Requests, &t.Approved, &t.Payout); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Decision is an officer's verdict on a request.
type Decision struct {
	Approve bool
	Payout  float64
	Comment string
}

// Decide approves or rejects a request and notifies its member, in one
// transaction.
func (s *SRP) Decide(ctx context.Context, v *web.Viewer, id int64, d Decision) error {
	var ps i18n.Problems
	if d.Payout < 0 || d.Payout > 1e15 {
		ps.Add("payout", "srp.error.payout")
	}
	if !d.Approve {
		d.Payout = 0
	}
	d.Comment = strings.TrimSpace(d.Comment)
	if utf8.RuneCountInString(d.Comment) > maxComment || !utf8.ValidString(d.Comment) {
		ps.Add("comment", "srp.error.comment", "Max", maxComment)
	}
	if len(ps) > 0 {
		return &i18n.InvalidError{Problems: ps}
	}
	r, err := s.GetRequest(ctx, id)
	if err != nil {
		return err
	}
	if d.Approve && !r.Resolved() {
		return &i18n.InvalidError{Problems: problem("payout", "srp.error.unresolved")}
	}
	status, level, msg := StatusRejected, notifications.Warning, "srp.notice.rejected"
	if d.Approve {
		status, level, msg = StatusApproved, notifications.Success, "srp.notice.approved"
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE srp_requests SET status = $1, payout = $2, comment = $3, decided_by = $4 WHERE id = $5`,
			status, d.Payout, d.Comment, v.Name, id); err != nil {
			return err
		}
		return s.notifications.Send(ctx, tx, r.AccountID, notifications.Notice{Level: level, TitleKey: "srp.notice.title",
			MessageKey: msg, Args: map[string]string{"Ship": r.ShipName, "Fleet": r.FleetName,
				"Payout": ISK(d.Payout), "Comment": d.Comment}})
	})
}

func problem(field, id string, args ...any) i18n.Problems {
	var ps i18n.Problems
	ps.Add(field, id, args...)
	return ps
}

// ISK writes an amount as EVE does, in whole ISK with thousands
// separators: 1,250,000.
func ISK(v float64) string {
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	digits := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// mergeAccounts moves the loser's requests and fleets onto the winner:
// the requests would otherwise go with the account (ON DELETE CASCADE),
// and with them the record that a killmail was refunded.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE srp_requests SET account_id = $1 WHERE account_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("srp: merge: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE srp_fleets SET creator_id = $1 WHERE creator_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("srp: merge: %w", err)
	}
	return nil
}
