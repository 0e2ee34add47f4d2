package esi

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Grant is what a verified access token allows: who, through which
// application, with which scopes, until when.
type Grant struct {
	CharacterID int32
	Scopes      []string
	ClientID    string
	// Expires is the token's expiry; the zero time means the verifier
	// already judged expiry. Otherwise the simulator compares it with the
	// universe clock, which the verifier may not share.
	Expires time.Time
}

// TokenVerifier checks a raw bearer access token. The SSO simulator
// implements it; the ESI simulator never parses tokens itself.
type TokenVerifier interface {
	VerifyAccessToken(raw string) (Grant, error)
}

// TokenVerifierFunc adapts a function to TokenVerifier, so the composition
// root can wrap the SSO simulator's verifier without a named type.
type TokenVerifierFunc func(raw string) (Grant, error)

// VerifyAccessToken calls f.
func (f TokenVerifierFunc) VerifyAccessToken(raw string) (Grant, error) { return f(raw) }

// Causes of a 401.
var (
	ErrNoToken      = errors.New("authentication required: no bearer token")
	ErrTokenExpired = errors.New("token is expired")
	ErrTokenInvalid = errors.New("token is invalid")
)

// authenticate verifies the request's bearer token against the verifier
// and the universe clock.
func (s *Server) authenticate(r *http.Request, now time.Time) (Grant, error) {
	h := r.Header.Get("Authorization")
	scheme, raw, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return Grant{}, ErrNoToken
	}
	if s.tokens == nil {
		return Grant{}, ErrTokenInvalid
	}
	g, err := s.tokens.VerifyAccessToken(strings.TrimSpace(raw))
	if err != nil {
		// The verifier's reason may hold token material; ESI says no more
		// than this either.
		return Grant{}, ErrTokenInvalid
	}
	if !g.Expires.IsZero() && !now.Before(g.Expires) {
		return Grant{}, ErrTokenExpired
	}
	return g, nil
}

// authorize checks what ESI checks once the token is good: the route's
// scope, that a character route concerns the token's own character, and
// that a corporation route's caller is in that corporation with one of the
// route's required in-game roles.
func (s *Server) authorize(rt *route, r *http.Request, g Grant) error {
	if !slices.Contains(g.Scopes, rt.scope) {
		return errForbidden("token not valid for scope(s): " + rt.scope)
	}
	if rt.hasPathParam("character_id") {
		id, err := pathID(r, "character_id")
		if err != nil {
			return err
		}
		if id != g.CharacterID {
			return errForbidden("Character ID in the path does not match the token's character")
		}
	}
	if rt.hasPathParam("corporation_id") {
		id, err := pathID(r, "corporation_id")
		if err != nil {
			return err
		}
		c, err := s.u.Character(g.CharacterID)
		if err != nil || c.CorporationID != id {
			return errForbidden("Character is not in the corporation")
		}
		if len(rt.roles) > 0 && !slices.ContainsFunc(rt.roles, func(role string) bool {
			return slices.Contains(c.Roles, role)
		}) {
			return errForbidden("Character does not have required role(s): " + strings.Join(rt.roles, ", "))
		}
	}
	return nil
}
