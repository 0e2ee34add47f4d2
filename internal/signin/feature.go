package signin

import (
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is signing in: the home page, the EVE login flows, logging out
// and the member's sessions.
func Feature(deps Deps) feature.Feature {
	return feature.Feature{
		Name: "signin",
		Routes: func(srv *web.Server) error {
			_, err := Mount(srv, deps)
			return err
		},
		Menu: []web.MenuItem{{Section: web.MenuUser, Label: "signin.nav.sessions", Path: "/sessions", Access: web.LoggedIn}},
	}
}
