package appapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The operations of roles app-esi-login, app-esi-token and app-esi-proxy
// (Neucore's App\EsiController): the characters and tokens of an EVE
// login, a character's access token, and ESI requests made with it
// (proxy.go).

// defaultLogin is Neucore's EveLogin::NAME_DEFAULT, the account login.
const defaultLogin = "core.default"

// AccessTokens hands out characters' access tokens, refreshing them through
// the EVE SSO as needed, once across processes (*tokens.Source).
type AccessTokens interface {
	AccessToken(ctx context.Context, characterID int32, login string) (string, error)
}

// TokenRows reads stored tokens (*tokens.Store).
type TokenRows interface {
	Get(ctx context.Context, characterID int32, login string) (tokens.Token, error)
}

// ESIRelay is what the ESI proxy uses of Keepstar's ESI client
// (*esi.Client): its limit gate, asked without waiting, and relayed calls.
type ESIRelay interface {
	Check(ctx context.Context, route string, characterID int32, m esi.Margins) (esi.Hold, error)
	Do(ctx context.Context, req esi.Request) (*esi.Response, error)
}

var (
	_ AccessTokens = (*tokens.Source)(nil)
	_ TokenRows    = (*tokens.Store)(nil)
	_ ESIRelay     = (*esi.Client)(nil)
)

// errNoEVEApp: without an EVE application Keepstar cannot refresh a token.
var errNoEVEApp = errors.New("apps: no EVE application is configured, so no token can be refreshed")

// mountESI adds the operations of roles app-esi-login, app-esi-token and
// app-esi-proxy. The proxy takes the ESI path either in the query
// (esi-path-query) or appended to its own path, so that clients generated
// from ESI's specification work with only their base URL changed.
func (api *API) mountESI(srv *web.Server) {
	api.handle(srv, "GET /api/app/v1/esi/eve-login/{name}/characters", RoleESILogin, api.eveLoginCharacters)
	api.handle(srv, "GET /api/app/v1/esi/eve-login/{name}/token-data", RoleESILogin, api.eveLoginTokenData)
	api.handle(srv, "GET /api/app/v1/esi/access-token/{characterId}", RoleESIToken, api.accessToken)
	api.handle(srv, "GET /api/app/v1/esi", RoleESIProxy, api.proxy(1, http.MethodGet))
	api.handle(srv, "GET /api/app/v1/esi/{path...}", RoleESIProxy, api.proxy(1, http.MethodGet))
	api.handle(srv, "POST /api/app/v1/esi", RoleESIProxy, api.proxy(1, http.MethodPost))
	api.handle(srv, "POST /api/app/v1/esi/{path...}", RoleESIProxy, api.proxy(1, http.MethodPost))
	api.handle(srv, "GET /api/app/v2/esi", RoleESIProxy, api.proxy(2, http.MethodGet))
	api.handle(srv, "GET /api/app/v2/esi/{path...}", RoleESIProxy, api.proxy(2, http.MethodGet))
	api.handle(srv, "POST /api/app/v2/esi", RoleESIProxy, api.proxy(2, http.MethodPost))
	api.handle(srv, "POST /api/app/v2/esi/{path...}", RoleESIProxy, api.proxy(2, http.MethodPost))
}

// mayUseLogin answers as Neucore's validateTokenRequest: 404 when no EVE
// login has the name, 403 when the app may not use it, both with empty
// bodies. It tells whether the operation goes on.
func (api *API) mayUseLogin(w http.ResponseWriter, r *http.Request, app *App, name string) bool {
	var n int
	if err := api.db.QueryRow(r.Context(), `SELECT count(*) FROM eve_logins WHERE name = $1`, name).Scan(&n); err != nil {
		api.internal(w, r, fmt.Errorf("apps: EVE login %q: %w", name, err))
		return false
	}
	if n == 0 {
		web.WriteReason(w, http.StatusNotFound, "")
		return false
	}
	if !app.MayUse(name) {
		web.WriteReason(w, http.StatusForbidden, "")
		return false
	}
	return true
}

// eveLoginCharacters is esiEveLoginCharactersV1: the ids of the characters
// with a token of the login, invalid ones included.
func (api *API) eveLoginCharacters(w http.ResponseWriter, r *http.Request, app *App) {
	name := r.PathValue("name")
	if !api.mayUseLogin(w, r, app, name) {
		return
	}
	ids := []int64{}
	err := store.Each(r.Context(), api.db, `SELECT character_id FROM eve_tokens WHERE login = $1 ORDER BY character_id`, func(rows store.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, name)
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: characters of EVE login %q: %w", name, err))
		return
	}
	writeJSON(w, http.StatusOK, ids)
}

// EsiTokenData is Neucore's EsiTokenData: a valid token of an EVE login,
// with its character's affiliation.
type EsiTokenData struct {
	LastChecked   Time   `json:"lastChecked"`
	CharacterID   int64  `json:"characterId"`
	CharacterName string `json:"characterName"`
	CorporationID *int64 `json:"corporationId"`
	AllianceID    *int64 `json:"allianceId"`
}

// eveLoginTokenData is esiEveLoginTokenDataV1: the valid tokens of the
// login whose characters hold the login's in-game roles (when it needs
// any), as last checked: ESI is not asked. core.default is refused (403):
// its tokens are every member's. A token refreshed for a new owner
// (tokens.ErrOwnerChanged) gives no access token, so it is not listed.
func (api *API) eveLoginTokenData(w http.ResponseWriter, r *http.Request, app *App) {
	name := r.PathValue("name")
	if name == defaultLogin {
		web.WriteReason(w, http.StatusForbidden, "")
		return
	}
	if !api.mayUseLogin(w, r, app, name) {
		return
	}
	out := []EsiTokenData{}
	err := store.Each(r.Context(), api.db, `SELECT t.checked_at, c.id, c.name, c.corporation_id, c.alliance_id
		FROM eve_tokens t JOIN characters c ON c.id = t.character_id
		WHERE t.login = $1 AND t.validity = 'valid' AND t.previous_owner_hash IS NULL
			AND (t.has_roles IS NULL OR t.has_roles = $2)
		ORDER BY c.id`, func(rows store.Rows) error {
		var d EsiTokenData
		var checked time.Time
		if err := rows.Scan(&checked, &d.CharacterID, &d.CharacterName, &d.CorporationID, &d.AllianceID); err != nil {
			return err
		}
		d.LastChecked = TimeOf(checked)
		d.CorporationID, d.AllianceID = nonZero(d.CorporationID), nonZero(d.AllianceID)
		out = append(out, d)
		return nil
	}, name, true)
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: token data of EVE login %q: %w", name, err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// nonZero is null for a missing or zero id.
func nonZero(id *int64) *int64 {
	if id == nil || *id == 0 {
		return nil
	}
	return id
}

// EsiAccessToken is Neucore's EsiAccessToken.
type EsiAccessToken struct {
	Token   string   `json:"token"`
	Scopes  []string `json:"scopes"`
	Expires int64    `json:"expires"` // Unix time
}

// accessToken is esiAccessTokenV1: an access token of the character for the
// login (query eveLoginName, core.default when absent) valid for at least
// another minute, refreshed through the SSO when needed (once across every
// process, the rotated refresh token saved). 404 when the character has no
// token of the login; 204 when it has one that is dead (EVE refused it, the
// character changed hands) or has no scopes, which Neucore counts as none.
// Every answer says Cache-Control: no-store.
func (api *API) accessToken(w http.ResponseWriter, r *http.Request, app *App) {
	// The answer is a live access token: no cache on the way keeps it.
	w.Header().Set("Cache-Control", "no-store")
	login := defaultLogin
	if q := r.URL.Query(); q.Has("eveLoginName") {
		login = q.Get("eveLoginName")
	}
	if !api.mayUseLogin(w, r, app, login) {
		return
	}
	id := phpInt(r.PathValue("characterId"))
	if id <= 0 || id > math.MaxInt32 {
		web.WriteReason(w, http.StatusNotFound, "") // no character has that id, nor a token
		return
	}
	if api.tokens == nil {
		api.internal(w, r, errNoEVEApp)
		return
	}
	ctx := r.Context()
	_, err := api.tokens.AccessToken(ctx, int32(id), login)
	switch {
	case errors.Is(err, tokens.ErrNotFound):
		web.WriteReason(w, http.StatusNotFound, "")
		return
	case errors.Is(err, tokens.ErrTokenInvalid), errors.Is(err, tokens.ErrOwnerChanged):
		w.WriteHeader(http.StatusNoContent)
		return
	case err != nil:
		api.internal(w, r, fmt.Errorf("apps: access token of character %d, login %q: %w", id, login, err))
		return
	}
	// The row as the refresh left it gives the expiry and scopes; should
	// another refresh have replaced the token meanwhile, its newer token.
	t, err := api.tokenRows.Get(ctx, int32(id), login)
	switch {
	case errors.Is(err, tokens.ErrNotFound):
		web.WriteReason(w, http.StatusNotFound, "")
		return
	case err != nil:
		api.internal(w, r, fmt.Errorf("apps: access token of character %d, login %q: %w", id, login, err))
		return
	case !t.Valid || t.PreviousOwnerHash != "" || len(t.Scopes) == 0:
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, EsiAccessToken{Token: t.AccessToken, Scopes: t.Scopes, Expires: t.AccessExpiry.Unix()})
}
