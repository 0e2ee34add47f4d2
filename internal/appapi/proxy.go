package appapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/web"
)

// The ESI proxy (Neucore's esiV1, esiV2, esiPostV1, esiPostV2): an app
// makes an ESI request with the token of a character, chosen by the
// headers Neucore-EveCharacter and Neucore-EveLogin or by the query
// parameter datasource ("<character id>[:<login>]"). The call goes through
// Keepstar's ESI client, so it shares the cache (a GET within its Expires
// is answered without asking ESI) and the limit gate with every other call
// of every process. ESI's status and body come back with only Neucore's
// list of headers. v1 and v2 differ only in their refusals: v1 puts the
// message in the reason phrase, v2 in a JSON string body (and a
// Retry-After on 429).

const (
	headerEveCharacter = "Neucore-EveCharacter"
	headerEveLogin     = "Neucore-EveLogin"
	paramDatasource    = "datasource"
	paramPathQuery     = "esi-path-query"
)

// proxyMargins are Neucore's: no call at 20 errors left or fewer, none
// with less than 20 % of the route's bucket left.
var proxyMargins = esi.Margins{ErrorReserve: 20, BucketPercent: 20}

// relayedHeaders are the headers of ESI's answer the app gets: Neucore's
// list (which names both "warning" and "Warning": one header to Go), and
// the validators ETag and Last-Modified, which Neucore's cache keeps and
// which tell an app whether the data changed since its last call. An
// answer from Keepstar's cache carries the same headers, those ESI sent
// with it.
var relayedHeaders = []string{
	"Content-Type", "Expires", "X-Esi-Error-Limit-Remain", "X-Esi-Error-Limit-Reset",
	"X-Ratelimit-Group", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used",
	"X-Pages", "X-Compatibility-Date", "Warning", "Retry-After", "ETag", "Last-Modified",
}

// Neucore's refusals of a proxied request.
const (
	reasonEmptyPath   = "Path cannot be empty."
	reasonPublicRoute = "Public ESI routes are not allowed."
	reasonNoCharacter = "The " + headerEveCharacter + " header and datasource parameter cannot both be empty, " +
		"one of them must contain an EVE character ID"
	reasonUnknownCharacter = "Character not found."
	reasonNoValidToken     = "Character has no valid token."
	reasonBadQuery         = "The ESI query string is not valid."
)

// Keepstar's own refusals of a proxied request, in the form of Neucore's.
const (
	reasonBadPath = "The ESI path is not valid: dot or empty segments, encoded slashes or dots, " +
		"and characters other than letters, digits, -._~ and / are refused."
	reasonUnknownRoute = "The path is not a route of ESI's specification."
	reasonBadLanguage  = "Accept-Language must be one of ESI's languages: en, de, fr, ja, ru, zh, ko, es."
	reasonBadDate      = "X-Compatibility-Date must be a date (YYYY-MM-DD) not after today."
)

// proxy serves one version and method of the ESI proxy. The method is the
// route's, not the request's: a HEAD of the GET route asks ESI with a GET,
// as Neucore's router does.
func (api *API) proxy(version int, method string) appHandler {
	return func(w http.ResponseWriter, r *http.Request, app *App) {
		api.relay(w, r, app, version, method)
	}
}

// proxyCall is a proxied request as read from the app's.
type proxyCall struct {
	rawPath     string // ESI's path as the app sent it, percent-encoded, without the query
	path        string // rawPath decoded, "" unless cleanESIPath took it
	query       url.Values
	characterID int64 // 0 when none was named
	login       string
}

// readProxyCall reads the ESI path and query, and the character and login,
// as Neucore does: the path from esi-path-query, or appended to the
// proxy's own path with the request's query (less datasource); the
// character from the headers, or else from datasource. ok is false for a
// query string that cannot be read.
func readProxyCall(r *http.Request) (c proxyCall, ok bool) {
	query := r.URL.Query()
	if strings.HasSuffix(r.Pattern, "{path...}") {
		// The path as sent, not as decoded: "/api/app/v2/esi" is four
		// segments, and an encoded slash must stay visible to cleanESIPath.
		parts := strings.SplitN(r.URL.EscapedPath(), "/", 6)
		if len(parts) == 6 {
			c.rawPath = "/" + parts[5]
		} else {
			c.rawPath = "/"
		}
		c.query = url.Values{}
		for k, v := range query {
			if k != paramDatasource {
				c.query[k] = v
			}
		}
	} else if pq := query.Get(paramPathQuery); pq != "" {
		path, raw, _ := strings.Cut(pq, "?")
		c.rawPath = path
		var err error
		if c.query, err = url.ParseQuery(raw); err != nil {
			return c, false
		}
	}
	if c.rawPath != "" {
		c.path, _ = cleanESIPath(c.rawPath)
	}

	source := query.Get(paramDatasource)
	if ch := r.Header.Get(headerEveCharacter); ch != "" {
		source = ch + ":" + r.Header.Get(headerEveLogin)
	}
	c.login = defaultLogin
	parts := strings.Split(source, ":")
	c.characterID = phpInt(parts[0])
	if len(parts) > 1 && parts[1] != "" {
		c.login = parts[1]
	}
	return c, true
}

// routeOf names the ESI route of a proxied call, for the gate and the
// metrics; paths outside ESI's specification (which the proxy refuses)
// share one name.
func routeOf(method, path string) (string, bool) {
	if path != "" {
		if route, ok := esi.RouteOf(method, path); ok {
			return route, true
		}
	}
	return method + " (unknown route)", false
}

// relay serves a proxied request. Its order is Neucore's: the limits first
// (429), then the request (400), the app's right to the login (403), the
// character and its token (400), then ESI. Every answer is a character's
// private data, or about it: no cache on the way keeps it.
func (api *API) relay(w http.ResponseWriter, r *http.Request, app *App, version int, method string) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(status int, reason string) {
		if version == 1 {
			web.WriteReason(w, status, reason)
			return
		}
		writeJSON(w, status, reason)
	}
	if api.esi == nil {
		api.internal(w, r, errors.New("apps: ESI proxy: no ESI client"))
		return
	}
	c, ok := readProxyCall(r)
	route, known := routeOf(method, c.path)
	gateCharacter := int32(0)
	if c.characterID > 0 && c.characterID <= math.MaxInt32 {
		gateCharacter = int32(c.characterID)
	}
	hold, err := api.esi.Check(ctx, route, gateCharacter, proxyMargins)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	if hold.Limit != esi.NoLimit {
		api.limited(w, r, app, version, hold)
		return
	}

	switch {
	case !ok:
		refuse(http.StatusBadRequest, reasonBadQuery)
		return
	case c.rawPath == "":
		refuse(http.StatusBadRequest, reasonEmptyPath)
		return
	case c.path == "":
		refuse(http.StatusBadRequest, reasonBadPath)
		return
	case esi.IsPublic(c.path):
		refuse(http.StatusBadRequest, reasonPublicRoute)
		return
	case !known:
		refuse(http.StatusBadRequest, reasonUnknownRoute)
		return
	}
	language, ok := esi.Language(r.Header.Get("Accept-Language"))
	if !ok {
		refuse(http.StatusBadRequest, reasonBadLanguage)
		return
	}
	date, ok := esi.CompatibilityDateOf(r.Header.Get("X-Compatibility-Date"), time.Now())
	if !ok {
		refuse(http.StatusBadRequest, reasonBadDate)
		return
	}
	switch {
	case c.characterID == 0:
		refuse(http.StatusBadRequest, reasonNoCharacter)
		return
	}
	if !app.MayUse(c.login) {
		web.WriteReason(w, http.StatusForbidden, "")
		return
	}
	if c.characterID < 0 || c.characterID > math.MaxInt32 {
		refuse(http.StatusBadRequest, reasonUnknownCharacter)
		return
	}
	characterID := int32(c.characterID)
	if api.tokens == nil {
		api.internal(w, r, errNoEVEApp)
		return
	}
	access, err := api.tokens.AccessToken(ctx, characterID, c.login)
	if errors.Is(err, tokens.ErrNotFound) || errors.Is(err, tokens.ErrTokenInvalid) || errors.Is(err, tokens.ErrOwnerChanged) {
		// Only now tell an unknown character from one without a valid
		// token: a call with a token spares the query.
		var known int
		if err := api.db.QueryRow(ctx, `SELECT count(*) FROM characters WHERE id = $1`, characterID).Scan(&known); err != nil {
			api.internal(w, r, fmt.Errorf("apps: ESI proxy: character %d: %w", characterID, err))
			return
		}
		if known == 0 {
			refuse(http.StatusBadRequest, reasonUnknownCharacter)
		} else {
			refuse(http.StatusBadRequest, reasonNoValidToken)
		}
		return
	}
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: ESI proxy: token of character %d, login %q: %w", characterID, c.login, err))
		return
	}

	var body []byte
	if method == http.MethodPost {
		if body, err = io.ReadAll(r.Body); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeJSON(w, http.StatusRequestEntityTooLarge, "The request body is too large.")
				return
			}
			api.internal(w, r, fmt.Errorf("apps: ESI proxy: read the body: %w", err))
			return
		}
	}
	header := http.Header{}
	header.Set("X-Compatibility-Date", date)
	header.Set("Accept-Language", language)
	res, err := api.esi.Do(ctx, esi.Request{Route: route, Path: c.path, Query: c.query, CharacterID: characterID,
		Login: c.login, AccessToken: access, RawBody: body, Header: header, Relay: true})
	var limitedErr *esi.LimitedError
	switch {
	case errors.As(err, &limitedErr):
		// Another call spent the limits since the check above.
		hold := limitedErr.Hold
		if hold.Limit == esi.NoLimit {
			hold = esi.Hold{Limit: esi.RateLimited, Until: time.Now().Add(limitedErr.RetryAfter)}
		}
		api.limited(w, r, app, version, hold)
		return
	case err != nil:
		// ESI could not be reached. Neucore answers 500 with the error's
		// message, which names ESI's address and what failed on the way:
		// the app gets the generic answer and the request id, the log the
		// rest.
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return
		}
		api.logger.ErrorContext(ctx, "application API: ESI proxy: request failed", "app", app.ID, "route", route, "error", err)
		writeInternal(w, r)
		return
	}
	if res.Status < 200 || res.Status > 299 {
		api.logger.WarnContext(ctx, "application API: ESI proxy: ESI answered an error", "app", app.ID, "route", route,
			"status", res.Status, "message", truncateBody(res.Body))
	}
	writeRelayed(w, res)
}

// writeRelayed writes ESI's answer: status, body and the relayed headers,
// for an answer from the cache those ESI sent with it. A cache row written
// before the cache kept headers has none; it gets those a client of the
// route needs: its type, its expiry and its page count.
func writeRelayed(w http.ResponseWriter, res *esi.Response) {
	h := w.Header()
	for _, name := range relayedHeaders {
		if v := res.Header.Values(name); len(v) > 0 {
			h[http.CanonicalHeaderKey(name)] = v
		}
	}
	if res.FromCache {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json; charset=utf-8") // every answer ESI gives
		}
		if h.Get("Expires") == "" {
			h.Set("Expires", res.Expires.UTC().Format(http.TimeFormat))
		}
		if h.Get("X-Pages") == "" && res.Pages > 1 {
			h.Set("X-Pages", strconv.Itoa(res.Pages))
		}
	}
	if res.Status != http.StatusNoContent && res.Status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(res.Body)))
	}
	w.WriteHeader(res.Status)
	_, _ = w.Write(res.Body)
}

// limited answers 429 for a call the limit gate holds back, with Neucore's
// messages: v2 a JSON string and Retry-After (whole seconds, at least 1),
// v1 the reason phrase only.
func (api *API) limited(w http.ResponseWriter, r *http.Request, app *App, version int, hold esi.Hold) {
	var message, messageV1 string
	switch hold.Limit {
	case esi.ErrorLimit:
		messageV1 = "Maximum permissible ESI error limit reached."
		message = fmt.Sprintf("Maximum permissible ESI error limit reached (X-Esi-Error-Limit-Remain <= %d).", proxyMargins.ErrorReserve)
	case esi.BucketLimit:
		message = fmt.Sprintf("Maximum permissible ESI rate limit reached for group '%s'.", hold.Group)
	default:
		message = "ESI rate limit reached."
	}
	wait := time.Until(hold.Until)
	api.logger.WarnContext(r.Context(), "application API: ESI proxy: held back by ESI's limits", "app", app.ID,
		"message", message, "retry_after", wait)
	if version == 1 {
		web.WriteReason(w, http.StatusTooManyRequests, cmp.Or(messageV1, message))
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	writeJSON(w, http.StatusTooManyRequests, message)
}

// truncateBody gives the start of an error body for the log: ESI's error
// bodies are short JSON messages, never the data of authenticated routes.
func truncateBody(b []byte) string {
	const n = 300
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "")
}
