package esi

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors, matched with errors.Is against a *StatusError.
var (
	// ErrNotFound: ESI answered 404.
	ErrNotFound = errors.New("esi: not found")
	// ErrForbidden: ESI answered 403 (missing scope or in-game role, or
	// another character's data).
	ErrForbidden = errors.New("esi: forbidden")
	// ErrTokenInvalid: ESI answered 401, the access token was refused.
	ErrTokenInvalid = errors.New("esi: access token refused")
	// ErrPagesChanged: a paged walk kept seeing the data change between
	// its pages.
	ErrPagesChanged = errors.New("esi: pages changed during the walk")
	// ErrConfig is wrapped by the errors of New and of bad requests.
	ErrConfig = errors.New("esi: bad configuration")
)

// StatusError is an ESI answer that is neither success nor a limit: the
// status and the message of ESI's {"error": "..."} body.
type StatusError struct {
	Route   string
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("esi: %s answered %d: %s", e.Route, e.Status, e.Message)
}

// Is maps 404, 403 and 401 to ErrNotFound, ErrForbidden and ErrTokenInvalid.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrTokenInvalid:
		return e.Status == http.StatusUnauthorized
	}
	return false
}

// LimitedError says ESI's limits (a 420, a 429, or the gate's own judgement
// of the error budget or a bucket) stand in the way for RetryAfter: longer
// than the caller's context or the gate's maximum wait allowed. A job
// receiving it should snooze for RetryAfter rather than fail.
type LimitedError struct {
	RetryAfter time.Duration
	// Status is the answer that caused the limit (420, 429), or 0 when the
	// gate refused before asking ESI.
	Status int
	Reason string
	// Hold is what the gate said when it refused a relayed call
	// (Request.Relay); zero otherwise.
	Hold Hold
}

func (e *LimitedError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("esi: limited (%d %s), retry after %s", e.Status, e.Reason, e.RetryAfter)
	}
	return fmt.Sprintf("esi: limited (%s), retry after %s", e.Reason, e.RetryAfter)
}

// SnoozeFor makes a LimitedError a jobs.Snoozer: the job that met it is put
// back until ESI lets calls through again, without failing.
func (e *LimitedError) SnoozeFor() time.Duration { return e.RetryAfter }
