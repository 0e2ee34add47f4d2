package services

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

const accountColumns = `instance_id, account_id, external_id, external_name, name, groups, state, status, last_error, wanted,
	reason, failures, last_sync_at, created_at`

func scanAccount(rows store.Row, a *Account) error {
	var groups string
	var last *time.Time
	if err := rows.Scan(&a.InstanceID, &a.AccountID, &a.ExternalID, &a.ExternalName, &a.Name, &groups, &a.State, &a.Status,
		&a.LastError, &a.wanted, &a.reason, &a.failures, &last, &a.CreatedAt); err != nil {
		return err
	}
	if last != nil {
		a.LastSync = *last
	}
	if err := json.Unmarshal([]byte(groups), &a.Groups); err != nil {
		return fmt.Errorf("groups of service account %d/%d: %w", a.InstanceID, a.AccountID, err)
	}
	return nil
}

// ErrNoAccount: the account has no service account on the instance.
var ErrNoAccount = errors.New("services: no account on this service")

// account reads one service account.
func (s *Services) account(ctx context.Context, q store.Querier, instanceID, accountID int64) (Account, error) {
	var a Account
	err := scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM service_accounts WHERE instance_id = $1 AND account_id = $2`,
		instanceID, accountID), &a)
	if errors.Is(err, store.ErrNoRows) {
		return a, ErrNoAccount
	}
	if err != nil {
		return a, fmt.Errorf("services: account %d on %d: %w", accountID, instanceID, err)
	}
	return a, nil
}

// AccountOf gives an account's service account on an instance
// (ErrNoAccount when it has none).
func (s *Services) AccountOf(ctx context.Context, instanceID, accountID int64) (Account, error) {
	return s.account(ctx, s.db, instanceID, accountID)
}

// AccountsOf gives an account's service accounts, by instance id.
func (s *Services) AccountsOf(ctx context.Context, accountID int64) (map[int64]Account, error) {
	list, err := store.Collect(ctx, s.db, `SELECT `+accountColumns+` FROM service_accounts WHERE account_id = $1`,
		func(rows store.Rows, a *Account) error { return scanAccount(rows, a) }, accountID)
	if err != nil {
		return nil, fmt.Errorf("services: accounts of %d: %w", accountID, err)
	}
	out := make(map[int64]Account, len(list))
	for _, a := range list {
		out[a.InstanceID] = a
	}
	return out, nil
}

// accountsPage gives an instance's service accounts after account id
// after, at most limit, by account id.
func (s *Services) accountsPage(ctx context.Context, instanceID, after int64, limit int) ([]Account, error) {
	list, err := store.Collect(ctx, s.db, `SELECT `+accountColumns+` FROM service_accounts WHERE instance_id = $1 AND account_id > $2
		ORDER BY account_id LIMIT $3`, func(rows store.Rows, a *Account) error { return scanAccount(rows, a) }, instanceID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("services: accounts of service %d: %w", instanceID, err)
	}
	return list, nil
}

// insertAccount records a new link.
func insertAccount(ctx context.Context, tx *store.Tx, a Account, now time.Time) error {
	groups, err := json.Marshal(nonNil(a.Groups))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups, state, status,
		last_error, wanted, synced, reason, failures, last_sync_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'ok', '', 0, 0, '', 0, $8, $8)`,
		a.InstanceID, a.AccountID, a.ExternalID, a.ExternalName, a.Name, string(groups), a.State, now)
	if err != nil {
		return fmt.Errorf("services: link account %d: %w", a.AccountID, err)
	}
	return nil
}

// saveApplied records what a sync applied. What the service has is what
// was just sent, whatever came in between (an observation read before the
// request is older), so it is always recorded; the mark is cleared only
// as of the wanted value the sync read: a change made meanwhile leaves
// the account marked for the next round, which sends nothing if the
// change altered nothing there.
func saveApplied(ctx context.Context, q store.Querier, a Account, wanted int64, now time.Time) error {
	groups, err := json.Marshal(nonNil(a.Groups))
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `UPDATE service_accounts SET external_name = $3, name = $4, groups = $5, state = $6, status = 'ok',
		last_error = '', synced = CASE WHEN wanted = $7 THEN $7 ELSE synced END, failures = 0, retry_at = NULL, last_sync_at = $8
		WHERE instance_id = $1 AND account_id = $2`,
		a.InstanceID, a.AccountID, a.ExternalName, a.Name, string(groups), a.State, wanted, now)
	if err != nil {
		return fmt.Errorf("services: record sync of %d: %w", a.AccountID, err)
	}
	return nil
}

// saveRight records that a sync found the account right, sending nothing:
// only as of the wanted value it read, since what it read may be older
// than a change or an observation made meanwhile.
func saveRight(ctx context.Context, q store.Querier, a Account, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE service_accounts SET status = 'ok', last_error = '', synced = $3, failures = 0, retry_at = NULL,
		last_sync_at = $4 WHERE instance_id = $1 AND account_id = $2 AND wanted = $3`, a.InstanceID, a.AccountID, a.wanted, now)
	if err != nil {
		return fmt.Errorf("services: record sync of %d: %w", a.AccountID, err)
	}
	return nil
}

// saveObserved records what verification found on the service, so that
// the next sync compares the Want with it; it raises wanted, so that a
// sync running meanwhile does not record over it. Raising wanted marks a
// sync, so it names the mark's reason as mark does (why, when it is the
// first change since the last sync): without it, the repair that follows
// was logged with the reason the sync before had left ("linked").
func saveObserved(ctx context.Context, q store.Querier, a Account, o Observation, why string) error {
	groups, err := json.Marshal(nonNil(o.Groups))
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `UPDATE service_accounts SET name = $3, groups = $4, state = $5, wanted = wanted + 1,
		reason = CASE WHEN wanted = synced THEN $6 ELSE reason END
		WHERE instance_id = $1 AND account_id = $2`,
		a.InstanceID, a.AccountID, o.Name, string(groups), o.State, why)
	if err != nil {
		return fmt.Errorf("services: record verification of %d: %w", a.AccountID, err)
	}
	return nil
}

// saveError records a failed sync; retry, when set, is when the account
// is tried again (a service down retries the whole job instead).
func saveError(ctx context.Context, q store.Querier, a Account, cause string, now time.Time, retry *time.Time) error {
	_, err := q.Exec(ctx, `UPDATE service_accounts SET status = 'error', last_error = $3, last_sync_at = $4,
		failures = failures + 1, retry_at = $5 WHERE instance_id = $1 AND account_id = $2`, a.InstanceID, a.AccountID, cause, now, retry)
	if err != nil {
		return fmt.Errorf("services: record failed sync of %d: %w", a.AccountID, err)
	}
	return nil
}

func deleteAccount(ctx context.Context, q store.Querier, a Account) error {
	if _, err := q.Exec(ctx, `DELETE FROM service_accounts WHERE instance_id = $1 AND account_id = $2`, a.InstanceID, a.AccountID); err != nil {
		return fmt.Errorf("services: unlink %d: %w", a.AccountID, err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Status is an instance's state, for its admins.
type Status struct {
	Accounts int
	Pending  int // accounts whose last change is not applied yet
	Errors   int
}

// StatusOf counts an instance's service accounts.
func (s *Services) StatusOf(ctx context.Context, instanceID int64) (Status, error) {
	var st Status
	err := s.db.QueryRow(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN wanted > synced THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0) FROM service_accounts WHERE instance_id = $1`, instanceID).
		Scan(&st.Accounts, &st.Pending, &st.Errors)
	if err != nil {
		return st, fmt.Errorf("services: status of %d: %w", instanceID, err)
	}
	return st, nil
}

// Failure is a service account whose last change failed.
type Failure struct {
	Account
	// Pending: a change is still to be applied there; its sync job tries
	// again.
	Pending bool
}

// Errors lists an instance's service accounts whose last change failed,
// by account id, for `keepstar services`.
func (s *Services) Errors(ctx context.Context, instanceID int64) ([]Failure, error) {
	list, err := store.Collect(ctx, s.db, `SELECT `+accountColumns+`, wanted > synced FROM service_accounts
		WHERE instance_id = $1 AND status = 'error' ORDER BY account_id`, func(rows store.Rows, f *Failure) error {
		return scanAccount(withColumn{rows, &f.Pending}, &f.Account)
	}, instanceID)
	if err != nil {
		return nil, fmt.Errorf("services: accounts in error of %d: %w", instanceID, err)
	}
	return list, nil
}

// withColumn scans one more column after those scanAccount reads.
type withColumn struct {
	store.Row
	last any
}

func (r withColumn) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.last)...) }
