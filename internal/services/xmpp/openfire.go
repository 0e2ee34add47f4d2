package xmpp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keepstar/keepstar/internal/services"
)

// restPath is where Openfire's REST API plugin answers, under the admin
// console's address.
const restPath = "/plugins/restapi/v1"

// openfire speaks to the REST API plugin, in JSON: 201 on create, 200 on
// update and delete, 404 for an unknown user or group, 409 for a user
// that exists; auth by its shared secret key in the Authorization header,
// or HTTP Basic with an admin.
type openfire struct {
	base   string
	user   string
	secret string
	http   *http.Client
}

var _ backend = (*openfire)(nil)

func newOpenfire(s settings, hc *http.Client) *openfire {
	base := strings.TrimSuffix(s.apiURL, restPath) + restPath
	return &openfire{base: base, user: s.apiUser, secret: s.secret, http: hc}
}

// openfireError is an error answer of the plugin.
type openfireError struct {
	Status    int
	Exception string `json:"exception"`
	Message   string `json:"message"`
}

func (e *openfireError) Error() string {
	return fmt.Sprintf("Openfire answered %d: %s %s", e.Status, e.Exception, e.Message)
}

// do sends a request; ok are the statuses that are success.
func (o *openfire) do(ctx context.Context, method, path string, body any, out any, ok ...int) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("xmpp: Openfire %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, o.base+path, r)
	if err != nil {
		return fmt.Errorf("xmpp: Openfire %s: %w", method, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if o.user != "" {
		req.SetBasicAuth(o.user, o.secret)
	} else {
		req.Header.Set("Authorization", o.secret)
	}
	resp, err := o.http.Do(req)
	if err != nil {
		return fmt.Errorf("xmpp: Openfire %s %s: %w: %w", method, path, services.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("xmpp: Openfire %s %s: %w: %w", method, path, services.ErrUnavailable, err)
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			if out != nil {
				if err := json.Unmarshal(raw, out); err != nil {
					return fmt.Errorf("xmpp: Openfire %s %s: an answer that is not the plugin's JSON: %w", method, path, err)
				}
			}
			return nil
		}
	}
	oe := &openfireError{Status: resp.StatusCode}
	_ = json.Unmarshal(raw, oe) // the status says enough when the body does not decode
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("xmpp: Openfire %s %s: %w: %w", method, path, errCredentials, oe)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("xmpp: Openfire %s %s: %w: %w", method, path, services.ErrUnavailable, oe)
	}
	return fmt.Errorf("xmpp: Openfire %s %s: %w", method, path, oe)
}

func userPath(user string) string { return "/users/" + url.PathEscape(user) }

func statusOf(err error) int {
	var oe *openfireError
	if errors.As(err, &oe) {
		return oe.Status
	}
	return 0
}

func (o *openfire) register(ctx context.Context, user, password string) error {
	err := o.do(ctx, http.MethodPost, "/users", map[string]string{"username": user, "password": password}, nil, http.StatusCreated)
	if statusOf(err) == http.StatusConflict {
		return fmt.Errorf("%w: %w", errExists, err)
	}
	return err
}

func (o *openfire) exists(ctx context.Context, user string) (bool, error) {
	err := o.do(ctx, http.MethodGet, userPath(user), nil, nil, http.StatusOK)
	if statusOf(err) == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

func (o *openfire) setPassword(ctx context.Context, user, password string) error {
	err := o.do(ctx, http.MethodPut, userPath(user), map[string]string{"username": user, "password": password}, nil, http.StatusOK)
	if statusOf(err) == http.StatusNotFound {
		return fmt.Errorf("%w: %w", services.ErrGone, err)
	}
	return err
}

// lock: the plugin's lockout disables the account and closes its
// sessions.
func (o *openfire) lock(ctx context.Context, user, _ string) error {
	err := o.do(ctx, http.MethodPost, "/lockouts/"+url.PathEscape(user), nil, nil, http.StatusCreated)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	return err
}

func (o *openfire) unlock(ctx context.Context, user string) error {
	return o.do(ctx, http.MethodDelete, "/lockouts/"+url.PathEscape(user), nil, nil, http.StatusOK)
}

// groupNames is the plugin's body of a user's groups.
type groupNames struct {
	Groupname []string `json:"groupname"`
}

// addGroups: the plugin makes the groups that do not exist.
func (o *openfire) addGroups(ctx context.Context, user string, groups []string) error {
	if len(groups) == 0 {
		return nil
	}
	return o.do(ctx, http.MethodPost, userPath(user)+"/groups", groupNames{groups}, nil, http.StatusCreated)
}

// removeGroups: a group that no longer exists (404) holds nobody.
func (o *openfire) removeGroups(ctx context.Context, user string, groups []string) error {
	for _, g := range groups {
		err := o.do(ctx, http.MethodDelete, userPath(user)+"/groups/"+url.PathEscape(g), nil, nil, http.StatusOK)
		if err != nil && statusOf(err) != http.StatusNotFound {
			return err
		}
	}
	return nil
}

func (o *openfire) groups(ctx context.Context) ([]string, error) {
	var out struct {
		Groups []struct {
			Name string `json:"name"`
		} `json:"groups"`
	}
	if err := o.do(ctx, http.MethodGet, "/groups", nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(out.Groups))
	for _, g := range out.Groups {
		names = append(names, g.Name)
	}
	return names, nil
}

// send: the plugin's only message route (/messages/users) goes to every
// online user of the server; Keepstar does not use it for a ping to
// chosen members.
func (o *openfire) send(context.Context, string, string) error { return errNoPing }

// check reads a user that does not exist: 404 says the secret is good.
func (o *openfire) check(ctx context.Context) error {
	err := o.do(ctx, http.MethodGet, userPath("keepstar-check"), nil, nil, http.StatusOK)
	if s := statusOf(err); s == http.StatusNotFound {
		return nil
	}
	return err
}
