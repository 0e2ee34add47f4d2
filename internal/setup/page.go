package setup

import (
	"embed"
	"net/http"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Feature is the checklist's page and its entry in the Administration menu,
// for superusers: the checklist speaks of the whole site's configuration.
func Feature(c *Checklist) feature.Feature {
	return feature.Feature{
		Name:   "setup",
		Routes: c.mount,
		Menu:   []web.MenuItem{{Section: web.MenuAdmin, Label: "setup.nav.admin", Path: Path, Access: web.Superusers}},
	}
}

func (c *Checklist) mount(srv *web.Server) error {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	srv.Handle("GET "+Path, web.Superusers, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.Render(w, r, ps, "setup.html", http.StatusOK, "setup.title", c.Status(r.Context()))
	}))
	return nil
}
