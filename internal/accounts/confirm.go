package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// The confirmations of the destructive actions on accounts: deleting a
// character (the member's own, an admin's) and deactivating an account,
// each counting what follows from the data (web.HandleConfirmed).

// tokenCount counts the EVE tokens of a character, deleted with it.
func (a *Accounts) tokenCount(ctx context.Context, characterID int32) (int, error) {
	var n int
	if err := a.db.QueryRow(ctx, `SELECT count(*) FROM eve_tokens WHERE character_id = $1`, characterID).Scan(&n); err != nil {
		return 0, fmt.Errorf("accounts: tokens of %d: %w", characterID, err)
	}
	return n, nil
}

// sessionCount counts the sessions of an account not expired yet, ended
// by its deactivation.
func (a *Accounts) sessionCount(ctx context.Context, accountID int64) (int, error) {
	var n int
	err := a.db.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE expiry > $2
		AND character_id IN (SELECT id FROM characters WHERE account_id = $1)`, accountID, a.now()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("accounts: sessions of %d: %w", accountID, err)
	}
	return n, nil
}

// characterConsequences says what deleting character c does.
func (p *pages) characterConsequences(r *http.Request, c Character, admin bool) ([]i18n.Message, error) {
	n, err := p.a.tokenCount(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	out := []i18n.Message{i18n.M("accounts.confirm.character_tokens", "Count", n)}
	if c.Main {
		out = append(out, i18n.M("accounts.confirm.character_main"))
	}
	if admin {
		out = append(out, i18n.M("accounts.confirm.character_notified"))
	}
	return append(out, i18n.M("accounts.confirm.character_again")), nil
}

// ownCharacter reads the member's character of the path for its deletion,
// answering itself when it may not be deleted: deletion off (403), the
// character logged in with (409), not theirs (404).
func (p *pages) ownCharacter(w http.ResponseWriter, r *http.Request) (Character, bool) {
	ctx := r.Context()
	id, ok := p.srv.PathID(w, r, "id", "web.error.not_found")
	if !ok {
		return Character{}, false
	}
	values, err := p.deps.Settings.Values(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return Character{}, false
	}
	v := web.ViewerFrom(ctx)
	c, err := p.a.Character(ctx, int32(id))
	switch {
	case !values.Bool(SettingAllowCharacterDeletion):
		p.srv.Fail(w, r, http.StatusForbidden, "accounts.characters.error.deletion_off")
	case int32(id) == v.CharacterID:
		p.srv.Fail(w, r, http.StatusConflict, "accounts.characters.error.logged_in")
	case errors.Is(err, ErrNotFound) || err == nil && c.AccountID != v.AccountID:
		p.srv.Fail(w, r, http.StatusNotFound, "accounts.characters.error.not_yours")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		return c, true
	}
	return Character{}, false
}

func (p *pages) askDeleteCharacter(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	c, ok := p.ownCharacter(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	cons, err := p.characterConsequences(r, c, false)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{Question: i18n.M("accounts.confirm.character_question", "Name", c.Name), Consequences: cons,
		Button: i18n.M("accounts.confirm.character_button"), Back: "/characters"}, true
}

// accountCharacter reads the account and character of an admin's path,
// answering itself when the admin may not change the account or the
// character is not on it.
func (p *pages) accountCharacter(w http.ResponseWriter, r *http.Request) (Account, Character, bool) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return Account{}, Character{}, false
	}
	cid, ok := p.srv.PathID(w, r, "cid", "web.error.not_found")
	if !ok {
		return Account{}, Character{}, false
	}
	c, err := p.a.Character(r.Context(), int32(cid))
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && c.AccountID != acc.ID:
		p.srv.Fail(w, r, http.StatusNotFound, "accounts.admin.account.error.not_on_account")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		return acc, c, true
	}
	return Account{}, Character{}, false
}

func (p *pages) askAdminDeleteCharacter(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	acc, c, ok := p.accountCharacter(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	cons, err := p.characterConsequences(r, c, true)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{Question: i18n.M("accounts.confirm.admin_character_question", "Name", c.Name, "ID", acc.ID),
		Consequences: cons, Button: i18n.M("accounts.confirm.character_button"),
		Back: "/admin/accounts/" + strconv.FormatInt(acc.ID, 10)}, true
}

// askDeactivate says what deactivating an account does: its characters
// can no longer log in, its open sessions end.
func (p *pages) askDeactivate(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	if acc.ID == web.ViewerFrom(r.Context()).AccountID {
		p.srv.Fail(w, r, http.StatusConflict, "accounts.admin.account.error.self")
		return web.Confirmation{}, false
	}
	cs, err := p.a.Characters(r.Context(), acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	sessions, err := p.a.sessionCount(r.Context(), acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	name := "#" + strconv.FormatInt(acc.ID, 10)
	if len(cs) > 0 {
		name = cs[0].Name // the main first
	}
	path := "/admin/accounts/" + strconv.FormatInt(acc.ID, 10)
	return web.Confirmation{Question: i18n.M("accounts.confirm.deactivate_question", "Name", name),
		Consequences: []i18n.Message{
			i18n.M("accounts.confirm.deactivate_characters", "Count", len(cs)),
			i18n.M("accounts.confirm.deactivate_sessions", "Count", sessions),
			i18n.M("accounts.confirm.deactivate_again"),
		},
		Button: i18n.M("accounts.admin.account.deactivate"), Back: path, Action: path + "/deactivate", Reversible: true}, true
}

func (p *pages) deactivate(w http.ResponseWriter, r *http.Request) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return
	}
	v := web.ViewerFrom(r.Context())
	if acc.ID == v.AccountID {
		p.srv.Fail(w, r, http.StatusConflict, "accounts.admin.account.error.self")
		return
	}
	if err := p.a.SetActive(r.Context(), acc.ID, false, v.AccountID); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "accounts.admin.account.deactivated")
	web.SeeOther(w, r, "/admin/accounts/"+strconv.FormatInt(acc.ID, 10))
}
