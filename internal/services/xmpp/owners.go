package xmpp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// owners are an instance's rows of xmpp_accounts: which Keepstar account
// each login name Keepstar made is for.
type owners struct {
	db       *store.DB
	instance int64
	now      func() time.Time
}

// owner gives the account a name was made for; 0 when Keepstar did not
// make it.
func (o *owners) owner(ctx context.Context, user string) (int64, error) {
	var id int64
	err := o.db.QueryRow(ctx, `SELECT account_id FROM xmpp_accounts WHERE instance_id = $1 AND username = $2`, o.instance, user).Scan(&id)
	if errors.Is(err, store.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("xmpp: read who a name is for: %w", err)
	}
	return id, nil
}

// record says that Keepstar made user for account.
func (o *owners) record(ctx context.Context, user string, account int64) error {
	_, err := o.db.Exec(ctx, `INSERT INTO xmpp_accounts (instance_id, username, account_id, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance_id, username) DO NOTHING`, o.instance, user, account, o.now().UTC())
	if err != nil {
		return fmt.Errorf("xmpp: record a name made: %w", err)
	}
	return nil
}

// mergeOwners gives the winner of an account merge the login names made
// for the loser: the same player's locked account is then theirs to take
// back when they come again, instead of a new name_<id>.
func mergeOwners(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE xmpp_accounts SET account_id = $1 WHERE account_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("xmpp: merge the names of %d into %d: %w", loser, winner, err)
	}
	return nil
}
