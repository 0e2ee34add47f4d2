package accounts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
)

// SetMain makes one of the account's characters its main.
func (a *Accounts) SetMain(ctx context.Context, accountID int64, characterID int32) error {
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		c, found, err := lockCharacter(ctx, tx, characterID)
		if err != nil {
			return err
		}
		if !found || c.accountID != accountID {
			return fmt.Errorf("%w: character %d, account %d", ErrNotOnAccount, characterID, accountID)
		}
		// Two statements, the old main first: the unique index allows
		// one main per account at any moment.
		if _, err := tx.Exec(ctx, `UPDATE characters SET main = FALSE WHERE account_id = $1 AND main AND id <> $2`, accountID, characterID); err != nil {
			return fmt.Errorf("accounts: set main: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE characters SET main = TRUE WHERE id = $1`, characterID); err != nil {
			return fmt.Errorf("accounts: set main: %w", err)
		}
		return a.rename(ctx, tx, accountID, a.now())
	})
}

// DeleteByMember deletes a character from the member's own account
// (deleted-manually). loggedIn is the character of the member's session,
// which cannot be deleted; allowed is the setting that lets members delete.
func (a *Accounts) DeleteByMember(ctx context.Context, accountID int64, characterID, loggedIn int32, allowed bool) error {
	if !allowed {
		return ErrDeletionOff
	}
	if characterID == loggedIn {
		return ErrLoggedInCharacter
	}
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		return a.remove(ctx, tx, accountID, characterID, DeletedManually, accountID)
	})
}

// DeleteByAdmin deletes a character from an account (deleted-by-admin),
// recording which admin did it.
func (a *Accounts) DeleteByAdmin(ctx context.Context, accountID int64, characterID int32, admin int64) error {
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		return a.remove(ctx, tx, accountID, characterID, DeletedByAdmin, admin)
	})
}

// Remove takes a character off whatever account it is on, for a reason
// found by a check (biomassed, new owner, lost access), in the caller's
// transaction. A character Keepstar does not know is no error.
func (a *Accounts) Remove(ctx context.Context, tx *store.Tx, characterID int32, reason Reason) error {
	c, found, err := lockCharacter(ctx, tx, characterID)
	if err != nil || !found {
		return err
	}
	return a.remove(ctx, tx, c.accountID, characterID, reason, 0)
}

func (a *Accounts) remove(ctx context.Context, tx *store.Tx, accountID int64, characterID int32, reason Reason, by int64) error {
	c, found, err := lockCharacter(ctx, tx, characterID)
	if err != nil {
		return err
	}
	if !found || c.accountID != accountID {
		return fmt.Errorf("%w: character %d, account %d", ErrNotOnAccount, characterID, accountID)
	}
	now := a.now()
	if err := a.opts.Tokens.DeleteCharacter(ctx, tx, characterID, ""); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM characters WHERE id = $1`, characterID); err != nil {
		return fmt.Errorf("accounts: delete character %d: %w", characterID, err)
	}
	if err := a.record(ctx, tx, accountID, 0, characterID, c.name, reason, by, now); err != nil {
		return err
	}
	if err := a.assureMain(ctx, tx, accountID, now); err != nil {
		return err
	}
	if reason == DeletedManually {
		return nil // the member did it and knows
	}
	return a.notify(ctx, tx, accountID, notifications.Notice{Security: true, Level: notifications.Warning,
		TitleKey: "accounts.notice.removed.title", MessageKey: "accounts.notice.removed." + string(reason),
		Args: map[string]string{"Character": c.name}})
}

// SetActive deactivates an account (it can no longer log in, and its
// sessions end) or activates it again. by is the admin.
func (a *Accounts) SetActive(ctx context.Context, accountID int64, active bool, by int64) error {
	now := a.now()
	err := a.db.InTx(ctx, func(tx *store.Tx) error {
		var n int64
		var err error
		if active {
			n, err = tx.Exec(ctx, `UPDATE accounts SET active = TRUE, deactivated_at = NULL, deactivated_by = NULL, updated_at = $2 WHERE id = $1`, accountID, now)
		} else {
			n, err = tx.Exec(ctx, `UPDATE accounts SET active = FALSE, deactivated_at = $2, deactivated_by = $3, updated_at = $2 WHERE id = $1 AND active`, accountID, now, nullID(by))
			if err == nil && n == 0 {
				// Deactivated already (nothing to do), or missing.
				var exists bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, accountID).Scan(&exists); err != nil {
					return fmt.Errorf("accounts: set active of account %d: %w", accountID, err)
				}
				if !exists {
					return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
				}
				return nil
			}
		}
		if err != nil {
			return fmt.Errorf("accounts: set active of account %d: %w", accountID, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		return a.opts.Follower.Follow(ctx, tx, []int64{accountID}, "account activity changed")
	})
	if err != nil {
		return err
	}
	a.changed(ctx, accountID)
	return nil
}

// ErrBadStatus is wrapped for a status that is neither standard nor managed.
var ErrBadStatus = errors.New("accounts: status must be standard or managed")

// SetStatus changes an account's status. The status hooks run with the
// change (Neucore takes every group away: what applies comes back at the
// recomputation that follows).
func (a *Accounts) SetStatus(ctx context.Context, accountID int64, status Status) error {
	if status != Standard && status != Managed {
		return fmt.Errorf("%w: %q", ErrBadStatus, status)
	}
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		var old Status
		err := tx.QueryRow(ctx, `SELECT status FROM accounts WHERE id = $1`+forUpdate(tx), accountID).Scan(&old)
		if errors.Is(err, store.ErrNoRows) {
			return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		if err != nil {
			return fmt.Errorf("accounts: set status of account %d: %w", accountID, err)
		}
		if old == status {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET status = $2, updated_at = $3 WHERE id = $1`, accountID, status, a.now()); err != nil {
			return fmt.Errorf("accounts: set status of account %d: %w", accountID, err)
		}
		for _, hook := range a.opts.StatusHooks {
			if err := hook(ctx, tx, accountID); err != nil {
				return err
			}
		}
		return nil
	})
}

// inTx runs fn in a transaction and, once it is committed, tells Changed of
// the accounts.
func (a *Accounts) inTx(ctx context.Context, accounts []int64, fn func(tx *store.Tx) error) error {
	err := a.db.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return a.opts.Follower.Follow(ctx, tx, accounts, "account changed")
	})
	if err != nil {
		return err
	}
	a.changed(ctx, accounts...)
	return nil
}

// SetPreferences stores a member's language and theme ("" follows the
// browser and the site); the caller checks them against what exists.
func (a *Accounts) SetPreferences(ctx context.Context, accountID int64, language, theme string) error {
	_, err := a.db.Exec(ctx, `UPDATE accounts SET language = $2, theme = $3, updated_at = $4 WHERE id = $1`, accountID, language, theme, a.now())
	if err != nil {
		return fmt.Errorf("accounts: preferences of account %d: %w", accountID, err)
	}
	return nil
}

// SetRoles gives an account exactly these roles and sets its superuser
// flag.
func (a *Accounts) SetRoles(ctx context.Context, accountID int64, roles []string, superuser bool) error {
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE accounts SET superuser = $2, updated_at = $3 WHERE id = $1`, accountID, superuser, a.now())
		if err != nil {
			return fmt.Errorf("accounts: roles of account %d: %w", accountID, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		return access.SetRoles(ctx, tx, accountID, roles, a.now())
	})
}

// SetPermissions gives an account exactly these permissions of its own
// (the catalogue checked them).
func (a *Accounts) SetPermissions(ctx context.Context, accountID int64, perms []string) error {
	return a.inTx(ctx, []int64{accountID}, func(tx *store.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, accountID).Scan(&exists); err != nil {
			return fmt.Errorf("accounts: permissions of account %d: %w", accountID, err)
		}
		if !exists {
			return fmt.Errorf("%w: account %d", ErrNotFound, accountID)
		}
		return access.SetAccountPermissions(ctx, tx, accountID, perms, a.now())
	})
}

// GrantSuperuser makes the account of a character (its id or its name, as
// Keepstar knows it from a login) superuser, for the first administrator.
func (a *Accounts) GrantSuperuser(ctx context.Context, character string) (Account, Character, error) {
	return a.setSuperuser(ctx, character, true)
}

// RevokeSuperuser takes superuser away from the account of a character.
func (a *Accounts) RevokeSuperuser(ctx context.Context, character string) (Account, Character, error) {
	return a.setSuperuser(ctx, character, false)
}

func (a *Accounts) setSuperuser(ctx context.Context, character string, superuser bool) (Account, Character, error) {
	c, err := a.find(ctx, character)
	if err != nil {
		return Account{}, Character{}, err
	}
	if _, err := a.db.Exec(ctx, `UPDATE accounts SET superuser = $2, updated_at = $3 WHERE id = $1`, c.AccountID, superuser, a.now()); err != nil {
		return Account{}, c, fmt.Errorf("accounts: set superuser: %w", err)
	}
	acc, err := a.Get(ctx, c.AccountID)
	return acc, c, err
}

// find resolves a character given by id or by name.
func (a *Accounts) find(ctx context.Context, character string) (Character, error) {
	character = strings.TrimSpace(character)
	if character == "" {
		return Character{}, fmt.Errorf("%w: no character given", ErrNotFound)
	}
	var id int32
	if _, err := fmt.Sscanf(character, "%d", &id); err == nil && fmt.Sprint(id) == character {
		return a.Character(ctx, id)
	}
	return a.CharacterByName(ctx, character)
}

// ApplyAffiliations records characters' corporations, alliances and
// factions as ESI gave them, and removes biomassed characters (Doomheim)
// from their accounts. Only what changed is written, in one statement per
// distinct affiliation rather than per character, and the accounts
// concerned are told to Changed. It returns the ids removed.
func (a *Accounts) ApplyAffiliations(ctx context.Context, affs []esi.Affiliation) ([]int32, error) {
	type key struct{ corp, alliance, faction int32 }
	known := map[int32]key{}
	ids := make([]int32, 0, len(affs))
	for _, af := range affs {
		ids = append(ids, af.CharacterID)
	}
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, a.db, `SELECT id, COALESCE(corporation_id, 0), COALESCE(alliance_id, 0), COALESCE(faction_id, 0)
			FROM characters WHERE id IN (`+list+`)`, func(rows store.Rows) error {
			var id int32
			var k key
			err := rows.Scan(&id, &k.corp, &k.alliance, &k.faction)
			known[id] = k
			return err
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("accounts: affiliations: %w", err)
		}
	}
	groups := map[key][]int32{}
	var biomassed, changedChars []int32
	for _, af := range affs {
		old, ok := known[af.CharacterID]
		if !ok {
			continue // not a character of Keepstar's
		}
		if af.CorporationID == esi.DoomheimID {
			biomassed = append(biomassed, af.CharacterID)
			continue
		}
		k := key{af.CorporationID, af.AllianceID, af.FactionID}
		if k != old {
			groups[k] = append(groups[k], af.CharacterID)
			changedChars = append(changedChars, af.CharacterID)
		}
	}
	var removed []int32
	var touched []int64
	err := a.db.InTx(ctx, func(tx *store.Tx) error {
		for k, ids := range groups {
			for list, args := range store.InChunks(ids, nullID32(k.corp), nullID32(k.alliance), nullID32(k.faction)) {
				if _, err := tx.Exec(ctx, `UPDATE characters SET corporation_id = $1, alliance_id = $2, faction_id = $3
					WHERE id IN (`+list+`)`, args...); err != nil {
					return fmt.Errorf("accounts: affiliations: %w", err)
				}
			}
		}
		for list, args := range store.InChunks(changedChars) {
			accounts, err := store.Column[int64](ctx, tx, `SELECT DISTINCT account_id FROM characters WHERE id IN (`+list+`)`, args...)
			if err != nil {
				return fmt.Errorf("accounts: affiliations: %w", err)
			}
			touched = append(touched, accounts...)
		}
		for _, id := range biomassed {
			c, found, err := lockCharacter(ctx, tx, id)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			if err := a.remove(ctx, tx, c.accountID, id, DeletedBiomassed, 0); err != nil {
				return err
			}
			removed = append(removed, id)
			touched = append(touched, c.accountID)
		}
		return a.opts.Follower.Follow(ctx, tx, touched, "affiliations changed")
	})
	if err != nil {
		return nil, err
	}
	a.changed(ctx, touched...)
	return removed, nil
}

func nullID32(id int32) *int64 {
	if id == 0 {
		return nil
	}
	v := int64(id)
	return &v
}

// IDs gives the ids of characters.
func IDs(cs []Character) []int32 {
	ids := make([]int32, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// ApplyNames records characters' names as ESI gives them (a character
// renamed in game, whose SSO name may lag behind), and renames the accounts
// whose main a renamed character is. Only names that changed are written,
// in one transaction; it gives how many characters were renamed.
func (a *Accounts) ApplyNames(ctx context.Context, names map[int32]string) (int, error) {
	ids := slices.Sorted(maps.Keys(names))
	type stored struct {
		name    string
		account int64
		main    bool
	}
	changed := map[int32]stored{}
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, a.db, `SELECT id, name, account_id, main FROM characters WHERE id IN (`+list+`)`, func(rows store.Rows) error {
			var id int32
			var s stored
			if err := rows.Scan(&id, &s.name, &s.account, &s.main); err != nil {
				return err
			}
			if names[id] != s.name {
				changed[id] = s
			}
			return nil
		}, args...)
		if err != nil {
			return 0, fmt.Errorf("accounts: names: %w", err)
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	now := a.now()
	err := a.db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range slices.Sorted(maps.Keys(changed)) {
			if _, err := tx.Exec(ctx, `UPDATE characters SET name = $2 WHERE id = $1`, id, names[id]); err != nil {
				return fmt.Errorf("accounts: rename character %d: %w", id, err)
			}
			if s := changed[id]; s.main {
				if err := a.rename(ctx, tx, s.account, now); err != nil {
					return err
				}
				if err := a.opts.Follower.Follow(ctx, tx, []int64{s.account}, "main renamed"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(changed), nil
}
