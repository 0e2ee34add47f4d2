package mumble

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
)

// callTimeout bounds one call to murmurd.
const callTimeout = 10 * time.Second

// kickReason is what a member removed from the service reads in their
// client.
const kickReason = "Your access to this server was removed."

// connector is one Mumble instance: its users in Keepstar's database, the
// authenticator murmurd calls (Run), and a connection to murmurd for
// changes to live sessions.
type connector struct {
	slug   string
	set    settings
	users  *users
	logger *slog.Logger

	// mu guards the connection for live changes, dialled when first
	// needed and again once it is lost.
	mu     sync.Mutex
	meta   *murmur.Meta
	server *murmur.Server
	closed bool
}

var (
	_ services.Connector       = (*connector)(nil)
	_ services.PasswordManager = (*connector)(nil)
	_ services.Joiner          = (*connector)(nil)
	_ services.Runner          = (*connector)(nil)
	_ services.Checker         = (*connector)(nil)
)

func open(inst services.Instance, env services.Env) (*connector, error) {
	set, err := readSettings(inst.Settings)
	if err != nil {
		return nil, fmt.Errorf("mumble: %w", err)
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	u, err := newUsers(env.DB, inst.ID, env.SecretKey, now)
	if err != nil {
		return nil, err
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &connector{slug: inst.Slug, set: set, users: u, logger: logger.With("service", inst.Slug)}, nil
}

// userID reads Murmur's id of a service account.
func userID(acct services.Account) (int, error) {
	id, err := strconv.Atoi(acct.ExternalID)
	if err != nil || id < userIDOffset {
		return 0, fmt.Errorf("mumble: %q is not an id Keepstar gave", acct.ExternalID)
	}
	return id, nil
}

// MemberGroup is the group every member Keepstar lets in has on the root
// channel: ACLs may name it (@keepstar), and it keeps the list of groups a
// login gets from being empty, which murmurd would take as "leave the
// user's groups as they are" (regroup below).
const MemberGroup = "keepstar"

// groupsOf gives the groups murmurd's ACLs see for a want's groups.
func groupsOf(groups []string) []string {
	out := make([]string, 0, len(groups)+1)
	for _, g := range groups {
		out = append(out, GroupName(g))
	}
	out = append(out, MemberGroup)
	slices.Sort(out)
	return slices.Compact(out)
}

// Create makes the member's Mumble user: the login name from the main
// character's name, Murmur's id from the account's.
func (c *connector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	id := userIDOffset + want.AccountID
	if want.AccountID <= 0 || id > 1<<31-1 {
		return services.Account{}, fmt.Errorf("mumble: account %d has no room in Murmur's ids", want.AccountID)
	}
	u := user{ID: int(id), Username: Username(want.Identity.CharacterName), DisplayName: want.Name, Groups: groupsOf(want.Groups)}
	if u.Username == "" {
		u.Username = Username(want.Identity.Username)
	}
	err := c.users.create(ctx, u, password)
	if errors.Is(err, errNameTaken) {
		// Two mains whose names differ only where Murmur's rule does
		// not allow a character ("A B" and "A_B"): the second gets its
		// account's number.
		u.Username += "_" + strconv.FormatInt(want.AccountID, 10)
		err = c.users.create(ctx, u, password)
	}
	if err != nil {
		return services.Account{}, err
	}
	return services.Account{ExternalID: strconv.Itoa(u.ID), ExternalName: u.Username, Name: want.Name, Groups: want.Groups}, nil
}

// SetPassword sets the member's password.
func (c *connector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	id, err := userID(acct)
	if err != nil {
		return err
	}
	if err := c.users.setPassword(ctx, id, password); errors.Is(err, errNoUser) {
		return services.ErrGone
	} else if err != nil {
		return err
	}
	return nil
}

// Apply stores the name and groups the next login gets, and gives the
// member's live sessions the groups now.
func (c *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	id, err := userID(acct)
	if err != nil {
		return acct, err
	}
	groups := groupsOf(want.Groups)
	if err := c.users.update(ctx, id, want.Name, groups); errors.Is(err, errNoUser) {
		return acct, services.ErrGone
	} else if err != nil {
		return acct, err
	}
	before := groupsOf(acct.Groups)
	applied := acct
	applied.Name, applied.Groups = want.Name, want.Groups
	if slices.Equal(before, groups) {
		return applied, nil
	}
	if err := c.regroup(ctx, id, before, groups); err != nil {
		// The next login has them; the live sessions get them when the
		// sync is tried again.
		return acct, err
	}
	return applied, nil
}

// regroupLifetime bounds how long a regroup password is good: the one
// verifyPassword call it is made for.
const regroupLifetime = 30 * time.Second

// regroup gives the user's live sessions the groups after instead of
// before. murmurd holds the groups a login got twice: for the session,
// which addUserToGroup and removeUserFromGroup change, and for the user id,
// which only another authentication of that id replaces
// (Server::setTempGroups). So when a group goes, Keepstar has murmurd
// verify a one-time password it made for the user, which its
// authenticator answers with the groups now stored, then changes each
// session's own groups (which also clears murmurd's cache of what the
// session may do).
func (c *connector) regroup(ctx context.Context, id int, before, after []string) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	srv, sessions, err := c.sessions(ctx, id)
	if err != nil || len(sessions) == 0 {
		return err
	}
	if slices.ContainsFunc(before, func(g string) bool { return !slices.Contains(after, g) }) {
		if err := c.reauthenticate(ctx, srv, id); err != nil {
			return err
		}
	}
	return c.eachSession(sessions, func(session int) error {
		return regroupSession(ctx, srv, session, before, after)
	})
}

// reauthenticate has murmurd authenticate the user again with a one-time
// password, so that the groups it holds for the user id are those stored.
func (c *connector) reauthenticate(ctx context.Context, srv *murmur.Server, id int) error {
	u, err := c.users.byID(ctx, id)
	if err != nil {
		return err
	}
	password := rand.Text()
	if err := c.users.setRegroup(ctx, u, password, regroupLifetime); err != nil {
		return err
	}
	defer func() {
		if err := c.users.clearRegroup(context.WithoutCancel(ctx), id); err != nil {
			c.logger.WarnContext(ctx, "mumble: forget a regroup password", "user", id, "error", err)
		}
	}()
	got, err := srv.VerifyPassword(ctx, u.Username, password)
	if err != nil {
		return c.failed(err)
	}
	if got != id {
		// Keepstar's authenticator did not answer (murmurd restarted and
		// it is not registered again yet): tried again later.
		return fmt.Errorf("mumble: murmurd's check of the new groups gave %d: %w", got, services.ErrUnavailable)
	}
	return nil
}

// regroupSession moves a live session from the groups it was given to
// those it should have, on the root channel where the login put them.
func regroupSession(ctx context.Context, srv *murmur.Server, session int, before, after []string) error {
	for _, g := range after {
		if !slices.Contains(before, g) {
			if err := srv.AddUserToGroup(ctx, 0, session, g); err != nil {
				return err
			}
		}
	}
	for _, g := range before {
		if !slices.Contains(after, g) {
			if err := srv.RemoveUserFromGroup(ctx, 0, session, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// Remove deletes the member's user, so that its next login is refused,
// and kicks its live sessions.
func (c *connector) Remove(ctx context.Context, acct services.Account) error {
	id, err := userID(acct)
	if err != nil {
		return err
	}
	if err := c.users.remove(ctx, id); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	srv, sessions, err := c.sessions(ctx, id)
	if err != nil {
		return err
	}
	return c.eachSession(sessions, func(session int) error {
		c.logger.InfoContext(ctx, "mumble: kicking a session whose access was removed", "user", id, "session", session)
		return srv.Kick(ctx, session, kickReason)
	})
}

// sessions gives the virtual server, over the connection for live
// changes, and the user's connected sessions.
func (c *connector) sessions(ctx context.Context, id int) (*murmur.Server, []int, error) {
	srv, err := c.connect(ctx)
	if err != nil {
		return nil, nil, err
	}
	list, err := srv.Users(ctx)
	if err != nil {
		return nil, nil, c.failed(err)
	}
	var out []int
	for _, u := range list {
		if u.UserID == id {
			out = append(out, u.Session)
		}
	}
	return srv, out, nil
}

// eachSession calls fn for each session; one that left meanwhile is no
// error.
func (c *connector) eachSession(sessions []int, fn func(session int) error) error {
	for _, session := range sessions {
		if err := fn(session); err != nil && !errors.Is(err, murmur.ErrInvalidSession) {
			return c.failed(err)
		}
	}
	return nil
}

// connect gives the virtual server over the connection for live changes.
func (c *connector) connect(ctx context.Context) (*murmur.Server, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("mumble: closed: %w", services.ErrUnavailable)
	}
	if c.meta != nil {
		select {
		case <-c.meta.Done():
			c.meta, c.server = nil, nil
		default:
			return c.server, nil
		}
	}
	meta, srv, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.meta, c.server = meta, srv
	return srv, nil
}

// dial connects to murmurd and finds the instance's virtual server.
func (c *connector) dial(ctx context.Context) (*murmur.Meta, *murmur.Server, error) {
	meta, err := murmur.Dial(ctx, c.set.iceAddress, c.set.secret, c.set.module)
	if err != nil {
		return nil, nil, fmt.Errorf("mumble: connect to murmurd at %s: %w: %w", c.set.iceAddress, services.ErrUnavailable, err)
	}
	srv, err := meta.Server(ctx, c.set.serverID)
	if err != nil {
		meta.Close()
		return nil, nil, fmt.Errorf("mumble: virtual server %d: %w", c.set.serverID, classify(err))
	}
	return meta, srv, nil
}

// failed drops a connection that failed (it is dialled again next time)
// and classifies the error.
func (c *connector) failed(err error) error {
	err = classify(err)
	if errors.Is(err, services.ErrUnavailable) {
		c.mu.Lock()
		if c.meta != nil {
			c.meta.Close()
			c.meta, c.server = nil, nil
		}
		c.mu.Unlock()
	}
	return err
}

// classify says which of murmurd's errors pass (the connection, a server
// not running) and which an admin must fix (the secret, the server id).
func classify(err error) error {
	switch {
	case errors.Is(err, murmur.ErrInvalidSecret), errors.Is(err, murmur.ErrServerNotFound), errors.Is(err, murmur.ErrModuleUnsupported):
		return fmt.Errorf("mumble: %w", err)
	case errors.Is(err, murmur.ErrServerBooted):
		return fmt.Errorf("mumble: the virtual server is not running: %w: %w", services.ErrUnavailable, err)
	case errors.Is(err, murmur.ErrMurmur), errors.Is(err, murmur.ErrInvalidSession), errors.Is(err, murmur.ErrInvalidChannel):
		return fmt.Errorf("mumble: %w", err)
	}
	return fmt.Errorf("mumble: murmurd: %w: %w", services.ErrUnavailable, err)
}

// JoinURL gives the mumble:// link with the member's login name, when the
// instance says where its server is.
func (c *connector) JoinURL(acct services.Account) string {
	if c.set.publicAddress == "" || acct.ExternalName == "" {
		return ""
	}
	u := url.URL{Scheme: "mumble", User: url.User(acct.ExternalName), Host: c.set.publicAddress, Path: "/"}
	return u.String() + "?version=1.2.0"
}

// Check tells admins what stops the instance: murmurd unreachable, the
// secret wrong, the virtual server missing or stopped.
func (c *connector) Check(ctx context.Context, _ []string) ([]services.Problem, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	meta, srv, err := c.dial(ctx)
	switch {
	case errors.Is(err, murmur.ErrInvalidSecret):
		return []services.Problem{{Message: "services.mumble.problem.secret"}}, nil
	case errors.Is(err, murmur.ErrServerNotFound):
		return []services.Problem{{Message: "services.mumble.problem.server", Args: map[string]any{"ID": c.set.serverID}}}, nil
	case err != nil:
		return []services.Problem{{Message: "services.mumble.problem.unreachable",
			Args: map[string]any{"Address": c.set.iceAddress, "Error": err.Error()}}}, nil
	}
	defer meta.Close()
	var problems []services.Problem
	if running, err := srv.IsRunning(ctx); err != nil {
		return nil, classify(err)
	} else if !running {
		problems = append(problems, services.Problem{Message: "services.mumble.problem.stopped", Args: map[string]any{"ID": c.set.serverID}})
	}
	// A secret that only reads passes the calls above: setConf is a
	// write, as setAuthenticator is.
	if v, err := srv.GetConf(ctx, forceExternalAuth); err == nil && v != "true" {
		problems = append(problems, services.Problem{Message: "services.mumble.problem.not_registered"})
	} else if errors.Is(err, murmur.ErrInvalidSecret) {
		problems = append(problems, services.Problem{Message: "services.mumble.problem.secret"})
	}
	return problems, nil
}

// Close drops the connection for live changes.
func (c *connector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.meta != nil {
		err := c.meta.Close()
		c.meta, c.server = nil, nil
		return err
	}
	return nil
}
