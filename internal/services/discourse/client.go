package discourse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// The admin API's limit (meta topic 78612): 60 requests a minute, shared
// by every admin key of the forum (DISCOURSE_MAX_ADMIN_API_REQS_PER_MINUTE).
const (
	adminMax    = 60
	adminWindow = time.Minute
)

// maxWait is the longest a sync waits in the limiter; a longer wait gives
// the job back to be snoozed, so that a worker is not held.
const maxWait = 5 * time.Second

// callTimeout bounds one request.
const callTimeout = 20 * time.Second

// errNotFound: the forum has no such user or group (404).
var errNotFound = errors.New("discourse: not found")

// APIError is a refusal of the forum's API: its status and what it said.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("discourse: %d: %s", e.Status, e.Message)
}

// limiter keeps Keepstar within the admin API's limit in one process: a
// sliding window of the last requests' times, as Discourse counts them.
type limiter struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	window time.Duration
	times  []time.Time
}

// reserve takes a request's place: how long to wait first (0: none). A
// wait longer than most is not taken.
func (l *limiter) reserve(most time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	kept := l.times[:0]
	for _, t := range l.times {
		if now.Sub(t) < l.window {
			kept = append(kept, t)
		}
	}
	l.times = kept
	at := now
	if len(kept) >= l.max {
		at = kept[len(kept)-l.max].Add(l.window)
	}
	wait := at.Sub(now)
	if wait > most {
		return wait, false
	}
	l.times = append(l.times, at)
	return wait, true
}

// client is the forum's admin API.
type client struct {
	base     *url.URL
	key      string
	username string
	http     *http.Client
	limit    *limiter
	waited   func(time.Duration)
}

// call sends one admin request (form encoded when form is not nil) and
// decodes a JSON answer into out (nil: ignored). A 429 or the limiter's
// own wait past maxWait is a *services.RetryAfter; a forum down or
// erring is services.ErrUnavailable.
func (c *client) call(ctx context.Context, method, path string, form url.Values, out any) error {
	wait, ok := c.limit.reserve(maxWait)
	if !ok {
		return &services.RetryAfter{After: wait, Err: errors.New("discourse: the admin API's limit of 60 requests a minute is reached")}
	}
	if wait > 0 {
		if c.waited != nil {
			c.waited(wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return fmt.Errorf("discourse: %w", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Api-Key", c.key)
	req.Header.Set("Api-Username", c.username)
	res, err := c.http.Do(req)
	if err != nil {
		// The error names the URL, never the key (it is a header).
		return fmt.Errorf("%w: discourse: %w", services.ErrUnavailable, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%w: discourse: %w", services.ErrUnavailable, err)
	}
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		return &services.RetryAfter{After: retryAfter(res.Header.Get("Retry-After"), data),
			Err: fmt.Errorf("discourse: rate limited (429): %s", message(data))}
	case res.StatusCode >= 500:
		return fmt.Errorf("%w: discourse: %s %s: %d", services.ErrUnavailable, method, path, res.StatusCode)
	case res.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", errNotFound, path)
	case res.StatusCode >= 300:
		return &APIError{Status: res.StatusCode, Message: message(data)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("discourse: %s %s: the answer is not the JSON expected: %w", method, path, err)
	}
	return nil
}

// retryAfter reads a 429's wait: Retry-After in seconds, else the body's
// extras.wait_seconds, else a minute (the admin window).
func retryAfter(header string, body []byte) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(header)); err == nil && n >= 0 {
		return time.Duration(max(n, 1)) * time.Second
	}
	var e struct {
		Extras struct {
			WaitSeconds float64 `json:"wait_seconds"`
		} `json:"extras"`
	}
	if json.Unmarshal(body, &e) == nil && e.Extras.WaitSeconds > 0 {
		return time.Duration(e.Extras.WaitSeconds * float64(time.Second))
	}
	return adminWindow
}

// message gives what a Discourse error body says, short.
func message(data []byte) string {
	var e struct {
		Errors  []string `json:"errors"`
		Message string   `json:"message"`
	}
	if json.Unmarshal(data, &e) == nil {
		if len(e.Errors) > 0 {
			return strings.Join(e.Errors, "; ")
		}
		if e.Message != "" {
			return e.Message
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// user is what Keepstar reads of a forum user.
type user struct {
	ID            int64   `json:"id"`
	Username      string  `json:"username"`
	SuspendedTill *string `json:"suspended_till"`
	SuspendReason string  `json:"suspend_reason"`
	Groups        []struct {
		Name      string `json:"name"`
		Automatic bool   `json:"automatic"`
	} `json:"groups"`
}

// suspendedByKeepstar reports a suspension Keepstar made (its reason is
// Keepstar's): only those are lifted when access comes back; one the
// forum's staff gave is theirs.
func (u user) suspendedByKeepstar() bool {
	return u.SuspendedTill != nil && *u.SuspendedTill != "" && u.SuspendReason == suspendReason
}

// byExternal reads the user of an external id (errNotFound: none).
func (c *client) byExternal(ctx context.Context, externalID string) (user, error) {
	var out struct {
		User user `json:"user"`
	}
	err := c.call(ctx, http.MethodGet, "/users/by-external/"+url.PathEscape(externalID)+".json", nil, &out)
	return out.User, err
}

// syncSSO applies a signed payload to its user, made if new.
func (c *client) syncSSO(ctx context.Context, payload, sig string) (user, error) {
	var out user
	err := c.call(ctx, http.MethodPost, "/admin/users/sync_sso", url.Values{"sso": {payload}, "sig": {sig}}, &out)
	return out, err
}

func (c *client) logOut(ctx context.Context, id int64) error {
	return c.call(ctx, http.MethodPost, "/admin/users/"+strconv.FormatInt(id, 10)+"/log_out", url.Values{}, nil)
}

func (c *client) suspend(ctx context.Context, id int64, until time.Time, reason string) error {
	return c.call(ctx, http.MethodPut, "/admin/users/"+strconv.FormatInt(id, 10)+"/suspend",
		url.Values{"suspend_until": {until.UTC().Format(time.RFC3339)}, "reason": {reason}}, nil)
}

func (c *client) unsuspend(ctx context.Context, id int64) error {
	return c.call(ctx, http.MethodPut, "/admin/users/"+strconv.FormatInt(id, 10)+"/unsuspend", url.Values{}, nil)
}

// groups lists the forum's groups that are not automatic.
func (c *client) groups(ctx context.Context) ([]string, error) {
	var names []string
	count := 0
	for page := 0; page < 100; page++ {
		var out struct {
			Groups []struct {
				Name      string `json:"name"`
				Automatic bool   `json:"automatic"`
			} `json:"groups"`
			Total int `json:"total_rows_groups"`
		}
		if err := c.call(ctx, http.MethodGet, "/groups.json?page="+strconv.Itoa(page), nil, &out); err != nil {
			return nil, err
		}
		for _, g := range out.Groups {
			if !g.Automatic {
				names = append(names, g.Name)
			}
		}
		count += len(out.Groups)
		if len(out.Groups) == 0 || count >= out.Total {
			break
		}
	}
	return names, nil
}

func (c *client) createGroup(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodPost, "/admin/groups.json", url.Values{"group[name]": {name}}, nil)
}
