package xmpp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/services"
)

// lockReason is what ejabberd records with a ban (and a kicked client
// may show).
const lockReason = "Access removed by Keepstar"

// Connector is a live XMPP instance.
type Connector struct {
	slug   string
	set    settings
	b      backend
	owners *owners
	logger *slog.Logger
}

var (
	_ services.Connector       = (*Connector)(nil)
	_ services.PasswordManager = (*Connector)(nil)
	_ services.Checker         = (*Connector)(nil)
	_ services.GroupLister     = (*Connector)(nil)
)

// Open builds an instance's connector from its settings: a *Pinging on
// ejabberd, which can send group pings, a plain *Connector on Openfire,
// whose REST API cannot (so the pings page does not offer it).
func Open(inst services.Instance, env services.Env) (services.Connector, error) {
	c, err := open(inst, env)
	if err != nil {
		return nil, err
	}
	if c.set.backend == BackendEjabberd {
		return &Pinging{c}, nil
	}
	return c, nil
}

func open(inst services.Instance, env services.Env) (*Connector, error) {
	set, err := readSettings(inst.Settings)
	if err != nil {
		return nil, fmt.Errorf("xmpp: %w", err)
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Connector{slug: inst.Slug, set: set, owners: &owners{db: env.DB, instance: inst.ID, now: now},
		logger: logger.With("service", inst.Slug)}
	hc := httpClient(env)
	switch set.backend {
	case BackendEjabberd:
		c.b = &ejabberd{api: set.apiURL, host: set.domain, sender: set.sender, user: set.apiUser, secret: set.secret, http: hc,
			made: map[string]bool{}}
	case BackendOpenfire:
		c.b = newOpenfire(set, hc)
	}
	return c, nil
}

// jid is a login name's bare JID on the instance's domain.
func (c *Connector) jid(user string) string { return user + "@" + c.set.domain }

// user reads the login name of a service account.
func user(acct services.Account) (string, error) {
	if acct.ExternalID == "" {
		return "", errors.New("xmpp: a service account without a login name")
	}
	return acct.ExternalID, nil
}

// groupsOf gives the server's names of the groups wanted, or of those
// applied, without the ones keep says Keepstar leaves alone.
func groupsOf(groups []string, keep func(string) bool) []string {
	out := make([]string, 0, len(groups))
	for _, g := range groups {
		if keep != nil && keep(g) {
			continue
		}
		if n := GroupName(g); n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Create makes the member's account with the formatted name as its login
// name (Username). A name taken on the server is the member's own locked
// account when Keepstar made it for them: it is unlocked with the new
// password. Taken otherwise (by another member, or by nobody Keepstar
// knows), the name gets the account's number ("name_42"), and once more
// taken, the activation fails.
func (c *Connector) Create(ctx context.Context, want services.Want, password string) (services.Account, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*callTimeout)
	defer cancel()
	base := Username(want.Name)
	if base == "" {
		base = Username(want.Identity.Username)
	}
	if base == "" {
		base = "member"
	}
	suffixed := Username(base + "_" + strconv.FormatInt(want.AccountID, 10))
	for _, name := range []string{base, suffixed} {
		owner, err := c.owners.owner(ctx, name)
		if err != nil {
			return services.Account{}, err
		}
		if owner != 0 && owner != want.AccountID {
			continue
		}
		err = c.b.register(ctx, name, password)
		switch {
		case errors.Is(err, errExists) && owner == want.AccountID:
			// The member's own account, locked when they lost access.
			if err := c.b.unlock(ctx, name); err != nil {
				return services.Account{}, err
			}
			if err := c.b.setPassword(ctx, name, password); err != nil {
				return services.Account{}, err
			}
			c.logger.InfoContext(ctx, "xmpp: a member's locked account unlocked", "user", name)
		case errors.Is(err, errExists):
			continue
		case err != nil:
			return services.Account{}, err
		default:
			if err := c.owners.record(ctx, name, want.AccountID); err != nil {
				return services.Account{}, err
			}
		}
		acct := services.Account{ExternalID: name, ExternalName: c.jid(name)}
		if err := c.b.addGroups(ctx, name, groupsOf(want.Groups, want.Keep)); err != nil {
			// The account exists and is recorded as the member's: the
			// next activation finds it.
			return services.Account{}, err
		}
		acct.Name, acct.Groups = want.Name, want.Groups
		return acct, nil
	}
	return services.Account{}, fmt.Errorf("xmpp: the names %q and %q are taken on the server by accounts Keepstar did not make for this member", base, suffixed)
}

// SetPassword sets the member's password.
func (c *Connector) SetPassword(ctx context.Context, acct services.Account, password string) error {
	name, err := user(acct)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.b.setPassword(ctx, name, password)
}

// Apply makes the member's groups on the server those wanted: the groups
// applied last and no longer wanted are left, the new ones joined. An
// account deleted on the server (by an admin there) is services.ErrGone:
// the link goes, and the member may activate again. The login name never
// changes (XMPP has no rename), so a new name format applies to accounts
// made after it.
func (c *Connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	name, err := user(acct)
	if err != nil {
		return acct, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*callTimeout)
	defer cancel()
	// ejabberd adds a user that does not exist to a shared roster group
	// without a word: ask first.
	if ok, err := c.b.exists(ctx, name); err != nil {
		return acct, err
	} else if !ok {
		return acct, fmt.Errorf("%w: %s", services.ErrGone, c.jid(name))
	}
	before, after := groupsOf(acct.Groups, want.Keep), groupsOf(want.Groups, want.Keep)
	var add, del []string
	for _, g := range after {
		if !slices.Contains(before, g) {
			add = append(add, g)
		}
	}
	for _, g := range before {
		if !slices.Contains(after, g) {
			del = append(del, g)
		}
	}
	if err := c.b.addGroups(ctx, name, add); err != nil {
		return acct, err
	}
	if err := c.b.removeGroups(ctx, name, del); err != nil {
		return acct, err
	}
	next := acct
	next.Name, next.Groups = want.Name, want.Groups
	return next, nil
}

// Remove locks the account (its sessions end, its password no longer
// works) and takes its groups away, so that pings and shared rosters no
// longer reach it. The account stays on the server, locked, with its
// name: nobody else can register it, and the member gets it back if they
// come back (Create).
func (c *Connector) Remove(ctx context.Context, acct services.Account) error {
	name, err := user(acct)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*callTimeout)
	defer cancel()
	if err := c.b.lock(ctx, name, lockReason); err != nil {
		return err
	}
	return c.b.removeGroups(ctx, name, groupsOf(acct.Groups, nil))
}

// Groups implements services.GroupLister.
func (c *Connector) Groups(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.b.groups(ctx)
}

// Check tells admins what stops the instance: the API out of reach, the
// credentials refused, ejabberd without mod_admin_extra.
func (c *Connector) Check(ctx context.Context, _ []string) ([]services.Problem, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	err := c.b.check(ctx)
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, errCredentials):
		return []services.Problem{{Message: "services.xmpp.problem.credentials"}}, nil
	case errors.Is(err, errAdminExtra):
		return []services.Problem{{Message: "services.xmpp.problem.admin_extra"}}, nil
	}
	return []services.Problem{{Message: "services.xmpp.problem.unreachable", Args: map[string]any{"Address": c.set.apiURL, "Error": err.Error()}}}, nil
}
