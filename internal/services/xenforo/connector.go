package xenforo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// groupsFresh is how long a group's id is trusted.
const groupsFresh = 10 * time.Minute

// connector is one XenForo instance.
type connector struct {
	slug   string
	set    settings
	api    *client
	now    func() time.Time
	logger *slog.Logger

	mu     sync.Mutex
	groups map[string]cachedGroup // by name (or id) as Keepstar names it
}

type cachedGroup struct {
	id int // 0: the forum has no such group
	at time.Time
}

var (
	_ services.Connector       = (*connector)(nil)
	_ services.PasswordManager = (*connector)(nil)
	_ services.Checker         = (*connector)(nil)
)

func open(inst services.Instance, env services.Env) (*connector, error) {
	set, err := readSettings(inst.Settings)
	if err != nil {
		return nil, fmt.Errorf("xenforo: %w", err)
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := env.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	// A redirect would send the key to another address: never followed.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &connector{slug: inst.Slug, set: set, now: now, logger: logger.With("service", inst.Slug),
		api: &client{endpoint: set.endpoint.String(), key: set.key, http: &noRedirect}, groups: map[string]cachedGroup{}}, nil
}

// email is a member's placeholder address (Keepstar holds none): it also
// tells Keepstar's own users from others' when a name is taken.
func (c *connector) email(accountID int64) string {
	return "keepstar-" + strconv.FormatInt(accountID, 10) + "@" + c.set.emailDomain
}

// group gives a group's id (0: the forum has none of that name).
func (c *connector) group(ctx context.Context, name string) (int, error) {
	c.mu.Lock()
	g, ok := c.groups[name]
	c.mu.Unlock()
	if ok && c.now().Sub(g.at) < groupsFresh {
		return g.id, nil
	}
	id, err := c.api.groupID(ctx, name)
	if notFound(err) {
		id, err = 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.groups[name] = cachedGroup{id: id, at: c.now()}
	c.mu.Unlock()
	return id, nil
}

// groupIDs gives the ids of names the forum has.
func (c *connector) groupIDs(ctx context.Context, names []string) (map[int]string, error) {
	out := map[int]string{}
	for _, n := range names {
		id, err := c.group(ctx, n)
		if err != nil {
			return nil, err
		}
		if id != 0 {
			out[id] = n
		}
	}
	return out, nil
}

// Create registers the member: the username from the formatted name, the
// password, the placeholder address, the member group; then their groups.
// A user with the member's placeholder address is theirs from before
// (they lost access, or deactivated): it is taken back, with the new
// password. A name another user has gets the account's number.
func (c *connector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	email := c.email(want.AccountID)
	name := Username(want.Name, want.AccountID, false)
	var u user
	err := c.api.call(ctx, "register", url.Values{"username": {name}, "password": {password}, "email": {email},
		"group": {c.set.memberGroup}, "user_state": {"valid"}, "visible": {"1"}}, &u)
	if userError(err, userExists) || userError(err, emailUsed) {
		mine, gerr := c.api.getUser(ctx, email)
		switch {
		case gerr == nil:
			// Theirs: a new password (it was made random at removal).
			if err := c.api.call(ctx, "editUser", url.Values{"user": {strconv.Itoa(mine.ID)}, "password": {password}}, nil); err != nil {
				return services.Account{}, err
			}
			u, err = mine, nil
			c.logger.InfoContext(ctx, "xenforo user taken back", "account", want.AccountID)
		case notFound(gerr) && userError(err, userExists):
			name = Username(want.Name, want.AccountID, true)
			err = c.api.call(ctx, "register", url.Values{"username": {name}, "password": {password}, "email": {email},
				"group": {c.set.memberGroup}, "user_state": {"valid"}, "visible": {"1"}}, &u)
		default:
			if gerr != nil && !notFound(gerr) {
				return services.Account{}, gerr
			}
		}
	}
	if err != nil {
		return services.Account{}, err
	}
	acct := services.Account{ExternalID: strconv.Itoa(u.ID), ExternalName: u.Username}
	if err := c.regroup(ctx, acct, nil, want); err != nil {
		return services.Account{}, err
	}
	acct.Name, acct.Groups = want.Name, want.Groups
	return acct, nil
}

// SetPassword sets the member's password (editUser).
func (c *connector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	err := c.api.call(ctx, "editUser", url.Values{"user": {acct.ExternalID}, "password": {password}}, nil)
	if notFound(err) {
		return services.ErrGone
	}
	return err
}

// Apply gives the member's groups: one read, and one edit when they
// differ. XenAPI refuses to add a group the user has (user error 8) or
// take one they lack (12), so the difference is computed from the read.
func (c *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	if err := c.regroup(ctx, acct, acct.Groups, want); err != nil {
		return acct, err
	}
	return acct, nil
}

func (c *connector) regroup(ctx context.Context, acct services.Account, had []string, want services.Want) error {
	u, err := c.api.getUser(ctx, acct.ExternalID)
	if notFound(err) {
		return services.ErrGone
	}
	if err != nil {
		return err
	}
	member, err := c.group(ctx, c.set.memberGroup)
	if err != nil {
		return err
	}
	if member == 0 {
		return fmt.Errorf("xenforo: the member group %q is not on the forum", c.set.memberGroup)
	}
	wanted, err := c.groupIDs(ctx, want.Groups)
	if err != nil {
		return err
	}
	wanted[member] = c.set.memberGroup
	before, err := c.groupIDs(ctx, had)
	if err != nil {
		return err
	}
	current := u.groups()
	var add, remove []int
	for id := range wanted {
		if !current[id] {
			add = append(add, id)
		}
	}
	for id, name := range before {
		if current[id] && wanted[id] == "" && (want.Keep == nil || !want.Keep(name)) {
			remove = append(remove, id)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	slices.Sort(add)
	slices.Sort(remove)
	args := url.Values{"user": {acct.ExternalID}}
	if len(add) > 0 {
		args.Set("add_groups", ids(add))
	}
	if len(remove) > 0 {
		args.Set("remove_groups", ids(remove))
	}
	err = c.api.call(ctx, "editUser", args, nil)
	if notFound(err) {
		return services.ErrGone
	}
	return err
}

// Remove disables the member without deleting them (their posts stay): the
// groups Keepstar gave, the member group among them, taken away, and a
// random password nobody knows, in one edit.
func (c *connector) Remove(ctx context.Context, acct services.Account) error {
	u, err := c.api.getUser(ctx, acct.ExternalID)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	managed, err := c.groupIDs(ctx, append(slices.Clone(acct.Groups), c.set.memberGroup))
	if err != nil {
		return err
	}
	current := u.groups()
	var remove []int
	for id := range managed {
		if current[id] {
			remove = append(remove, id)
		}
	}
	slices.Sort(remove)
	args := url.Values{"user": {acct.ExternalID}, "password": {services.NewPassword() + services.NewPassword()}}
	if len(remove) > 0 {
		args.Set("remove_groups", ids(remove))
	}
	err = c.api.call(ctx, "editUser", args, nil)
	if notFound(err) {
		return nil
	}
	return err
}

// Check names the member group and the managed groups the forum lacks:
// XenAPI cannot make groups, so an admin makes them.
func (c *connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	var out []services.Problem
	for _, name := range append([]string{c.set.memberGroup}, managed...) {
		c.mu.Lock()
		delete(c.groups, name)
		c.mu.Unlock()
		id, err := c.group(ctx, name)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			out = append(out, services.Problem{Message: "services.xenforo.problem.group_missing", Args: map[string]any{"Group": name}})
		}
	}
	return out, nil
}
