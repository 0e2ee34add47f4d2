package sso

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AccessToken is what a valid access token says, for the ESI simulator.
type AccessToken struct {
	CharacterID int32
	Name        string
	Owner       string
	ClientID    string
	Scopes      []string
	IssuedAt    time.Time
	Expires     time.Time
}

// HasScope reports whether the token carries a scope.
func (t AccessToken) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// tokenClaims reads back the claims mint writes.
type tokenClaims struct {
	jwt.RegisteredClaims
	Scp   json.RawMessage `json:"scp"`
	Name  string          `json:"name"`
	Owner string          `json:"owner"`
	Azp   string          `json:"azp"`
}

// VerifyAccessToken checks a bearer token as ESI does: signed by this
// server's key, issued by this server, not expired by the universe clock.
// Errors wrap ErrInvalidToken.
func (s *Server) VerifyAccessToken(raw string) (AccessToken, error) {
	var c tokenClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != SigningKeyID {
			return nil, fmt.Errorf("unknown kid %q", kid)
		}
		return &s.keys.rsa.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(s.issuer),
		jwt.WithAudience("EVE Online"),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.u.Now),
	)
	if err != nil {
		return AccessToken{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	idText, ok := strings.CutPrefix(c.Subject, "CHARACTER:EVE:")
	id, err := strconv.ParseInt(idText, 10, 32)
	if !ok || err != nil {
		return AccessToken{}, fmt.Errorf("%w: subject %q", ErrInvalidToken, c.Subject)
	}
	t := AccessToken{
		CharacterID: int32(id), Name: c.Name, Owner: c.Owner, ClientID: c.Azp,
		Expires: c.ExpiresAt.Time,
	}
	if c.IssuedAt != nil {
		t.IssuedAt = c.IssuedAt.Time
	}
	// The simulator wrote scp itself: a string or an array of strings.
	if len(c.Scp) > 0 {
		var one string
		if json.Unmarshal(c.Scp, &one) == nil {
			t.Scopes = []string{one}
		} else if err := json.Unmarshal(c.Scp, &t.Scopes); err != nil {
			return AccessToken{}, fmt.Errorf("%w: scp: %w", ErrInvalidToken, err)
		}
	}
	return t, nil
}

// verify serves GET /v2/oauth/verify, the legacy "who is this token"
// endpoint, in the shape the real one answers.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_token", "Bearer token required."})
		return
	}
	t, err := s.VerifyAccessToken(raw)
	if err != nil {
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_token", "The token is invalid or expired."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"CharacterID":          t.CharacterID,
		"CharacterName":        t.Name,
		"ExpiresOn":            t.Expires.UTC().Format("2006-01-02T15:04:05"),
		"Scopes":               strings.Join(t.Scopes, " "),
		"TokenType":            "Character",
		"CharacterOwnerHash":   t.Owner,
		"IntellectualProperty": "EVE",
	})
}
