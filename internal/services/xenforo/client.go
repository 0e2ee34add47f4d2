package xenforo

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
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// callTimeout bounds one request.
const callTimeout = 20 * time.Second

// APIError is an error answer of api.php: its general error, and for
// register and editUser (error 7) the user error's id and field.
type APIError struct {
	Code      int
	Message   string
	UserError int
	Field     string
}

func (e *APIError) Error() string {
	if e.UserError != 0 {
		return fmt.Sprintf("xenforo: error %d, user error %d (%s): %s", e.Code, e.UserError, e.Field, e.Message)
	}
	return fmt.Sprintf("xenforo: error %d: %s", e.Code, e.Message)
}

// XenAPI's error ids Keepstar acts on.
const (
	errNotFound  = 4  // no user (or group) found with the argument
	errUser      = 7  // a user error, in UserError
	userExists   = 40 // username taken
	emailUsed    = 42 // email taken
	groupMissing = 2  // user error: group not found
)

// notFound reports api.php's "No user/group found" (error 4).
func notFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == errNotFound
}

func userError(err error, id int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == errUser && e.UserError == id
}

// client calls api.php. Every call is a POST: XenAPI reads a POST's form
// body as it reads a GET's query string, and a body keeps the key and
// members' passwords out of the web server's access log and of proxies'
// URLs (Alliance Auth sends them in the query string).
type client struct {
	endpoint string
	key      string
	http     *http.Client
}

func (c *client) call(ctx context.Context, action string, args url.Values, out any) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	form := url.Values{"action": {action}, "hash": {c.key}}
	for k, v := range args {
		form[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("xenforo: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: xenforo: %s", services.ErrUnavailable, c.scrub(err.Error()))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: xenforo: %s", services.ErrUnavailable, c.scrub(err.Error()))
	}
	if res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("%w: xenforo: %s: %d", services.ErrUnavailable, action, res.StatusCode)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error     int    `json:"error"`
			Message   string `json:"message"`
			UserError int    `json:"user_error_id"`
			Field     string `json:"user_error_field"`
		}
		if json.Unmarshal(data, &e) != nil || e.Message == "" {
			return fmt.Errorf("xenforo: %s: %d, not XenAPI's answer (is the endpoint api.php?)", action, res.StatusCode)
		}
		// XenAPI repeats a refused hash in its message (error 6).
		return &APIError{Code: e.Error, Message: c.scrub(e.Message), UserError: e.UserError, Field: e.Field}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("xenforo: %s: the answer is not the JSON expected: %w", action, err)
	}
	return nil
}

// scrub takes the key out of a text (an error repeating the request).
func (c *client) scrub(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[api key]")
}

// user is what Keepstar reads of a XenForo user.
type user struct {
	ID        int    `json:"user_id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	Group     int    `json:"user_group_id"`
	Secondary string `json:"secondary_group_ids"`
}

// groups gives the user's secondary groups' ids.
func (u user) groups() map[int]bool {
	out := map[int]bool{}
	for _, s := range strings.Split(u.Secondary, ",") {
		if id, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			out[id] = true
		}
	}
	return out
}

func (c *client) getUser(ctx context.Context, value string) (user, error) {
	var u user
	err := c.call(ctx, "getUser", url.Values{"value": {value}}, &u)
	return u, err
}

func (c *client) groupID(ctx context.Context, value string) (int, error) {
	var g struct {
		ID int `json:"user_group_id"`
	}
	err := c.call(ctx, "getGroup", url.Values{"value": {value}}, &g)
	return g.ID, err
}

func ids(list []int) string {
	out := make([]string, 0, len(list))
	for _, id := range list {
		out = append(out, strconv.Itoa(id))
	}
	return strings.Join(out, ",")
}
