package services

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// The actions of the audit log.
const (
	ActionLink     = "link"     // a member linked or activated an account
	ActionUpdate   = "update"   // name or groups applied
	ActionRemove   = "remove"   // access taken away on the service
	ActionUnlink   = "unlink"   // the account was gone from the service: the link removed
	ActionPassword = "password" // a password set or reset
	ActionVerify   = "verify"   // a verification of the instance
)

// Entry is one line of the audit log.
type Entry struct {
	ID          int64
	InstanceID  int64
	AccountID   int64
	AccountName string
	Action      string
	Detail      string
	Reason      string
	Result      string // "" for success
	ActorID     int64
	At          time.Time
}

// audit writes one line of the log. accountID 0 is the instance's own.
func audit(ctx context.Context, q store.Querier, e Entry) error {
	_, err := q.Exec(ctx, `INSERT INTO service_audit (instance_id, account_id, account_name, action, detail, reason, result, actor_id, at)
		VALUES ($1, $2, COALESCE((SELECT name FROM accounts WHERE id = $2), ''), $3, $4, $5, $6, $7, $8)`,
		e.InstanceID, nullID(e.AccountID), e.Action, e.Detail, e.Reason, e.Result, nullID(e.ActorID), e.At)
	if err != nil {
		return fmt.Errorf("services: audit: %w", err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// AuditFilter selects lines of the log.
type AuditFilter struct {
	InstanceID int64
	AccountID  int64 // 0: every account
	Before     int64 // lines before this id (paging); 0: the newest
	Limit      int
}

// Audit gives lines of the log, newest first.
func (s *Services) Audit(ctx context.Context, f AuditFilter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	where := []string{"instance_id = $1"}
	args := []any{f.InstanceID}
	if f.AccountID != 0 {
		args = append(args, f.AccountID)
		where = append(where, fmt.Sprintf("account_id = $%d", len(args)))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	args = append(args, f.Limit)
	out, err := store.Collect(ctx, s.db, `SELECT id, instance_id, COALESCE(account_id, 0), account_name, action, detail, reason, result,
		COALESCE(actor_id, 0), at FROM service_audit WHERE `+strings.Join(where, " AND ")+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)),
		func(rows store.Rows, e *Entry) error {
			return rows.Scan(&e.ID, &e.InstanceID, &e.AccountID, &e.AccountName, &e.Action, &e.Detail, &e.Reason, &e.Result, &e.ActorID, &e.At)
		}, args...)
	if err != nil {
		return nil, fmt.Errorf("services: audit log: %w", err)
	}
	return out, nil
}

// describe says what a sync changes, for the log: "name: A → B; +X −Y".
func describe(from Account, to Want) string {
	var parts []string
	if from.Name != to.Name {
		parts = append(parts, fmt.Sprintf("name: %q → %q", from.Name, to.Name))
	}
	had := map[string]bool{}
	for _, g := range from.Groups {
		had[g] = true
	}
	wants := map[string]bool{}
	for _, g := range to.Groups {
		wants[g] = true
		if !had[g] {
			parts = append(parts, "+"+g)
		}
	}
	for _, g := range from.Groups {
		if !wants[g] {
			parts = append(parts, "−"+g)
		}
	}
	return strings.Join(parts, "; ")
}
