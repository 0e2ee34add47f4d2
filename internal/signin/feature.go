package signin

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// DevelopersURL is EVE's developers site, where applications are
// registered.
const DevelopersURL = "https://developers.eveonline.com/applications"

// Feature is signing in: the home page, the EVE login flows, logging out
// and the member's sessions; and the setup checklist's items on the EVE
// application.
func Feature(deps Deps) feature.Feature {
	return feature.Feature{
		Name: "signin",
		Routes: func(srv *web.Server) error {
			_, err := Mount(srv, deps)
			return err
		},
		Menu: []web.MenuItem{{Section: web.MenuUser, Label: "signin.nav.sessions", Path: "/sessions", Access: web.LoggedIn}},
		Setup: []feature.SetupStep{
			{ID: "eve-application", Label: "signin.setup.application", Help: "signin.setup.application_help",
				Link: DevelopersURL, Copy: deps.CallbackURL, CopyLabel: "signin.setup.callback_url",
				Done: func(context.Context) (bool, error) { return deps.SSO != nil, nil }},
			{ID: "test-login", Label: "signin.setup.test_login", Help: "signin.setup.test_login_help", Link: "/characters",
				Done: func(ctx context.Context) (bool, error) { return SomeoneLoggedIn(ctx, deps.DB) }},
		},
	}
}

// SomeoneLoggedIn reports whether a character has logged in through EVE's
// SSO: the EVE application works end to end.
func SomeoneLoggedIn(ctx context.Context, q store.Querier) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM characters WHERE last_login_at IS NOT NULL)`).Scan(&ok); err != nil {
		return false, fmt.Errorf("signin: someone logged in: %w", err)
	}
	return ok, nil
}
