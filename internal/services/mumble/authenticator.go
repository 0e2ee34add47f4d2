package mumble

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/services/mumble/ice"
	"github.com/keepstar/keepstar/internal/services/mumble/murmur"
)

// answerTimeout bounds the database read behind one answer to murmurd:
// murmurd's whole server waits for it, so a slow database refuses the
// login (AuthUnavailable) rather than stalling every user.
const answerTimeout = time.Second

// superUser is murmurd's own administrator, always left to murmurd.
const superUser = "SuperUser"

// authenticator answers murmurd's questions from mumble_users.
type authenticator struct {
	users       *users
	allowGuests bool
	logger      *slog.Logger
}

var _ murmur.Authenticator = (*authenticator)(nil)

// Authenticate checks a login: one indexed read and a keyed hash. A name
// Keepstar does not know is refused unless the instance lets guests
// through to murmurd; SuperUser always goes to murmurd.
func (a *authenticator) Authenticate(ctx context.Context, name, pw, _ string, _ bool) (int, string, []string) {
	if strings.EqualFold(name, superUser) {
		return murmur.AuthUnknown, "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	u, err := a.users.byName(ctx, name)
	switch {
	case errors.Is(err, errNoUser):
		if a.allowGuests {
			return murmur.AuthUnknown, "", nil
		}
		return murmur.AuthRefused, "", nil
	case err != nil:
		a.logger.ErrorContext(ctx, "mumble: a login could not be checked; refused", "error", err)
		return murmur.AuthUnavailable, "", nil
	}
	if !a.users.verify(u, pw) && !a.users.verifyRegroup(u, pw) {
		return murmur.AuthRefused, "", nil
	}
	return u.ID, u.DisplayName, u.Groups
}

// GetInfo gives a user's name as murmurd shows it.
func (a *authenticator) GetInfo(ctx context.Context, id int) (murmur.UserInfo, bool) {
	u, ok := a.byID(ctx, id)
	if !ok {
		return nil, false
	}
	return murmur.UserInfo{murmur.UserName: u.DisplayName}, true
}

// NameToID finds a user by login name (murmurd asks when an admin names a
// user, in an ACL say).
func (a *authenticator) NameToID(ctx context.Context, name string) int {
	if strings.EqualFold(name, superUser) {
		return murmur.AuthUnknown
	}
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	u, err := a.users.byName(ctx, name)
	if err != nil {
		return murmur.AuthUnknown
	}
	return u.ID
}

// IDToName gives a user's display name.
func (a *authenticator) IDToName(ctx context.Context, id int) string {
	u, ok := a.byID(ctx, id)
	if !ok {
		return ""
	}
	return u.DisplayName
}

// IDToTexture gives no avatar: murmurd keeps the member's own. (Alliance
// Auth can serve EVE portraits; that needs CCP's image server at login
// time, which murmurd would wait on.)
func (a *authenticator) IDToTexture(context.Context, int) []byte { return nil }

func (a *authenticator) byID(ctx context.Context, id int) (user, bool) {
	if id < userIDOffset {
		return user{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, answerTimeout)
	defer cancel()
	u, err := a.users.byID(ctx, id)
	if err != nil {
		if !errors.Is(err, errNoUser) {
			a.logger.WarnContext(ctx, "mumble: read a user for murmurd", "user", id, "error", err)
		}
		return user{}, false
	}
	return u, true
}

// forceExternalAuth is murmurd's setting (1.3 on) that refuses every login
// while no authenticator answers, instead of trying murmurd's own users
// and letting guests in.
const forceExternalAuth = "forceExternalAuth"

// reregisterEvery is how often the authenticator is registered again while
// the connection to murmurd lasts: murmurd drops an authenticator whose
// call failed once (a listener restarted, a timeout), and says nothing.
const reregisterEvery = 30 * time.Second

// redialPause bounds the wait between attempts to reach murmurd.
const redialPause = 30 * time.Second

// Run serves the authenticator and keeps it registered with murmurd until
// ctx ends.
func (c *connector) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", c.set.callbackListen)
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	proxy := ice.Proxy{Identity: ice.Identity{Name: "keepstar-" + c.slug, Category: "authenticator"},
		Endpoints: []ice.TCPEndpoint{{Host: c.set.callbackHost, Port: int32(port), Timeout: 60000}}}
	auth := &authenticator{users: c.users, allowGuests: c.set.allowGuests, logger: c.logger}

	// The servant answers for the Slice module murmurd speaks, known
	// once it has answered; the listener accepts meanwhile (murmurd calls
	// only once it is registered).
	serving := false
	serveDone := make(chan error, 1)
	defer func() {
		if !serving {
			ln.Close()
			return
		}
		<-serveDone
	}()
	pause := time.Second
	for {
		meta, srv, err := c.dial(ctx)
		if err == nil && !serving {
			servant := murmur.Servant(meta.Module(), c.set.secret, auth, c.logger)
			serving = true
			go func() { serveDone <- servant.Serve(ctx, ln) }()
		}
		if err == nil {
			err = c.register(ctx, srv, proxy, port)
		}
		if err == nil {
			pause = time.Second
			err = c.keepRegistered(ctx, meta, srv, proxy)
		}
		if meta != nil {
			meta.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		c.logger.WarnContext(ctx, "mumble: the authenticator is not registered; trying again", "in", pause, "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pause):
		}
		pause = min(2*pause, redialPause)
	}
}

// register makes Keepstar the virtual server's authenticator, with logins
// refused whenever it does not answer.
func (c *connector) register(ctx context.Context, srv *murmur.Server, proxy ice.Proxy, port int) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := srv.SetConf(ctx, forceExternalAuth, "true"); err != nil {
		return classify(err)
	}
	if err := srv.SetAuthenticator(ctx, proxy); err != nil {
		return classify(err)
	}
	c.logger.InfoContext(ctx, "mumble: authenticator registered", "server", c.set.serverID,
		"callback", net.JoinHostPort(c.set.callbackHost, strconv.Itoa(port)))
	return nil
}

// keepRegistered registers again every reregisterEvery until the
// connection to murmurd is lost (murmurd stopped or restarted) or ctx
// ends.
func (c *connector) keepRegistered(ctx context.Context, meta *murmur.Meta, srv *murmur.Server, proxy ice.Proxy) error {
	t := time.NewTicker(reregisterEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-meta.Done():
			return errors.New("the connection to murmurd was lost")
		case <-t.C:
			callCtx, cancel := context.WithTimeout(ctx, callTimeout)
			err := srv.SetAuthenticator(callCtx, proxy)
			cancel()
			if err != nil {
				return classify(err)
			}
		}
	}
}
