package discordsim

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// CodeLifetime is how long an authorization code can be exchanged. Discord
// does not document it; codes are short-lived and single use.
const CodeLifetime = 10 * time.Minute

// TokenLifetime is expires_in of access tokens (604800 s in Discord's docs).
const TokenLifetime = 7 * 24 * time.Hour

type authCode struct {
	userID, redirectURI string
	scopes              []string
	expires             time.Time
}

// grant is one authorization: revoking either token revokes both.
type grant struct {
	userID          string
	scopes          []string
	access, refresh string
	expires         time.Time
}

func randomToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var authorizeTmpl = template.Must(template.New("a").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Discord (simulated): authorize</title></head>
<body><h1>Authorize {{.ClientID}}</h1><p>Scopes: {{.Scope}}</p>
<form method="post" action="/oauth2/authorize">
{{range $k, $v := .Query}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
{{range .Users}}<button type="submit" name="user_id" value="{{.ID}}">{{.Username}}</button>
{{else}}<p>No simulated users.</p>{{end}}
<button type="submit" name="deny" value="1">Cancel</button>
</form></body></html>`))

// checkAuthorize validates the authorize query; it answers with a message
// when the request can't go back to the app.
func (s *Server) checkAuthorize(q url.Values) (scopes []string, msg string) {
	if q.Get("client_id") != s.opts.ClientID {
		return nil, "Unknown application"
	}
	if !slices.Contains(s.opts.RedirectURIs, q.Get("redirect_uri")) {
		return nil, "Invalid OAuth2 redirect_uri"
	}
	if q.Get("response_type") != "code" {
		return nil, "Invalid response_type"
	}
	scopes = strings.Fields(q.Get("scope"))
	if !slices.Contains(scopes, "identify") || !slices.Contains(scopes, "guilds.join") {
		return nil, "Invalid scope: identify and guilds.join are needed"
	}
	return scopes, ""
}

func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, msg := s.checkAuthorize(q); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	users := []User{}
	for _, u := range s.users {
		users = append(users, *u)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	query := map[string]string{}
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state"} {
		query[k] = q.Get(k)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = authorizeTmpl.Execute(w, map[string]any{"ClientID": q.Get("client_id"), "Scope": q.Get("scope"),
		"Query": query, "Users": users})
}

// authorizeDecide sends the browser back to the app with a code (or
// error=access_denied) and the state echoed.
func (s *Server) authorizeDecide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	scopes, msg := s.checkAuthorize(r.PostForm)
	if msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	redirect, _ := url.Parse(r.PostForm.Get("redirect_uri"))
	back := redirect.Query()
	if state := r.PostForm.Get("state"); state != "" {
		back.Set("state", state)
	}
	uid := r.PostForm.Get("user_id")
	if r.PostForm.Get("deny") != "" || s.users[uid] == nil {
		back.Set("error", "access_denied")
		back.Set("error_description", "The resource owner or authorization server denied the request")
	} else {
		code := randomToken()
		s.codes[code] = &authCode{userID: uid, redirectURI: redirect.String(), scopes: scopes,
			expires: s.now().Add(CodeLifetime)}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// clientAuth reads the form (form-encoded only, like Discord) and checks the
// client by basic auth or by client_id/client_secret in the body.
func (s *Server) clientAuth(w http.ResponseWriter, r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		// Discord reads only forms; a JSON body looks like a missing grant.
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
		return false
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.opts.ClientID || secret != s.opts.ClientSecret || id == "" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client")
		return false
	}
	return true
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clientAuth(w, r) {
		return
	}
	f := r.PostForm
	var userID string
	var scopes []string
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use, even when the exchange fails
		if c == nil || !s.now().Before(c.expires) || c.redirectURI != f.Get("redirect_uri") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", `Invalid "code" in request.`)
			return
		}
		userID, scopes = c.userID, c.scopes
	case "refresh_token":
		g := s.grants[f.Get("refresh_token")]
		if g == nil || g.refresh != f.Get("refresh_token") {
			oauthError(w, http.StatusBadRequest, "invalid_grant", `Invalid "refresh_token" in request.`)
			return
		}
		s.drop(g)
		userID, scopes = g.userID, g.scopes
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type")
		return
	}
	g := &grant{userID: userID, scopes: scopes, access: randomToken(), refresh: randomToken(),
		expires: s.now().Add(TokenLifetime)}
	s.grants[g.access], s.grants[g.refresh] = g, g
	writeJSON(w, http.StatusOK, map[string]any{"access_token": g.access, "token_type": "Bearer",
		"expires_in": int(TokenLifetime.Seconds()), "refresh_token": g.refresh, "scope": strings.Join(scopes, " ")})
}

func (s *Server) drop(g *grant) {
	delete(s.grants, g.access)
	delete(s.grants, g.refresh)
}

// revoke ends the whole authorization that token belongs to.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clientAuth(w, r) {
		return
	}
	if g := s.grants[r.PostForm.Get("token")]; g != nil {
		s.drop(g)
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// getMe is GET /users/@me with the user's Bearer token and scope identify,
// or with the bot token, which answers the bot user.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request, _ *guild) *apiError {
	if bot, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bot "); ok {
		if bot != s.opts.BotToken || bot == "" {
			return &apiError{status: http.StatusUnauthorized, code: 40001, message: "401: Unauthorized"}
		}
		body := userJSON(s.bot)
		body["mfa_enabled"], body["locale"], body["flags"], body["verified"] = true, "en-US", 0, true
		writeJSON(w, http.StatusOK, body)
		return nil
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g := s.grants[token]
	if !ok || g == nil || g.access != token || !s.now().Before(g.expires) || !slices.Contains(g.scopes, "identify") {
		return &apiError{status: http.StatusUnauthorized, code: 0, message: "401: Unauthorized"}
	}
	body := userJSON(s.users[g.userID])
	body["mfa_enabled"], body["locale"], body["flags"], body["premium_type"] = false, "en-US", 0, 0
	writeJSON(w, http.StatusOK, body)
	return nil
}
