package sso

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// authRequest is a validated authorization request. The page carries its
// parameters in hidden fields, so the form POST is validated again from
// scratch: nothing of it is trusted from the first step.
type authRequest struct {
	client    Client
	redirect  string
	scopes    []string
	state     string
	challenge string // empty: no PKCE
}

// authError is a refused authorization request. Without a trustworthy
// redirect URI (unknown client, unregistered redirect_uri) the player sees an
// error page and is never redirected; otherwise the error goes back to the
// application, as RFC 6749 §4.1.2.1 says.
type authError struct {
	redirect bool
	code     string
	desc     string
}

func (e *authError) Error() string { return e.code + ": " + e.desc }

// parseAuthRequest checks the OAuth parameters of a GET query or the page's
// form.
func (s *Server) parseAuthRequest(q url.Values) (authRequest, *authError) {
	c, ok := s.clients[q.Get("client_id")]
	if !ok {
		return authRequest{}, &authError{false, "invalid_client", "Unknown client_id."}
	}
	if q.Get("redirect_uri") != c.Callback {
		return authRequest{}, &authError{false, "invalid_request", "redirect_uri does not match the application's registered callback URL."}
	}
	ar := authRequest{client: c, redirect: c.Callback, state: q.Get("state"), challenge: q.Get("code_challenge")}
	method := q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		return ar, &authError{true, "unsupported_response_type", "response_type must be code."}
	case ar.state == "":
		return ar, &authError{true, "invalid_request", "state is required."}
	case ar.challenge == "" && method != "":
		return ar, &authError{true, "invalid_request", "code_challenge_method without code_challenge."}
	case ar.challenge != "" && method != "S256":
		return ar, &authError{true, "invalid_request", "code_challenge_method must be S256 (plain is not supported)."}
	case ar.challenge != "" && !isS256Challenge(ar.challenge):
		return ar, &authError{true, "invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)."}
	case ar.challenge == "" && c.Public:
		return ar, &authError{true, "invalid_request", "This application must use PKCE (code_challenge)."}
	}
	ar.scopes = strings.Fields(q.Get("scope"))
	for _, sc := range ar.scopes {
		if !validScopeToken(sc) {
			return ar, &authError{true, "invalid_scope", fmt.Sprintf("Malformed scope %q.", sc)}
		}
	}
	return ar, nil
}

func isS256Challenge(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// validScopeToken follows RFC 6749's scope-token: printable ASCII without
// space, double quote or backslash.
func validScopeToken(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return s != ""
}

// params gives the OAuth parameters to carry into the next step.
func (ar authRequest) params() []param {
	p := []param{
		{"response_type", "code"}, {"client_id", ar.client.ID}, {"redirect_uri", ar.redirect},
		{"scope", strings.Join(ar.scopes, " ")}, {"state", ar.state},
	}
	if ar.challenge != "" {
		p = append(p, param{"code_challenge", ar.challenge}, param{"code_challenge_method", "S256"})
	}
	return p
}

type param struct{ Name, Value string }

// redirectTo sends the player back to the application with the given
// parameters added to its callback URL.
func redirectTo(w http.ResponseWriter, r *http.Request, callback string, add url.Values) {
	u, err := url.Parse(callback) // checked by New
	if err != nil {
		http.Error(w, "bad callback", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range add {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, ar authRequest, e *authError) {
	if !e.redirect {
		s.renderError(w, http.StatusBadRequest, e.desc)
		return
	}
	v := url.Values{"error": {e.code}, "error_description": {e.desc}}
	if ar.state != "" {
		v.Set("state", ar.state)
	}
	redirectTo(w, r, ar.redirect, v)
}

// authorizePage serves GET /v2/oauth/authorize.
//
// Simulator-only extension: character_id=N or character_name=Name in the
// query skip the page and log that character in at once, for tests and
// scripts that have no browser.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ar, aerr := s.parseAuthRequest(q)
	if aerr != nil {
		s.refuse(w, r, ar, aerr)
		return
	}
	if q.Has("character_id") || q.Has("character_name") {
		c, err := s.findCharacter(q.Get("character_id"), q.Get("character_name"))
		if err != nil {
			s.refuse(w, r, ar, &authError{true, "access_denied", err.Error()})
			return
		}
		s.grant(w, r, ar, c)
		return
	}
	page := authorizePage{ClientID: ar.client.ID, Params: ar.params(), Scopes: ar.scopes, Suggested: s.suggestions(ar)}
	status := http.StatusOK
	if login := strings.TrimSpace(q.Get("sim_login")); login != "" {
		page.Login = login
		acct, err := s.findAccount(login)
		if err != nil {
			page.Message = err.Error()
			status = http.StatusNotFound
		} else {
			page.Account = &acct
		}
	}
	s.renderAuthorize(w, status, page)
}

// authorizeSubmit serves the page's form: the player's choice of character
// and consent (or refusal).
func (s *Server) authorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, http.StatusBadRequest, "Malformed form.")
		return
	}
	ar, aerr := s.parseAuthRequest(r.PostForm)
	if aerr != nil {
		s.refuse(w, r, ar, aerr)
		return
	}
	if r.PostForm.Get("decision") == "deny" {
		s.refuse(w, r, ar, &authError{true, "access_denied", "The player refused."})
		return
	}
	c, err := s.findCharacter(r.PostForm.Get("character_id"), "")
	if err != nil {
		page := authorizePage{ClientID: ar.client.ID, Params: ar.params(), Scopes: ar.scopes, Message: err.Error()}
		page.Suggested = s.suggestions(ar)
		if id, perr := strconv.ParseInt(r.PostForm.Get("character_id"), 10, 32); perr == nil {
			if ch, cerr := s.u.Character(int32(id)); cerr == nil {
				if acct, aerr := s.account(ch.AccountID); aerr == nil {
					page.Account = &acct
				}
			}
		}
		s.renderAuthorize(w, http.StatusForbidden, page)
		return
	}
	s.grant(w, r, ar, c)
}

// errCannotLogIn explains why a character may not log in.
var errCannotLogIn = errors.New("this character cannot log in")

// findCharacter resolves the chosen character; biomassed characters cannot
// log in.
func (s *Server) findCharacter(id, name string) (universe.Character, error) {
	var c universe.Character
	var err error
	if id != "" {
		n, perr := strconv.ParseInt(id, 10, 32)
		if perr != nil {
			return c, fmt.Errorf("%w: malformed character id %q", errCannotLogIn, id)
		}
		c, err = s.u.Character(int32(n))
	} else {
		c, err = s.u.CharacterByName(name)
	}
	if err != nil {
		return c, fmt.Errorf("%w: no such character", errCannotLogIn)
	}
	if c.Biomassed {
		return c, fmt.Errorf("%w: %s has been biomassed", errCannotLogIn, c.Name)
	}
	return c, nil
}

// findAccount resolves what the player typed: an account id or the name of
// one of the account's characters.
func (s *Server) findAccount(login string) (accountView, error) {
	if n, err := strconv.ParseInt(login, 10, 32); err == nil {
		return s.account(int32(n))
	}
	c, err := s.u.CharacterByName(login)
	if err != nil {
		return accountView{}, fmt.Errorf("no account or character %q", login)
	}
	return s.account(c.AccountID)
}

func (s *Server) account(id int32) (accountView, error) {
	a, ok := s.u.Account(id)
	if !ok {
		return accountView{}, fmt.Errorf("no account %d", id)
	}
	v := accountView{ID: a.ID}
	for _, cid := range a.Characters {
		if c, err := s.u.Character(cid); err == nil {
			v.Characters = append(v.Characters, characterView{ID: c.ID, Name: c.Name, Biomassed: c.Biomassed})
		}
	}
	return v, nil
}

// suggestions lists the first few accounts, each linking to its character
// choice, so that a person at a browser need not know any name.
func (s *Server) suggestions(ar authRequest) []suggestion {
	var out []suggestion
	for id := int32(1); id <= int32(min(5, s.u.Accounts())); id++ {
		a, err := s.account(id)
		if err != nil {
			continue
		}
		q := url.Values{"sim_login": {strconv.Itoa(int(id))}}
		for _, p := range ar.params() {
			q.Set(p.Name, p.Value)
		}
		out = append(out, suggestion{Account: a, Link: "/v2/oauth/authorize?" + q.Encode()})
	}
	return out
}

// codeGrant is what an authorization code stands for.
type codeGrant struct {
	clientID  string
	redirect  string
	character int32
	scopes    []string
	challenge string
	expires   time.Time
}

// grant issues a code and sends the player back to the application.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, ar authRequest, c universe.Character) {
	code := randomToken()
	now := s.u.Now()
	s.mu.Lock()
	// Codes never exchanged would pile up in a long demo: drop the expired.
	for k, g := range s.codes {
		if now.After(g.expires) {
			delete(s.codes, k)
		}
	}
	s.codes[hashSecret(code)] = codeGrant{
		clientID: ar.client.ID, redirect: ar.redirect, character: c.ID, scopes: slices.Clone(ar.scopes),
		challenge: ar.challenge, expires: now.Add(CodeLifetime),
	}
	s.mu.Unlock()
	redirectTo(w, r, ar.redirect, url.Values{"code": {code}, "state": {ar.state}})
}

// randomToken makes an opaque secret: 16 random bytes, 22 characters of
// base64url, like EVE's v2 refresh tokens.
func randomToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
