package appapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// API is Neucore's Application API, served under /api/app. Each operation
// states the app role it needs; the app authenticates every request with
// its bearer secret.
type API struct {
	db       *store.DB
	auth     *Authenticator
	logger   *slog.Logger
	requests *RequestCounts
	limit    *appLimit
	failures *failedAuths
	// clientKey names a request's client address, for failures
	// (web.Server.ClientKey, set by Mount).
	clientKey func(*http.Request) string
	// groupKeys keeps group names' collation keys for sortGroups.
	groupKeys nameKeys
	// The ESI operations' (esi.go, proxy.go).
	esi       ESIRelay
	tokens    AccessTokens
	tokenRows TokenRows
}

// APIDeps are what the API reads.
type APIDeps struct {
	DB     *store.DB
	Apps   *Store
	Logger *slog.Logger
	// Requests counts each app's requests for statistics; Settings,
	// RateLimits and RateLimited are the rate limit's (ratelimit.go).
	// Without them nothing is counted or limited.
	Requests    *RequestCounts
	Settings    *settings.Store
	RateLimits  ratelimit.Counter
	RateLimited *ratelimit.Metrics
	// AuthFailures is the failed authentications allowed per client
	// address (authlimit.go); zero allows any number.
	AuthFailures ratelimit.Limit
	// ESI, Tokens and TokenRows serve the ESI operations; Tokens is nil
	// without an EVE application.
	ESI       ESIRelay
	Tokens    AccessTokens
	TokenRows TokenRows
}

// NewAPI makes the API.
func NewAPI(d APIDeps) *API {
	api := &API{db: d.DB, auth: NewAuthenticator(d.DB, d.Apps, d.Logger), logger: d.Logger, requests: d.Requests,
		limit:    &appLimit{settings: d.Settings, counter: d.RateLimits, metrics: d.RateLimited, logger: d.Logger, now: time.Now},
		failures: newFailedAuths(d.AuthFailures, d.RateLimited, d.Logger)}
	api.esi, api.tokens, api.tokenRows = d.ESI, d.Tokens, d.TokenRows
	return api
}

// appHandler serves an operation for an authenticated app that holds the
// operation's role.
type appHandler func(w http.ResponseWriter, r *http.Request, app *App)

// handle mounts one operation. A request without a valid secret is refused
// with 401, one by an app without the role with 403, each with Neucore's
// empty body; one from a client address that failed too often lately with
// 429, before anything is read.
func (api *API) handle(srv *web.Server, pattern, role string, h appHandler) {
	srv.HandleAPI(pattern, web.Apps(role), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, refused := api.refuseClient(w, r)
		if refused {
			return
		}
		api.serve(w, r, role, h, client)
	}))
}

// refuseClient answers 429 to a client address that failed to authenticate
// too often lately, and tells whether it did; client is the address to
// count a failure against ("" when failures are not limited).
func (api *API) refuseClient(w http.ResponseWriter, r *http.Request) (client string, refused bool) {
	if api.failures == nil {
		return "", false
	}
	client = api.clientKey(r)
	return client, api.failures.refuse(w, r, client)
}

// serve authenticates the request's app, checks its role, counts and
// limits the request, and serves h; a failed authentication counts against
// client.
func (api *API) serve(w http.ResponseWriter, r *http.Request, role string, h appHandler, client string) {
	app, err := api.auth.Authenticate(r.Context(), r.Header.Get("Authorization"))
	switch {
	case errors.Is(err, ErrUnauthenticated):
		api.failures.failed(r, client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="Keepstar Application API"`)
		web.WriteReason(w, http.StatusUnauthorized, "")
		return
	case errors.Is(err, context.Canceled):
		return
	case err != nil:
		api.logger.ErrorContext(r.Context(), "app authentication failed", "error", err)
		writeJSON(w, http.StatusInternalServerError, "Internal server error.")
		return
	}
	if !app.Has(role) {
		web.WriteReason(w, http.StatusForbidden, "")
		return
	}
	// Counted even when the limit refuses it, as Neucore counts.
	api.requests.Add(app.ID)
	if !api.limit.admit(w, r, app) {
		return
	}
	h(w, r, app)
}

// internal answers 500 with Neucore's JSON string body, and logs why.
func (api *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	// A client that has gone (its request's context canceled) left nobody
	// to answer, and nothing went wrong.
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	api.logger.ErrorContext(r.Context(), "application API", "path", r.URL.Path, "error", err)
	writeInternal(w, r)
}

// writeInternal answers 500 with a generic message and the request id (in
// the log with the cause), never the cause itself: it may name a database
// or ESI's address.
func writeInternal(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusInternalServerError, "Internal server error. Request id: "+web.RequestID(r))
}

// Mount adds every operation of the API to srv.
func (api *API) Mount(srv *web.Server) {
	api.clientKey = srv.ClientKey
	api.handle(srv, "GET /api/app/v1/show", RoleApp, api.show)
	api.mountGroups(srv)
	api.mountChars(srv)
	api.mountTracking(srv)
	api.mountESI(srv)
}

// show is showV1: the app itself, with its groups, roles and EVE logins.
func (api *API) show(w http.ResponseWriter, r *http.Request, app *App) {
	info := AppInfo{ID: app.ID, Name: app.Name, Roles: app.Roles, Groups: []Group{}, EveLogins: []EveLogin{}}
	if info.Roles == nil {
		info.Roles = []string{}
	}
	groups, err := api.groups(r.Context(), app.Groups)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	info.Groups = groups
	logins, err := api.eveLogins(r.Context(), app.EveLogins)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	info.EveLogins = logins
	writeJSON(w, http.StatusOK, info)
}
