package appapi

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The operations of role app-chars: characters and the player accounts
// they belong to (Neucore's CharController). Neucore's player is Keepstar's
// account: same id, its name the main's. Paths take ids as PHP's (int) reads
// them ("12abc" is 12, "abc" 0, which finds nothing); bulk bodies as
// getIntegerArrayFromBody does (phpform.go).

// characterNotFound is Neucore's CharController::ERROR_CHARACTER_NOT_FOUND.
const characterNotFound = "Character not found."

// mountChars adds the operations of role app-chars.
func (api *API) mountChars(srv *web.Server) {
	api.handle(srv, "GET /api/app/v1/main/{cid}", RoleChars, func(w http.ResponseWriter, r *http.Request, _ *App) {
		api.main(w, r, "") // deprecated v1: the standard phrase
	})
	api.handle(srv, "GET /api/app/v2/main/{cid}", RoleChars, func(w http.ResponseWriter, r *http.Request, _ *App) {
		api.main(w, r, characterNotFound)
	})
	api.handle(srv, "GET /api/app/v1/player/{characterId}", RoleChars, api.player)
	api.handle(srv, "POST /api/app/v1/players", RoleChars, api.players)
	api.handle(srv, "GET /api/app/v1/characters/{characterId}", RoleChars, api.accountCharacters)
	api.handle(srv, "POST /api/app/v1/characters", RoleChars, api.charactersBulk)
	api.handle(srv, "POST /api/app/v1/character-list", RoleChars, api.characterList)
	api.handle(srv, "GET /api/app/v1/player-chars/{playerId}", RoleChars, api.playerCharacters)
	api.handle(srv, "GET /api/app/v1/player-with-characters/{characterId}", RoleChars, api.playerWithCharacters)
	api.handle(srv, "GET /api/app/v1/removed-characters/{characterId}", RoleChars, func(w http.ResponseWriter, r *http.Request, _ *App) {
		api.removals(w, r, "account_id")
	})
	api.handle(srv, "GET /api/app/v1/incoming-characters/{characterId}", RoleChars, func(w http.ResponseWriter, r *http.Request, _ *App) {
		api.removals(w, r, "new_account_id")
	})
	api.handle(srv, "GET /api/app/v1/corp-players/{corporationId}", RoleChars, api.corporationPlayers)
	api.handle(srv, "GET /api/app/v1/corp-characters/{corporationId}", RoleChars, api.corporationCharacters)
}

// CharacterWithoutCorporation is Neucore's Character without its
// corporation (jsonSerialize(false, false)), as character-list and
// corp-characters give it.
type CharacterWithoutCorporation struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	Main             bool   `json:"main"`
	Created          Time   `json:"created"`
	LastUpdate       Time   `json:"lastUpdate"`
	ValidToken       *bool  `json:"validToken"`
	ValidTokenTime   Time   `json:"validTokenTime"`
	TokenLastChecked Time   `json:"tokenLastChecked"`
}

// PlayerWithCharacterID is Neucore's PlayerWithCharcterId (sic): a player
// found by one of its characters.
type PlayerWithCharacterID struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	CharacterID int64  `json:"characterId"`
}

// PlayerWithCharacters is Neucore's Player with id, name and characters.
type PlayerWithCharacters struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Characters []Character `json:"characters"`
}

// main is mainV1 and mainV2: the main of the character's account; 204
// when the account has none (Keepstar's rules always give one, but an
// account without a main is answered as Neucore does), 404 with phrase
// when Keepstar does not know the character.
func (api *API) main(w http.ResponseWriter, r *http.Request, phrase string) {
	// The main if there is one, else another character of the account.
	chars, err := api.readCharacters(r.Context(), `WHERE c.account_id = (SELECT account_id FROM characters WHERE id = $1)
		ORDER BY c.main DESC LIMIT 1`, phpInt(r.PathValue("cid")))
	switch {
	case err != nil:
		api.internal(w, r, err)
	case len(chars) == 0:
		web.WriteReason(w, http.StatusNotFound, phrase)
	case !chars[0].Main:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, chars[0].Character)
	}
}

// player is playerV1: the account of a character, id and name.
func (api *API) player(w http.ResponseWriter, r *http.Request, _ *App) {
	var p PlayerMinimum
	err := api.db.QueryRow(r.Context(), `SELECT a.id, a.name FROM characters c JOIN accounts a ON a.id = c.account_id
		WHERE c.id = $1`, phpInt(r.PathValue("characterId"))).Scan(&p.ID, &p.Name)
	switch {
	case errors.Is(err, store.ErrNoRows):
		web.WriteReason(w, http.StatusNotFound, characterNotFound)
	case err != nil:
		api.internal(w, r, fmt.Errorf("apps: player of a character: %w", err))
	default:
		writeJSON(w, http.StatusOK, p)
	}
}

// players is playersV1: the account of each character known, by account
// then character id (an account comes once per character asked).
func (api *API) players(w http.ResponseWriter, r *http.Request, _ *App) {
	ids, ok := integerArrayFromBody(r)
	if !ok {
		web.WriteReason(w, http.StatusBadRequest, "")
		return
	}
	out := []PlayerWithCharacterID{}
	for part := range slices.Chunk(ids, idsPerStatement) {
		list, args := api.idList(1, part)
		some, err := store.Collect(r.Context(), api.db, `SELECT a.id, a.name, c.id FROM characters c JOIN accounts a ON a.id = c.account_id
			WHERE c.id IN (`+list+`)`, func(rows store.Rows, p *PlayerWithCharacterID) error {
			return rows.Scan(&p.ID, &p.Name, &p.CharacterID)
		}, args...)
		if err != nil {
			api.internal(w, r, fmt.Errorf("apps: players of characters: %w", err))
			return
		}
		out = append(out, some...)
	}
	slices.SortFunc(out, func(a, b PlayerWithCharacterID) int {
		if a.ID != b.ID {
			return cmp.Compare(a.ID, b.ID)
		}
		return cmp.Compare(a.CharacterID, b.CharacterID)
	})
	writeJSON(w, http.StatusOK, out)
}

// accountCharacters is charactersV1: every character of the account of a
// character, in full, by name.
func (api *API) accountCharacters(w http.ResponseWriter, r *http.Request, _ *App) {
	chars, err := api.readCharacters(r.Context(), `WHERE c.account_id = (SELECT account_id FROM characters WHERE id = $1)`,
		phpInt(r.PathValue("characterId")))
	switch {
	case err != nil:
		api.internal(w, r, err)
	case len(chars) == 0:
		web.WriteReason(w, http.StatusNotFound, characterNotFound)
	default:
		writeJSON(w, http.StatusOK, fullCharacters(sortedByName(chars)))
	}
}

// charactersBulk is charactersBulkV1: for each account of the characters
// known, the ids of all its characters; accounts by id, characters by id
// (the order Neucore's database gives).
func (api *API) charactersBulk(w http.ResponseWriter, r *http.Request, _ *App) {
	ids, ok := integerArrayFromBody(r)
	if !ok {
		web.WriteReason(w, http.StatusBadRequest, "")
		return
	}
	type row struct{ account, character int64 }
	var found []row
	for part := range slices.Chunk(ids, idsPerStatement) {
		list, args := api.idList(1, part)
		some, err := store.Collect(r.Context(), api.db, `SELECT account_id, id FROM characters
			WHERE account_id IN (SELECT account_id FROM characters WHERE id IN (`+list+`))`, func(rows store.Rows, x *row) error {
			return rows.Scan(&x.account, &x.character)
		}, args...)
		if err != nil {
			api.internal(w, r, fmt.Errorf("apps: characters of accounts: %w", err))
			return
		}
		found = append(found, some...)
	}
	// Two chunks may name the same account: its characters come twice.
	slices.SortFunc(found, func(a, b row) int {
		if a.account != b.account {
			return cmp.Compare(a.account, b.account)
		}
		return cmp.Compare(a.character, b.character)
	})
	found = slices.Compact(found)
	out := [][]int64{}
	for i, x := range found {
		if i == 0 || found[i-1].account != x.account {
			out = append(out, []int64{})
		}
		out[len(out)-1] = append(out[len(out)-1], x.character)
	}
	writeJSON(w, http.StatusOK, out)
}

// characterList is characterListV1: the characters known of those asked,
// without their corporation, by id.
func (api *API) characterList(w http.ResponseWriter, r *http.Request, _ *App) {
	ids, ok := integerArrayFromBody(r)
	if !ok {
		web.WriteReason(w, http.StatusBadRequest, "")
		return
	}
	var chars []characterRow
	for part := range slices.Chunk(ids, idsPerStatement) {
		list, args := api.idList(1, part)
		some, err := api.readCharacters(r.Context(), `WHERE c.id IN (`+list+`)`, args...)
		if err != nil {
			api.internal(w, r, err)
			return
		}
		chars = append(chars, some...)
	}
	slices.SortFunc(chars, func(a, b characterRow) int { return cmp.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, charactersWithoutCorporation(chars))
}

// playerCharacters is playerCharactersV1: the characters of an account, in
// full, by name; an account without characters has none, an unknown one
// is a 404.
func (api *API) playerCharacters(w http.ResponseWriter, r *http.Request, _ *App) {
	id := phpInt(r.PathValue("playerId"))
	var exists bool
	if err := api.db.QueryRow(r.Context(), `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists); err != nil {
		api.internal(w, r, fmt.Errorf("apps: account %d: %w", id, err))
		return
	}
	if !exists {
		web.WriteReason(w, http.StatusNotFound, "Player not found.")
		return
	}
	chars, err := api.readCharacters(r.Context(), `WHERE c.account_id = $1`, id)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, fullCharacters(sortedByName(chars)))
}

// playerWithCharacters is playerWithCharactersV1: the account of a
// character with all its characters.
func (api *API) playerWithCharacters(w http.ResponseWriter, r *http.Request, _ *App) {
	chars, err := api.readCharacters(r.Context(), `WHERE c.account_id = (SELECT account_id FROM characters WHERE id = $1)`,
		phpInt(r.PathValue("characterId")))
	switch {
	case err != nil:
		api.internal(w, r, err)
	case len(chars) == 0:
		web.WriteReason(w, http.StatusNotFound, characterNotFound)
	default:
		writeJSON(w, http.StatusOK, PlayerWithCharacters{ID: chars[0].accountID, Name: chars[0].accountName,
			Characters: fullCharacters(sortedByName(chars))})
	}
}

// removals is removedCharactersV1 (by the account characters left) and
// incomingCharactersV1 (by the account they came to): the removals of the
// account of a character, oldest first. Keepstar also records deletions by
// admins, which Neucore only logs: they are left out, as their reason is
// not one the API knows.
func (api *API) removals(w http.ResponseWriter, r *http.Request, column string) {
	ctx := r.Context()
	characterID := phpInt(r.PathValue("characterId"))
	var account int64
	err := api.db.QueryRow(ctx, `SELECT account_id FROM characters WHERE id = $1`, characterID).Scan(&account)
	if errors.Is(err, store.ErrNoRows) {
		web.WriteReason(w, http.StatusNotFound, characterNotFound)
		return
	}
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: account of character %d: %w", characterID, err))
		return
	}
	out := []RemovedCharacter{}
	// column is one of two constants of mountChars.
	err = store.Each(ctx, api.db, `SELECT r.account_id, a.name, r.character_id, r.character_name, r.removed_at, r.reason,
			r.removed_by, rb.name, r.new_account_id, na.name
		FROM character_removals r
		JOIN accounts a ON a.id = r.account_id
		LEFT JOIN accounts rb ON rb.id = r.removed_by
		LEFT JOIN accounts na ON na.id = r.new_account_id
		WHERE r.`+column+` = $1 AND r.reason <> 'deleted-by-admin'
		ORDER BY r.removed_at, r.id`, func(rows store.Rows) error {
		var rc RemovedCharacter
		var player PlayerMinimum
		var removedAt time.Time
		var byID *int64
		var byName *string
		if err := rows.Scan(&player.ID, &player.Name, &rc.CharacterID, &rc.CharacterName, &removedAt, &rc.Reason,
			&byID, &byName, &rc.NewPlayerID, &rc.NewPlayerName); err != nil {
			return err
		}
		rc.Player, rc.RemovedDate = &player, TimeOf(removedAt)
		if byID != nil && byName != nil {
			rc.DeletedBy = &PlayerMinimum{ID: *byID, Name: *byName}
		}
		out = append(out, rc)
		return nil
	}, account)
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: removals of account %d: %w", account, err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// corporationPlayers is corporationPlayersV1: the accounts with a character
// in the corporation, id and name, by name.
func (api *API) corporationPlayers(w http.ResponseWriter, r *http.Request, _ *App) {
	id := phpInt(r.PathValue("corporationId"))
	out := []PlayerMinimum{}
	err := store.Each(r.Context(), api.db, `SELECT DISTINCT a.id, a.name FROM characters c JOIN accounts a ON a.id = c.account_id
		WHERE c.corporation_id = $1`, func(rows store.Rows) error {
		var p PlayerMinimum
		err := rows.Scan(&p.ID, &p.Name)
		out = append(out, p)
		return err
	}, id)
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: accounts in corporation %d: %w", id, err))
		return
	}
	sortByName(out, func(p PlayerMinimum) (string, int64) { return p.Name, p.ID })
	writeJSON(w, http.StatusOK, out)
}

// corporationCharacters is corporationCharactersV1: the characters in the
// corporation, without their corporation, by name; none for a corporation
// Keepstar does not know.
func (api *API) corporationCharacters(w http.ResponseWriter, r *http.Request, _ *App) {
	chars, err := api.readCharacters(r.Context(), `WHERE c.corporation_id = $1`, phpInt(r.PathValue("corporationId")))
	if err != nil {
		api.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, charactersWithoutCorporation(sortedByName(chars)))
}

// characterRow is a character in full, with its account.
type characterRow struct {
	Character
	accountID   int64
	accountName string
}

// characterColumns read a characterRow: the character, its account, its
// corporation and alliance (names and tickers null when Keepstar has not
// read them), and its core.default token.
const characterColumns = `SELECT c.id, c.name, c.main, c.created_at, c.account_id, a.name,
		c.corporation_id, co.name, co.ticker, c.alliance_id, al.name, al.ticker,
		t.validity, t.scopes, t.invalid_since, t.checked_at, t.created_at
	FROM characters c
	JOIN accounts a ON a.id = c.account_id
	LEFT JOIN eve_corporations co ON co.id = c.corporation_id
	LEFT JOIN eve_alliances al ON al.id = c.alliance_id
	LEFT JOIN eve_tokens t ON t.character_id = c.id AND t.login = '` + logins.Default + `' `

// readCharacters reads the characters a where clause picks, in no order.
func (api *API) readCharacters(ctx context.Context, where string, args ...any) ([]characterRow, error) {
	out, err := store.Collect(ctx, api.db, characterColumns+where, func(rows store.Rows, c *characterRow) error {
		var created time.Time
		var corpID, allianceID *int64
		var corpName, corpTicker, allianceName, allianceTicker *string
		var tok defaultToken
		if err := rows.Scan(&c.ID, &c.Name, &c.Main, &created, &c.accountID, &c.accountName,
			&corpID, &corpName, &corpTicker, &allianceID, &allianceName, &allianceTicker,
			&tok.validity, &tok.scopes, &tok.invalidSince, &tok.checkedAt, &tok.createdAt); err != nil {
			return err
		}
		c.Created = TimeOf(created)
		// Neucore's lastUpdate is when ESI last updated the character;
		// Keepstar syncs affiliations in bulk and keeps no such date.
		c.LastUpdate = Time{}
		if corpID != nil {
			c.Corporation = &Corporation{ID: *corpID, Name: corpName, Ticker: corpTicker}
			if allianceID != nil {
				c.Corporation.Alliance = &Alliance{ID: *allianceID, Name: allianceName, Ticker: allianceTicker}
			}
		}
		c.ValidToken, c.ValidTokenTime, c.TokenLastChecked = tok.neucore()
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("apps: characters: %w", err)
	}
	return out, nil
}

// defaultToken is what the API shows of a character's core.default token;
// every field is null when the character has none.
type defaultToken struct {
	validity, scopes                   *string
	invalidSince, checkedAt, createdAt *time.Time
}

// neucore gives the token as Neucore's Character shows its default token:
// validToken true for a valid token with scopes, false for an invalid one,
// null for none or for a valid token without scopes (a core.no-scopes
// login), which Neucore treats as no token. validTokenTime is when
// validToken last changed: for an invalid token the moment it failed; for
// a valid one the moment it was stored (Keepstar does not record when a
// new login revived an invalid token, so that case gives the token's first
// storing); for a token without scopes null, as Neucore's stays when a
// first login sets it to null. tokenLastChecked is the last refresh or
// login.
func (t defaultToken) neucore() (valid *bool, validTime, lastChecked Time) {
	if t.validity == nil {
		return nil, Time{}, Time{}
	}
	lastChecked = TimePtr(t.checkedAt)
	switch {
	case *t.validity != "valid":
		v := false
		if t.invalidSince != nil {
			return &v, TimePtr(t.invalidSince), lastChecked
		}
		return &v, lastChecked, lastChecked
	case t.scopes == nil || strings.TrimSpace(*t.scopes) == "":
		return nil, Time{}, lastChecked
	default:
		v := true
		return &v, TimePtr(t.createdAt), lastChecked
	}
}

func fullCharacters(chars []characterRow) []Character {
	out := make([]Character, len(chars))
	for i, c := range chars {
		out[i] = c.Character
	}
	return out
}

func charactersWithoutCorporation(chars []characterRow) []CharacterWithoutCorporation {
	out := make([]CharacterWithoutCorporation, len(chars))
	for i, c := range chars {
		out[i] = c.CharacterWithoutCorporation
	}
	return out
}

// sortedByName sorts characters by name as Neucore's lists come, and gives
// them.
func sortedByName(chars []characterRow) []characterRow {
	sortByName(chars, func(c characterRow) (string, int64) { return c.Name, c.ID })
	return chars
}

// collators keeps the collators of sortByName: one is not safe for two
// goroutines at once, and making one costs more than a sort of a member's
// groups.
var collators = sync.Pool{New: func() any { return collate.New(language.Und, collate.Loose) }}

// sortByName sorts as Neucore's database orders names: MySQL's
// utf8mb4_unicode_520_ci, the Unicode collation without case or accents.
// Sorting here, not in SQL, gives the same order on both engines whatever
// their collations; equal names go by id.
func sortByName[T any](items []T, key func(T) (string, int64)) {
	if len(items) < 2 {
		return
	}
	col := collators.Get().(*collate.Collator)
	defer collators.Put(col)
	var buf collate.Buffer
	type keyed struct {
		name []byte
		id   int64
		item T
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		name, id := key(it)
		ks[i] = keyed{name: col.KeyFromString(&buf, name), id: id, item: it}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if c := bytes.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	for i := range ks {
		items[i] = ks[i].item
	}
}
