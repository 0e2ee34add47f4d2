package discord

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// APIError is an answer from Discord other than success: the HTTP status,
// Discord's JSON error code and message, and for 50035 the "errors" object
// naming the offending field. The OAuth2 endpoints answer RFC 6749 errors
// instead: OAuth is their "error" ("invalid_grant"), Message their
// "error_description".
type APIError struct {
	Status  int
	Code    int
	Message string
	Errors  json.RawMessage
	OAuth   string
	// RetryAfter is a 429's wait, still answered after the client's retries.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	switch {
	case e.Code != 0:
		return fmt.Sprintf("discord: %d %s (code %d)", e.Status, e.Message, e.Code)
	case e.OAuth != "":
		return fmt.Sprintf("discord: %d %s (%s)", e.Status, e.Message, e.OAuth)
	}
	return fmt.Sprintf("discord: %d %s", e.Status, e.Message)
}

// Is lets errors.Is match an APIError against the sentinels below by its
// JSON code (or, for those naming a status, by its HTTP status).
func (e *APIError) Is(target error) bool {
	var s *sentinel
	if !errors.As(target, &s) {
		return false
	}
	if s.code != 0 {
		return s.code == e.Code
	}
	if s.oauth != "" {
		return s.oauth == e.OAuth
	}
	if s.status == 500 {
		return e.Status >= 500
	}
	return s.status == e.Status
}

// sentinel is a class of Discord answers; it is not itself an APIError so
// that callers always get the full answer with errors.As.
type sentinel struct {
	code, status int
	oauth        string
	msg          string
}

func (s *sentinel) Error() string { return "discord: " + s.msg }

// Sentinels for the answers a connector acts on (Discord's JSON error codes).
var (
	ErrUnknownGuild       error = &sentinel{code: 10004, msg: "unknown guild"}
	ErrUnknownMember      error = &sentinel{code: 10007, msg: "unknown member"}
	ErrUnknownRole        error = &sentinel{code: 10011, msg: "unknown role"}
	ErrUnknownUser        error = &sentinel{code: 10013, msg: "unknown user"}
	ErrMaxGuilds          error = &sentinel{code: 30001, msg: "user is in the maximum number of guilds"}
	ErrMaxRoles           error = &sentinel{code: 30005, msg: "guild has the maximum number of roles"}
	ErrBanned             error = &sentinel{code: 40007, msg: "user is banned from this guild"}
	ErrMissingAccess      error = &sentinel{code: 50001, msg: "missing access"}
	ErrMissingPermissions error = &sentinel{code: 50013, msg: "missing permissions"}
	ErrInvalidOAuthToken  error = &sentinel{code: 50025, msg: "invalid OAuth2 access token"}
	ErrInvalidRole        error = &sentinel{code: 50028, msg: "invalid role"}
	ErrInvalidFormBody    error = &sentinel{code: 50035, msg: "invalid form body"}
	// ErrInvalidGrant is the token endpoint refusing a code: expired, used
	// already, or given for another redirect URI.
	ErrInvalidGrant error = &sentinel{oauth: "invalid_grant", msg: "invalid OAuth2 grant"}
	// ErrUnauthorized is any 401: a wrong bot token or an expired user token.
	ErrUnauthorized error = &sentinel{status: 401, msg: "unauthorized"}
	// ErrRateLimited is a 429 still answered after the client's retries.
	ErrRateLimited error = &sentinel{status: 429, msg: "rate limited"}
	// ErrUnavailable is any 5xx: Discord (or its edge) is down.
	ErrUnavailable error = &sentinel{status: 500, msg: "unavailable"}
)

// ErrBreakerOpen is returned without calling Discord while the count of
// invalid responses in the last ten minutes is at the breaker's threshold.
var ErrBreakerOpen = errors.New("discord: too many invalid responses in ten minutes; calls refused to avoid a ban")
