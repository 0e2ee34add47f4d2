package sso

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are the validated claims of an EVE SSO access token.
type Claims struct {
	CharacterID int32
	Name        string
	// Owner is the owner hash: it changes when the character changes hands,
	// so a stored character whose owner changed belongs to someone else now.
	Owner string
	// Scopes granted; empty for a login without scopes.
	Scopes   []string
	ClientID string // azp
	Issuer   string
	IssuedAt time.Time
	Expires  time.Time
	JTI      string
}

// HasScope reports whether a scope was granted.
func (c Claims) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// subjectPrefix starts the sub claim of a character token.
const subjectPrefix = "CHARACTER:EVE:"

// eveAudience is the audience every EVE SSO token names besides the client.
const eveAudience = "EVE Online"

// rawClaims is the JSON of an access token's payload, decoded by the JWT
// library before the checks of toClaims.
type rawClaims struct {
	jwt.RegisteredClaims
	Scp   scopeList `json:"scp"`
	Name  string    `json:"name"`
	Owner string    `json:"owner"`
	Azp   string    `json:"azp"`
}

// scopeList decodes scp, which EVE writes as an array, as a plain string
// when exactly one scope was granted, and leaves out when none was.
type scopeList []string

func (s *scopeList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = nil
		if one != "" {
			*s = scopeList{one}
		}
		return nil
	default:
		var many []string
		if err := json.Unmarshal(b, &many); err != nil {
			return fmt.Errorf("scp is neither a string nor an array of strings: %w", err)
		}
		*s = slices.DeleteFunc(many, func(x string) bool { return x == "" })
		return nil
	}
}

// errClaims is wrapped by every claim problem toClaims finds.
var errClaims = errors.New("bad claims")

// toClaims checks what the JWT library leaves to the application: the
// subject names a character, and the character has a name and an owner.
// Signature, issuer, audience and expiry are checked before.
func toClaims(rc *rawClaims) (Claims, error) {
	idText, ok := strings.CutPrefix(rc.Subject, subjectPrefix)
	if !ok {
		return Claims{}, fmt.Errorf("%w: subject %q is not a character", errClaims, rc.Subject)
	}
	id, err := strconv.ParseInt(idText, 10, 32)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != idText {
		return Claims{}, fmt.Errorf("%w: subject %q has no character id", errClaims, rc.Subject)
	}
	if rc.Owner == "" || rc.Name == "" {
		return Claims{}, fmt.Errorf("%w: owner or name missing", errClaims)
	}
	if rc.ExpiresAt == nil {
		return Claims{}, fmt.Errorf("%w: exp missing", errClaims)
	}
	c := Claims{
		CharacterID: int32(id), Name: rc.Name, Owner: rc.Owner, Scopes: slices.Clone([]string(rc.Scp)),
		ClientID: rc.Azp, Issuer: rc.Issuer, Expires: rc.ExpiresAt.Time, JTI: rc.ID,
	}
	if rc.IssuedAt != nil {
		c.IssuedAt = rc.IssuedAt.Time
	}
	return c, nil
}
