package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
)

// Outcome says what a login or an added character did.
type Outcome string

const (
	// LoggedIn: a character of an account logged in.
	LoggedIn Outcome = "logged-in"
	// Created: the character's first login made a new account.
	Created Outcome = "created"
	// NewOwner: the character changed hands; it moved to a new account.
	NewOwner Outcome = "new-owner"
	// Added: a new character was added to the account.
	Added Outcome = "added"
	// Renewed: the character was on the account already; its token is new.
	Renewed Outcome = "renewed"
	// Merged: the character's account had the same owner; the two accounts
	// are one now, the older one.
	Merged Outcome = "merged"
	// MovedHere: the character changed hands and moved from its old
	// account to this one.
	MovedHere Outcome = "moved-here"
)

// Result tells what a rule did.
type Result struct {
	Outcome Outcome
	// AccountID is the account the member is on now (after a merge, the
	// older account, which may not be the one they were logged in to).
	AccountID   int64
	CharacterID int32
	// OtherAccountID is the account a character moved or merged from.
	OtherAccountID int64
	// TokenKept: the login asked for no scopes and a valid token with
	// scopes was kept instead.
	TokenKept bool
}

// LoginRequest is a character's login: the token the SSO gave, the EVE
// login it was for, and whether alts may log in.
type LoginRequest struct {
	Token sso.Token
	// TokenLogin is the EVE login the token is saved under (core.default;
	// a core.no-scopes login saves there too).
	TokenLogin    string
	AllowAltLogin bool
}

// maxTries bounds how often a rule starts over when a concurrent rule got in
// its way: a login of the same new character inserted it first, or
// PostgreSQL broke a deadlock by giving up this transaction. Never on
// SQLite, whose single writer runs rules one after the other.
const maxTries = 5

// errRetry: the rule met a concurrent change and runs again.
var errRetry = errors.New("accounts: concurrent change, try again")

func (a *Accounts) retry(ctx context.Context, fn func(tx *store.Tx) (Result, error)) (Result, error) {
	for try := 1; ; try++ {
		var res Result
		err := a.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if res, err = fn(tx); err != nil {
				return err
			}
			var touched []int64
			for _, id := range []int64{res.AccountID, res.OtherAccountID} {
				if id != 0 {
					touched = append(touched, id)
				}
			}
			return a.opts.Follower.Follow(ctx, tx, touched, "characters changed")
		})
		if (errors.Is(err, errRetry) || store.Retryable(err)) && try < maxTries {
			continue
		}
		return res, err
	}
}

// Login applies the login rules to a character the SSO vouched for: first
// login creates an account; a login with a new owner hash moves the
// character to a new account; otherwise the character's account is logged
// into, unless it is deactivated (ErrDeactivated) or the character is an alt
// and alts may not log in (ErrAltLogin). Refused logins change nothing.
func (a *Accounts) Login(ctx context.Context, req LoginRequest) (Result, error) {
	claims := req.Token.Claims
	res, err := a.retry(ctx, func(tx *store.Tx) (Result, error) {
		now := a.now()
		res := Result{CharacterID: claims.CharacterID}
		char, found, err := lockCharacter(ctx, tx, claims.CharacterID)
		if err != nil {
			return res, err
		}
		switch {
		case !found:
			res.Outcome = Created
			if res.AccountID, err = a.createAccount(ctx, tx, claims.Name, now); err != nil {
				return res, err
			}
			if err := a.insertCharacter(ctx, tx, res.AccountID, claims, true, now); err != nil {
				return res, err
			}
		case char.ownerHash != claims.Owner:
			res.Outcome, res.OtherAccountID = NewOwner, char.accountID
			if res.AccountID, err = a.createAccount(ctx, tx, char.name, now); err != nil {
				return res, err
			}
			if err := a.move(ctx, tx, char, res.AccountID, claims.Owner, MovedOwnerChanged, now); err != nil {
				return res, err
			}
			if _, err := tx.Exec(ctx, `UPDATE characters SET main = TRUE WHERE id = $1`, char.id); err != nil {
				return res, fmt.Errorf("accounts: login: %w", err)
			}
		default:
			res.Outcome, res.AccountID = LoggedIn, char.accountID
			var active bool
			if err := tx.QueryRow(ctx, `SELECT active FROM accounts WHERE id = $1`, char.accountID).Scan(&active); err != nil {
				return res, fmt.Errorf("accounts: login: %w", err)
			}
			if !active {
				return res, ErrDeactivated
			}
			if !char.main && !req.AllowAltLogin {
				return res, ErrAltLogin
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE characters SET last_login_at = $2 WHERE id = $1`, claims.CharacterID, now); err != nil {
			return res, fmt.Errorf("accounts: login: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET last_login_at = $2 WHERE id = $1`, res.AccountID, now); err != nil {
			return res, fmt.Errorf("accounts: login: %w", err)
		}
		if err := a.sawOwner(ctx, tx, claims, res.AccountID, now); err != nil {
			return res, err
		}
		saved, err := a.opts.Tokens.Save(ctx, tx, req.Token, req.TokenLogin)
		res.TokenKept = saved.Kept
		return res, err
	})
	if err == nil {
		a.changed(ctx, res.AccountID, res.OtherAccountID)
	}
	return res, err
}

// AddCharacter applies the rules of adding a character the SSO vouched for
// to a logged-in member's account: a new character is attached; one on this
// account gets its new token; one on another account with the same owner
// merges the two accounts into the older; one whose owner changed moves here
// alone.
func (a *Accounts) AddCharacter(ctx context.Context, accountID int64, tok sso.Token, tokenLogin string) (Result, error) {
	claims := tok.Claims
	res, err := a.retry(ctx, func(tx *store.Tx) (Result, error) {
		now := a.now()
		res := Result{CharacterID: claims.CharacterID, AccountID: accountID}
		// Lock the accounts involved in id order, then the character, so
		// that two members adding each other's characters at once wait for
		// each other instead of deadlocking.
		other := int64(0)
		if err := tx.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, claims.CharacterID).Scan(&other); err != nil && !errors.Is(err, store.ErrNoRows) {
			return res, fmt.Errorf("accounts: add character: %w", err)
		}
		active, err := lockAccounts(ctx, tx, accountID, other)
		if err != nil {
			return res, err
		}
		if _, ok := active[accountID]; !ok {
			return res, fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		if !active[accountID] {
			return res, ErrDeactivated
		}
		char, found, err := lockCharacter(ctx, tx, claims.CharacterID)
		if err != nil {
			return res, err
		}
		if found && char.accountID != other || !found && other != 0 {
			return res, errRetry // it moved between the two reads
		}
		switch {
		case !found:
			res.Outcome = Added
			var has bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM characters WHERE account_id = $1)`, accountID).Scan(&has); err != nil {
				return res, fmt.Errorf("accounts: add character: %w", err)
			}
			if err := a.insertCharacter(ctx, tx, accountID, claims, !has, now); err != nil {
				return res, err
			}
		case char.accountID == accountID:
			res.Outcome = Renewed
			if char.ownerHash != claims.Owner {
				// The same member owns it again under another EVE account:
				// every token of the earlier owner goes, the login's too
				// (a login without scopes would not replace it).
				if err := a.opts.Tokens.DeleteCharacter(ctx, tx, char.id, ""); err != nil {
					return res, err
				}
				if _, err := tx.Exec(ctx, `UPDATE characters SET owner_hash = $2 WHERE id = $1`, char.id, claims.Owner); err != nil {
					return res, fmt.Errorf("accounts: add character: %w", err)
				}
			}
		case char.ownerHash == claims.Owner:
			res.Outcome, res.OtherAccountID = Merged, char.accountID
			winner, loser := min(accountID, char.accountID), max(accountID, char.accountID)
			if err := a.merge(ctx, tx, winner, loser, now); err != nil {
				return res, err
			}
			res.AccountID = winner
		default:
			res.Outcome, res.OtherAccountID = MovedHere, char.accountID
			if err := a.move(ctx, tx, char, accountID, claims.Owner, MovedOwnerChanged, now); err != nil {
				return res, err
			}
			if err := a.assureMain(ctx, tx, accountID, now); err != nil {
				return res, err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE characters SET last_login_at = $2 WHERE id = $1`, claims.CharacterID, now); err != nil {
			return res, fmt.Errorf("accounts: add character: %w", err)
		}
		if err := a.sawOwner(ctx, tx, claims, res.AccountID, now); err != nil {
			return res, err
		}
		saved, err := a.opts.Tokens.Save(ctx, tx, tok, tokenLogin)
		res.TokenKept = saved.Kept
		return res, err
	})
	if err == nil {
		a.changed(ctx, accountID, res.AccountID, res.OtherAccountID)
	}
	return res, err
}

// lockAccounts locks accounts in id order (0s skipped) and gives whether
// each found is active.
func lockAccounts(ctx context.Context, tx *store.Tx, ids ...int64) (map[int64]bool, error) {
	slices.Sort(ids)
	active := map[int64]bool{}
	for _, id := range slices.Compact(ids) {
		if id == 0 {
			continue
		}
		var a bool
		err := tx.QueryRow(ctx, `SELECT active FROM accounts WHERE id = $1`+forUpdate(tx), id).Scan(&a)
		if errors.Is(err, store.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("accounts: lock account %d: %w", id, err)
		}
		active[id] = a
	}
	return active, nil
}

// lockedCharacter is a character row read under lock by a rule.
type lockedCharacter struct {
	id        int32
	accountID int64
	name      string
	ownerHash string
	main      bool
}

func lockCharacter(ctx context.Context, tx *store.Tx, id int32) (lockedCharacter, bool, error) {
	c := lockedCharacter{id: id}
	err := tx.QueryRow(ctx, `SELECT account_id, name, owner_hash, main FROM characters WHERE id = $1`+forUpdate(tx), id).
		Scan(&c.accountID, &c.name, &c.ownerHash, &c.main)
	if errors.Is(err, store.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("accounts: read character %d: %w", id, err)
	}
	return c, true, nil
}

func (a *Accounts) createAccount(ctx context.Context, tx *store.Tx, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
		VALUES ($1, 'standard', TRUE, $3 AND NOT EXISTS (SELECT 1 FROM accounts WHERE superuser), '', '', $2, $2) RETURNING id`,
		name, now, a.opts.FirstSuperuser).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("accounts: create account: %w", err)
	}
	return id, nil
}

// insertCharacter adds a character Keepstar did not know. Its name comes
// from the SSO this once; later names come from ESI, as the SSO may give an
// old name after a rename.
func (a *Accounts) insertCharacter(ctx context.Context, tx *store.Tx, accountID int64, claims sso.Claims, main bool, now time.Time) error {
	n, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`, claims.CharacterID, accountID, claims.Name, claims.Owner, main, now)
	if err != nil {
		return fmt.Errorf("accounts: add character %d: %w", claims.CharacterID, err)
	}
	if n == 0 {
		return errRetry // another login added it meanwhile
	}
	if main {
		return a.rename(ctx, tx, accountID, now)
	}
	return nil
}

// move takes a character to another account, not as its main, records why,
// and, when the owner changed, drops every token the earlier owner gave: the
// caller saves the new owner's next (a login without scopes would not replace
// a stored token, so none may be left).
func (a *Accounts) move(ctx context.Context, tx *store.Tx, c lockedCharacter, to int64, owner string, reason Reason, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE characters SET account_id = $2, main = FALSE, owner_hash = $3 WHERE id = $1`, c.id, to, owner); err != nil {
		return fmt.Errorf("accounts: move character %d: %w", c.id, err)
	}
	if err := a.record(ctx, tx, c.accountID, to, c.id, c.name, reason, 0, now); err != nil {
		return err
	}
	if c.ownerHash != owner {
		if err := a.opts.Tokens.DeleteCharacter(ctx, tx, c.id, ""); err != nil {
			return err
		}
	}
	if err := a.assureMain(ctx, tx, c.accountID, now); err != nil {
		return err
	}
	return a.notify(ctx, tx, c.accountID, notifications.Notice{Security: true, Level: notifications.Warning,
		TitleKey: "accounts.notice.moved.title", MessageKey: "accounts.notice.moved." + string(reason),
		Args: map[string]string{"Character": c.name}})
}

// merge moves every character of loser to winner and unites what the
// features keep of them. An account deactivated by an admin stays so: if
// either was, the merged one is.
func (a *Accounts) merge(ctx context.Context, tx *store.Tx, winner, loser int64, now time.Time) error {
	type moved struct {
		id   int32
		name string
	}
	chars, err := store.Collect(ctx, tx, `SELECT id, name FROM characters WHERE account_id = $1`, func(rows store.Rows, m *moved) error {
		return rows.Scan(&m.id, &m.name)
	}, loser)
	if err != nil {
		return fmt.Errorf("accounts: merge: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE characters SET account_id = $1, main = FALSE WHERE account_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("accounts: merge: %w", err)
	}
	for _, m := range chars {
		if err := a.record(ctx, tx, loser, winner, m.id, m.name, Moved, 0, now); err != nil {
			return err
		}
	}
	// SET reads the row as it was: an active winner takes over the loser's
	// deactivation record, a deactivated one keeps its own.
	if _, err := tx.Exec(ctx, `UPDATE accounts SET
			deactivated_at = CASE WHEN active THEN (SELECT deactivated_at FROM accounts WHERE id = $2) ELSE deactivated_at END,
			deactivated_by = CASE WHEN active THEN (SELECT deactivated_by FROM accounts WHERE id = $2) ELSE deactivated_by END,
			active = active AND (SELECT active FROM accounts WHERE id = $2),
			superuser = superuser OR (SELECT superuser FROM accounts WHERE id = $2),
			updated_at = $3
		WHERE id = $1`, winner, loser, now); err != nil {
		return fmt.Errorf("accounts: merge: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE accounts SET superuser = FALSE, updated_at = $2 WHERE id = $1`, loser, now); err != nil {
		return fmt.Errorf("accounts: merge: %w", err)
	}
	for _, m := range a.opts.Mergers {
		if err := m(ctx, tx, winner, loser); err != nil {
			return err
		}
	}
	if err := a.assureMain(ctx, tx, winner, now); err != nil {
		return err
	}
	return a.notify(ctx, tx, winner, notifications.Notice{Security: true, Level: notifications.Info,
		TitleKey: "accounts.notice.merged.title", MessageKey: "accounts.notice.merged.message",
		Args: map[string]string{"Count": strconv.Itoa(len(chars))}})
}

// record writes a removal.
func (a *Accounts) record(ctx context.Context, q store.Querier, from, to int64, charID int32, name string, reason Reason, by int64, now time.Time) error {
	if _, err := q.Exec(ctx, `INSERT INTO character_removals (account_id, new_account_id, character_id, character_name, reason, removed_at, removed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, from, nullID(to), charID, name, reason, now, nullID(by)); err != nil {
		return fmt.Errorf("accounts: record removal of character %d: %w", charID, err)
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// sawOwner remembers the character's owner on the account.
func (a *Accounts) sawOwner(ctx context.Context, q store.Querier, claims sso.Claims, accountID int64, now time.Time) error {
	if _, err := q.Exec(ctx, `INSERT INTO character_owners (character_id, owner_hash, account_id, character_name, first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (character_id, owner_hash, account_id) DO UPDATE SET last_seen = excluded.last_seen`,
		claims.CharacterID, claims.Owner, accountID, claims.Name, now); err != nil {
		return fmt.Errorf("accounts: record owner of character %d: %w", claims.CharacterID, err)
	}
	return nil
}

// assureMain makes the oldest character the main of an account that has
// characters but no main, and names the account after its main.
func (a *Accounts) assureMain(ctx context.Context, q store.Querier, accountID int64, now time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE characters SET main = TRUE
		WHERE id = (SELECT id FROM characters WHERE account_id = $1 ORDER BY created_at, id LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM characters WHERE account_id = $1 AND main)`, accountID); err != nil {
		return fmt.Errorf("accounts: main of account %d: %w", accountID, err)
	}
	return a.rename(ctx, q, accountID, now)
}

// rename names an account after its main; an account without characters
// keeps its last name.
func (a *Accounts) rename(ctx context.Context, q store.Querier, accountID int64, now time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE accounts SET name = (SELECT name FROM characters WHERE account_id = $1 AND main), updated_at = $2
		WHERE id = $1 AND EXISTS (SELECT 1 FROM characters WHERE account_id = $1 AND main)`, accountID, now); err != nil {
		return fmt.Errorf("accounts: name account %d: %w", accountID, err)
	}
	return nil
}

func (a *Accounts) notify(ctx context.Context, q store.Querier, accountID int64, n notifications.Notice) error {
	if a.opts.Notifier == nil {
		return nil
	}
	return a.opts.Notifier.Send(ctx, q, accountID, n)
}
