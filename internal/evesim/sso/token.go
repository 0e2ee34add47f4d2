package sso

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/golang-jwt/jwt/v5"
)

// refreshGrant is what a refresh token stands for. generation is the
// character's TokenGeneration when the player consented: once the character's
// moves on (password change, transfer, biomass) the token is dead.
type refreshGrant struct {
	clientID   string
	character  int32
	scopes     []string
	generation int
}

// tokenResponse is the token endpoint's answer, field for field.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

// token serves POST /v2/oauth/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	client, ok := s.clientRequest(w, r)
	if !ok {
		return
	}
	var resp tokenResponse
	var oerr *oauthError
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		resp, oerr = s.exchangeCode(client, r.PostForm)
	case "refresh_token":
		resp, oerr = s.refreshGrant(client, r.PostForm)
	case "":
		oerr = errInvalidRequest("grant_type is required.")
	default:
		oerr = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant_type " + strconv.Quote(gt) + "."}
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// clientRequest reads the form of a token or revoke request and
// authenticates its client, answering the OAuth error itself when either
// fails.
func (s *Server) clientRequest(w http.ResponseWriter, r *http.Request) (Client, bool) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, errInvalidRequest("Malformed form body."))
		return Client{}, false
	}
	client, oerr := s.authenticate(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return Client{}, false
	}
	return client, true
}

// authenticate identifies the client: HTTP Basic client_id:secret, or
// client_id and client_secret in the body, or, for a public (PKCE) client
// only, client_id alone in the body.
func (s *Server) authenticate(r *http.Request) (Client, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		if r.PostForm.Has("client_secret") {
			return Client{}, errInvalidRequest("Use one client authentication method, not two.")
		}
		// RFC 6749 §2.3.1 form-encodes both parts before Basic encoding.
		if v, err := url.QueryUnescape(id); err == nil {
			id = v
		}
		if v, err := url.QueryUnescape(secret); err == nil {
			secret = v
		}
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	c, ok := s.clients[id]
	switch {
	case !ok:
		return Client{}, errInvalidClient("Unknown client.")
	case c.Public && secret == "" && !basic:
		return c, nil
	case c.Public:
		return Client{}, errInvalidClient("A public client has no secret.")
	case secret == "":
		return Client{}, errInvalidClient("Client authentication required.")
	case subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1:
		return Client{}, errInvalidClient("Bad client credentials.")
	}
	return c, nil
}

func (s *Server) exchangeCode(client Client, f url.Values) (tokenResponse, *oauthError) {
	code := f.Get("code")
	if code == "" {
		return tokenResponse{}, errInvalidRequest("code is required.")
	}
	s.mu.Lock()
	g, ok := s.codes[hashSecret(code)]
	// A code is single-use: whatever happens next, it is spent.
	delete(s.codes, hashSecret(code))
	s.mu.Unlock()
	switch {
	case !ok:
		return tokenResponse{}, errInvalidGrant("Unknown, used or expired authorization code.")
	case s.u.Now().After(g.expires):
		return tokenResponse{}, errInvalidGrant("Authorization code expired.")
	case g.clientID != client.ID:
		return tokenResponse{}, errInvalidGrant("Authorization code issued to another client.")
	case f.Has("redirect_uri") && f.Get("redirect_uri") != g.redirect:
		return tokenResponse{}, errInvalidGrant("redirect_uri does not match the authorization request.")
	}
	verifier := f.Get("code_verifier")
	switch {
	case g.challenge == "" && verifier != "":
		return tokenResponse{}, errInvalidGrant("code_verifier sent, but the authorization had no code_challenge.")
	case g.challenge != "" && verifier == "":
		return tokenResponse{}, errInvalidRequest("code_verifier is required.")
	case g.challenge != "" && !validVerifier(verifier):
		return tokenResponse{}, errInvalidRequest("Malformed code_verifier.")
	case g.challenge != "" && s256(verifier) != g.challenge:
		return tokenResponse{}, errInvalidGrant("code_verifier does not match the code_challenge.")
	}
	c, err := s.u.Character(g.character)
	if err != nil || c.Biomassed {
		return tokenResponse{}, errInvalidGrant("Character cannot log in.")
	}
	refresh := randomToken()
	s.mu.Lock()
	s.refresh[hashSecret(refresh)] = refreshGrant{
		clientID: client.ID, character: c.ID, scopes: g.scopes, generation: c.TokenGeneration,
	}
	s.mu.Unlock()
	return s.respond(client.ID, g.character, g.scopes, refresh)
}

// validVerifier follows RFC 7636 §4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
			r == '-' || r == '.' || r == '_' || r == '~'
		if !ok {
			return false
		}
	}
	return true
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// refreshGrant answers grant_type=refresh_token. A scope parameter is
// ignored: the new access token has the scopes the player consented to.
func (s *Server) refreshGrant(client Client, f url.Values) (tokenResponse, *oauthError) {
	old := f.Get("refresh_token")
	if old == "" {
		return tokenResponse{}, errInvalidRequest("refresh_token is required.")
	}
	g, next, oerr := s.rotate(client, old)
	if oerr != nil {
		return tokenResponse{}, oerr
	}
	return s.respond(client.ID, g.character, g.scopes, next)
}

// rotate checks a refresh token and, with rotation on, replaces it. It holds
// the lock throughout, so of two refreshes racing with one token only one
// succeeds.
func (s *Server) rotate(client Client, old string) (refreshGrant, string, *oauthError) {
	key := hashSecret(old)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.refresh[key]
	if !ok || g.clientID != client.ID {
		return g, "", errInvalidGrant("Invalid refresh token.")
	}
	c, err := s.u.Character(g.character)
	if err != nil || c.Biomassed || c.TokenGeneration != g.generation {
		delete(s.refresh, key)
		return g, "", errInvalidGrant("Invalid refresh token. Token missing/expired.")
	}
	next := old
	if s.opts.RotateRefreshTokens {
		next = randomToken()
		delete(s.refresh, key)
		s.refresh[hashSecret(next)] = g
	}
	return g, next, nil
}

// respond mints the access token and writes the token answer.
func (s *Server) respond(clientID string, charID int32, scopes []string, refresh string) (tokenResponse, *oauthError) {
	access, err := s.mint(clientID, charID, scopes)
	if err != nil {
		return tokenResponse{}, &oauthError{http.StatusInternalServerError, "server_error", "Cannot sign the token."}
	}
	return tokenResponse{AccessToken: access, ExpiresIn: expiresIn, TokenType: "Bearer", RefreshToken: refresh}, nil
}

// mint signs an access token with exactly the claims EVE SSO puts in one.
func (s *Server) mint(clientID string, charID int32, scopes []string) (string, error) {
	c, err := s.u.Character(charID)
	if err != nil {
		return "", err
	}
	now := s.u.Now().Truncate(1e9)
	claims := jwt.MapClaims{
		"jti":    newUUID(),
		"kid":    SigningKeyID,
		"sub":    "CHARACTER:EVE:" + strconv.Itoa(int(c.ID)),
		"azp":    clientID,
		"tenant": "tranquility",
		"tier":   "live",
		"region": "world",
		"aud":    []string{clientID, "EVE Online"},
		"name":   c.Name,
		"owner":  s.u.OwnerHash(c),
		"exp":    now.Add(AccessTokenLifetime).Unix(),
		"iat":    now.Unix(),
		"iss":    s.issuer,
	}
	// scp is an array, but a plain string for one scope and absent for none.
	switch len(scopes) {
	case 0:
	case 1:
		claims["scp"] = scopes[0]
	default:
		claims["scp"] = slices.Clone(scopes)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = SigningKeyID
	return t.SignedString(s.keys.rsa)
}

// revoke serves POST /v2/oauth/revoke. As the real one, it answers 200
// whatever the token: unknown, already dead, another client's (left alive),
// or an access token (which cannot be revoked and lives out its 20 minutes).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	client, ok := s.clientRequest(w, r)
	if !ok {
		return
	}
	if tok := r.PostForm.Get("token"); tok != "" && r.PostForm.Get("token_type_hint") != "access_token" {
		key := hashSecret(tok)
		s.mu.Lock()
		if g, ok := s.refresh[key]; ok && g.clientID == client.ID {
			delete(s.refresh, key)
		}
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}
