package discourse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
)

// portraitURL is the EVE portrait Discourse shows as the avatar.
const portraitURL = "https://images.evetech.net/characters/%d/portrait?size=256"

// suspendReason is what the forum's staff read on a user whose access
// Keepstar took away.
const suspendReason = "Access removed by Keepstar"

// suspendFor is how long a suspension lasts: Discourse's "forever" is
// a thousand years; Keepstar lifts it when access comes back.
const suspendFor = 1000

// groupsFresh is how long the forum's group list is trusted before a
// wanted group missing from it makes Keepstar read it again.
const groupsFresh = 10 * time.Minute

// connector is one Discourse instance.
type connector struct {
	slug   string
	set    settings
	api    *client
	now    func() time.Time
	logger *slog.Logger

	mu       sync.Mutex
	known    map[string]bool // the forum's groups, lower-cased
	knownAt  time.Time
	creating sync.Mutex
}

var (
	_ services.Connector   = (*connector)(nil)
	_ services.SSOProvider = (*connector)(nil)
	_ services.GroupLister = (*connector)(nil)
	_ services.Joiner      = (*connector)(nil)
	_ services.Checker     = (*connector)(nil)
)

func open(inst services.Instance, env services.Env) (*connector, error) {
	set, err := readSettings(inst.Settings)
	if err != nil {
		return nil, fmt.Errorf("discourse: %w", err)
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
	// Redirects are not followed: an admin API answering one is
	// misconfigured, and the key must not follow it elsewhere.
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c := &connector{slug: inst.Slug, set: set, now: now, logger: logger.With("service", inst.Slug)}
	c.api = &client{base: set.base, key: set.apiKey, username: set.apiUsername, http: &noRedirect,
		limit: &limiter{now: now, max: adminMax, window: adminWindow}}
	if env.Metrics != nil {
		c.api.waited = func(d time.Duration) { env.Metrics.Waited(inst.Slug, d) }
	}
	return c, nil
}

// errRefused: the forum's sign-in request is not one Keepstar answers.
var errRefused = errors.New("discourse: the forum's sign-in request is refused")

func refused(id string) error {
	var ps i18n.Problems
	ps.Add("", id)
	return ps.Err(errRefused)
}

// base64Chars are the characters Discourse sends and takes in a payload.
var base64Chars = regexp.MustCompile(`^[A-Za-z0-9+/=]+$`)

// sign gives a payload's base64 text and its signature: the hex
// HMAC-SHA256 of that text under the connect secret.
func (c *connector) sign(p url.Values) (string, string) {
	sso := base64.StdEncoding.EncodeToString([]byte(p.Encode()))
	return sso, hex.EncodeToString(c.mac(sso))
}

func (c *connector) mac(sso string) []byte {
	m := hmac.New(sha256.New, []byte(c.set.secret))
	m.Write([]byte(sso))
	return m.Sum(nil)
}

// request checks the forum's signed request and gives its nonce and where
// the answer goes.
func (c *connector) request(query url.Values) (string, *url.URL, error) {
	sso, sig := query.Get("sso"), query.Get("sig")
	if sso == "" || sig == "" || len(sso) > 4096 || !base64Chars.MatchString(sso) {
		return "", nil, refused("services.discourse.error.request")
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, c.mac(sso)) {
		return "", nil, refused("services.discourse.error.signature")
	}
	raw, err := base64.StdEncoding.DecodeString(sso)
	if err != nil {
		return "", nil, refused("services.discourse.error.request")
	}
	p, err := url.ParseQuery(string(raw))
	nonce := p.Get("nonce")
	if err != nil || nonce == "" || len(nonce) > 256 {
		return "", nil, refused("services.discourse.error.request")
	}
	back, err := url.Parse(p.Get("return_sso_url"))
	if err != nil || !c.ours(back) {
		return "", nil, refused("services.discourse.error.return_url")
	}
	return nonce, back, nil
}

// ours reports whether u is on the configured forum: its scheme, host and
// port, under its path. A signed request naming another place is refused
// all the same: the secret may be shared with a forum that should not
// receive this instance's members.
func (c *connector) ours(u *url.URL) bool {
	b := c.set.base
	if !u.IsAbs() || u.User != nil || !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) || u.Fragment != "" {
		return false
	}
	return u.Path == b.Path || strings.HasPrefix(u.Path, b.Path+"/")
}

// groupsFor gives the forum's names of a want's groups, sorted, once each.
func groupsFor(want services.Want) []string {
	out := make([]string, 0, len(want.Groups))
	for _, g := range want.Groups {
		if n := GroupName(g); n != "" {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return slices.CompactFunc(out, strings.EqualFold)
}

// removals gives the groups among had (names as Keepstar applied them, or
// as the forum has them) that the member no longer gets, leaving those
// the want keeps.
func removals(had, add []string, keep func(string) bool) []string {
	var out []string
	for _, g := range had {
		n := GroupName(g)
		if n == "" || (keep != nil && (keep(g) || keep(n))) || slices.ContainsFunc(add, func(a string) bool { return strings.EqualFold(a, n) }) ||
			slices.ContainsFunc(out, func(a string) bool { return strings.EqualFold(a, n) }) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// payload is the answer about a member: never admin or moderator, which
// the forum's own staff give.
func (c *connector) payload(externalID string, want services.Want, add, remove []string) url.Values {
	p := url.Values{
		"external_id":        {externalID},
		"email":              {c.email(externalID)},
		"username":           {Username(want.Name, want.AccountID)},
		"name":               {want.Name},
		"require_activation": {"false"},
		"add_groups":         {strings.Join(add, ",")},
		"remove_groups":      {strings.Join(remove, ",")},
	}
	if id := want.Identity.CharacterID; id > 0 {
		p.Set("avatar_url", fmt.Sprintf(portraitURL, id))
	}
	return p
}

// email is a member's placeholder address: Keepstar holds no member's
// address, and one of a domain of the admin's keeps Discourse from
// matching a member to someone else's forum account by address.
func (c *connector) email(externalID string) string {
	return externalID + "@" + c.set.emailDomain
}

// SSOAnswer answers the forum's sign-in request for a member: the nonce,
// their external id (the account's number when first made, kept after,
// as the account may be merged into another), the placeholder address,
// username, name, avatar and groups. A member first signing in whose
// forum user exists already (they lost access once, and it was
// suspended) is unsuspended, unless the forum's staff suspended them, and
// loses the groups they no longer get.
func (c *connector) SSOAnswer(ctx context.Context, query url.Values, want services.Want, acct services.Account) (string, services.Account, error) {
	nonce, back, err := c.request(query)
	if err != nil {
		return "", services.Account{}, err
	}
	next := acct
	var had []string
	if next.ExternalID == "" {
		next.ExternalID = strconv.FormatInt(want.AccountID, 10)
		next.ExternalName = Username(want.Name, want.AccountID)
		u, err := c.api.byExternal(ctx, next.ExternalID)
		switch {
		case errors.Is(err, errNotFound):
		case err != nil:
			return "", services.Account{}, err
		default:
			next.State, next.ExternalName = strconv.FormatInt(u.ID, 10), u.Username
			if u.suspendedByKeepstar() {
				if err := c.api.unsuspend(ctx, u.ID); err != nil {
					return "", services.Account{}, err
				}
				c.logger.InfoContext(ctx, "discourse user unsuspended", "account", want.AccountID)
			}
			for _, g := range u.Groups {
				if !g.Automatic {
					had = append(had, g.Name)
				}
			}
		}
	} else {
		had = acct.Groups
	}
	add := groupsFor(want)
	if err := c.ensureGroups(ctx, add); err != nil {
		return "", services.Account{}, err
	}
	p := c.payload(next.ExternalID, want, add, removals(had, add, want.Keep))
	p.Set("nonce", nonce)
	sso, sig := c.sign(p)
	q := back.Query()
	q.Set("sso", sso)
	q.Set("sig", sig)
	back.RawQuery = q.Encode()
	return back.String(), next, nil
}

// Apply pushes the member's name and groups with sync_sso: one request,
// whatever changed.
func (c *connector) Apply(ctx context.Context, acct services.Account, want services.Want) (services.Account, error) {
	add := groupsFor(want)
	if err := c.ensureGroups(ctx, add); err != nil {
		return acct, err
	}
	sso, sig := c.sign(c.payload(acct.ExternalID, want, add, removals(acct.Groups, add, want.Keep)))
	u, err := c.api.syncSSO(ctx, sso, sig)
	if err != nil {
		return acct, err
	}
	if u.suspendedByKeepstar() {
		// A removal that failed after suspending, and access came back
		// before it was tried again.
		if err := c.api.unsuspend(ctx, u.ID); err != nil {
			return acct, err
		}
	}
	next := acct
	next.State, next.ExternalName = strconv.FormatInt(u.ID, 10), u.Username
	return next, nil
}

// Remove logs the member out of the forum and suspends them: their posts
// stay, and signing in again with Keepstar lifts the suspension once they
// may use the forum again.
func (c *connector) Remove(ctx context.Context, acct services.Account) error {
	id, err := strconv.ParseInt(acct.State, 10, 64)
	if err != nil || id <= 0 {
		u, err := c.api.byExternal(ctx, acct.ExternalID)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		id = u.ID
	}
	if err := c.api.logOut(ctx, id); errors.Is(err, errNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	err = c.api.suspend(ctx, id, c.now().AddDate(suspendFor, 0, 0), suspendReason)
	if errors.Is(err, errNotFound) {
		return nil
	}
	return err
}

// Groups lists the forum's groups that are not automatic.
func (c *connector) Groups(ctx context.Context) ([]string, error) {
	return c.api.groups(ctx)
}

// JoinURL starts a sign-in on the forum, which comes to Keepstar and
// back.
func (c *connector) JoinURL(services.Account) string {
	return c.set.base.String() + "/session/sso"
}

// ensureGroups makes the wanted groups the forum lacks, when the instance
// says so (Discourse ignores a group it does not have). The forum's list
// is read again when a wanted group is missing from it and it is older
// than groupsFresh, or was never read.
func (c *connector) ensureGroups(ctx context.Context, names []string) error {
	if !c.set.createGroups || len(names) == 0 {
		return nil
	}
	c.creating.Lock()
	defer c.creating.Unlock()
	missing := c.missing(names)
	if len(missing) == 0 {
		return nil
	}
	c.mu.Lock()
	stale := c.known == nil || c.now().Sub(c.knownAt) > groupsFresh
	c.mu.Unlock()
	if stale {
		list, err := c.api.groups(ctx)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.known, c.knownAt = map[string]bool{}, c.now()
		for _, g := range list {
			c.known[strings.ToLower(g)] = true
		}
		c.mu.Unlock()
		missing = c.missing(names)
	}
	for _, g := range missing {
		err := c.api.createGroup(ctx, g)
		var api *APIError
		if errors.As(err, &api) && api.Status == http.StatusUnprocessableEntity {
			// Taken meanwhile (or a user's name): nothing to make.
			c.logger.WarnContext(ctx, "discourse group not made", "group", g, "error", err)
		} else if err != nil {
			return err
		} else {
			c.logger.InfoContext(ctx, "discourse group made", "group", g)
		}
		c.mu.Lock()
		c.known[strings.ToLower(g)] = true
		c.mu.Unlock()
	}
	return nil
}

func (c *connector) missing(names []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range names {
		if !c.known[strings.ToLower(n)] {
			out = append(out, n)
		}
	}
	return out
}

// Check tells admins whether the admin key works (the forum's group list
// is read with it) and, when Keepstar does not make groups, which managed
// groups the forum lacks (it ignores them).
func (c *connector) Check(ctx context.Context, managed []string) ([]services.Problem, error) {
	list, err := c.api.groups(ctx)
	var api *APIError
	if errors.As(err, &api) && (api.Status == http.StatusForbidden || api.Status == http.StatusUnauthorized) {
		return []services.Problem{{Message: "services.discourse.problem.key_refused", Args: map[string]any{"User": c.set.apiUsername}}}, nil
	}
	if err != nil {
		return nil, err
	}
	if c.set.createGroups {
		return nil, nil
	}
	have := map[string]bool{}
	for _, g := range list {
		have[strings.ToLower(g)] = true
	}
	var out []services.Problem
	for _, m := range managed {
		if n := GroupName(m); n != "" && !have[strings.ToLower(n)] {
			out = append(out, services.Problem{Message: "services.discourse.problem.group_missing", Args: map[string]any{"Group": n}})
		}
	}
	return out, nil
}
