package xmpp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/keepstar/keepstar/internal/services"
)

// ejabberd speaks to mod_http_api (with mod_admin_extra), the argument
// names of ejabberd 23.01 (Debian bookworm): POST <api>/<command> with a
// JSON object; the answer is a JSON value, 0 for success of the "rescode"
// commands, or {"status":"error","code":N,"message":…}.
type ejabberd struct {
	api    string // http://host:5280/api
	host   string // the XMPP domain
	sender string // the JID pings come from
	user   string // an admin JID for HTTP Basic, or ""
	secret string // its password, or an OAuth token when user is ""
	http   *http.Client

	// made are the shared roster groups made (or found) by this
	// connector: srg_create is sent once per group and process.
	mu   sync.Mutex
	made map[string]bool
}

var _ backend = (*ejabberd)(nil)

// ejabberdError is an error answer of mod_http_api.
type ejabberdError struct {
	Status  int    // the HTTP status
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *ejabberdError) Error() string {
	return fmt.Sprintf("ejabberd answered %d, code %d: %s", e.Status, e.Code, e.Message)
}

// errFailed: a "rescode" command answered 1.
var errFailed = errors.New("the command failed (1)")

// ejabberd's error codes that Keepstar acts on.
const (
	ejabberdEndpointNotFound = 40    // no such command: a module missing
	ejabberdUserExists       = 10090 // register: already registered
)

// call runs a command and decodes its answer into out (nil: ignored).
func (e *ejabberd) call(ctx context.Context, command string, args map[string]string, out any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("xmpp: ejabberd %s: %w", command, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.api+"/"+command, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("xmpp: ejabberd %s: %w", command, err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch {
	case e.user != "":
		req.SetBasicAuth(e.user, e.secret)
	case e.secret != "":
		req.Header.Set("Authorization", "Bearer "+e.secret)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return fmt.Errorf("xmpp: ejabberd %s: %w: %w", command, services.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("xmpp: ejabberd %s: %w: %w", command, services.ErrUnavailable, err)
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("xmpp: ejabberd %s (%d: check api_permissions and the API user): %w", command, resp.StatusCode, errCredentials)
	}
	if resp.StatusCode >= 500 && !bytes.Contains(raw, []byte(`"code"`)) {
		return fmt.Errorf("xmpp: ejabberd %s: %d: %w", command, resp.StatusCode, services.ErrUnavailable)
	}
	var ee ejabberdError
	if resp.StatusCode != http.StatusOK || (bytes.HasPrefix(raw, []byte(`{"status":"error"`)) && json.Unmarshal(raw, &ee) == nil) {
		if err := json.Unmarshal(raw, &ee); err != nil || ee.Code == 0 {
			// A bare JSON string ("unknown_user", "400 Bad Request").
			var s string
			_ = json.Unmarshal(raw, &s)
			ee.Message = s
		}
		ee.Status = resp.StatusCode
		// No such command: code 40, or "unknown_command" when
		// api_permissions names it; mod_admin_extra's are the ones asked.
		if ee.Code == ejabberdEndpointNotFound || ee.Message == "unknown_command" {
			return fmt.Errorf("xmpp: ejabberd %s: %w: %w", command, errAdminExtra, &ee)
		}
		return fmt.Errorf("xmpp: ejabberd %s: %w", command, &ee)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("xmpp: ejabberd %s: an answer that is not what 23.01 gives: %w", command, err)
	}
	return nil
}

// rescode runs a command answering 0 or 1.
func (e *ejabberd) rescode(ctx context.Context, command string, args map[string]string) error {
	var n int
	if err := e.call(ctx, command, args, &n); err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("xmpp: ejabberd %s: %w", command, errFailed)
	}
	return nil
}

func (e *ejabberd) register(ctx context.Context, user, password string) error {
	err := e.call(ctx, "register", map[string]string{"user": user, "host": e.host, "password": password}, nil)
	var ee *ejabberdError
	if errors.As(err, &ee) && ee.Code == ejabberdUserExists {
		return fmt.Errorf("%w: %w", errExists, err)
	}
	return err
}

// exists: check_account answers 0 for a user, 1 for none.
func (e *ejabberd) exists(ctx context.Context, user string) (bool, error) {
	var n int
	if err := e.call(ctx, "check_account", map[string]string{"user": user, "host": e.host}, &n); err != nil {
		return false, err
	}
	return n == 0, nil
}

func (e *ejabberd) setPassword(ctx context.Context, user, password string) error {
	err := e.rescode(ctx, "change_password", map[string]string{"user": user, "host": e.host, "newpass": password})
	var ee *ejabberdError
	if errors.As(err, &ee) && ee.Status == http.StatusNotFound && ee.Message == "unknown_user" {
		return fmt.Errorf("%w: %w", services.ErrGone, err)
	}
	return err
}

// lock bans the account: ejabberd 23.01's ban_account kicks every session
// and sets a random password, so that the old one fails. (It answers 0 for
// a user that does not exist.)
func (e *ejabberd) lock(ctx context.Context, user, reason string) error {
	return e.rescode(ctx, "ban_account", map[string]string{"user": user, "host": e.host, "reason": reason})
}

// unlock: in 23.01 a ban is only the random password, which the new
// password that follows replaces. Later releases (24.06 on) keep bans
// apart and have unban_account, sent here when the server knows it.
func (e *ejabberd) unlock(ctx context.Context, user string) error {
	err := e.rescode(ctx, "unban_account", map[string]string{"user": user, "host": e.host})
	if errors.Is(err, errAdminExtra) {
		return nil // 23.01: no such command, and no ban beyond the password
	}
	return err
}

func (e *ejabberd) ensureGroup(ctx context.Context, group string) error {
	e.mu.Lock()
	done := e.made[group]
	e.mu.Unlock()
	if done {
		return nil
	}
	// srg_create of an existing group keeps its members and answers 0;
	// its label and description are set again to the same values, and
	// the groups it is shown to are left empty: an admin who wants
	// members to see each other sets "displayed groups" in ejabberd.
	if err := e.rescode(ctx, "srg_create", map[string]string{"group": group, "host": e.host, "label": group,
		"description": "Managed by Keepstar", "display": ""}); err != nil {
		return err
	}
	e.mu.Lock()
	e.made[group] = true
	e.mu.Unlock()
	return nil
}

func (e *ejabberd) addGroups(ctx context.Context, user string, groups []string) error {
	for _, g := range groups {
		if err := e.ensureGroup(ctx, g); err != nil {
			return err
		}
		if err := e.rescode(ctx, "srg_user_add", map[string]string{"user": user, "host": e.host, "group": g, "grouphost": e.host}); err != nil {
			return err
		}
	}
	return nil
}

func (e *ejabberd) removeGroups(ctx context.Context, user string, groups []string) error {
	for _, g := range groups {
		if err := e.rescode(ctx, "srg_user_del", map[string]string{"user": user, "host": e.host, "group": g, "grouphost": e.host}); err != nil {
			return err
		}
	}
	return nil
}

func (e *ejabberd) groups(ctx context.Context) ([]string, error) {
	var out []string
	err := e.call(ctx, "srg_list", map[string]string{"host": e.host}, &out)
	return out, err
}

// send: send_message of type chat, which ejabberd keeps offline for a
// member who is not connected (a headline it would drop).
func (e *ejabberd) send(ctx context.Context, to, message string) error {
	err := e.rescode(ctx, "send_message", map[string]string{"type": "chat", "from": e.sender, "to": to, "subject": "", "body": message})
	var ee *ejabberdError
	if errors.As(err, &ee) || errors.Is(err, errFailed) {
		return fmt.Errorf("%w: %w", errNotDelivered, err)
	}
	return err
}

// check asks for a statistic, which needs mod_admin_extra and the API's
// permission, and costs the server nothing.
func (e *ejabberd) check(ctx context.Context) error {
	var n struct {
		Stat int `json:"stat"`
	}
	return e.call(ctx, "stats_host", map[string]string{"name": "registeredusers", "host": e.host}, &n)
}
