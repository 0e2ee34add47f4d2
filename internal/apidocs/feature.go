package apidocs

import (
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Feature is the API documents: the OpenAPI files and the page reading
// them.
func Feature() feature.Feature {
	return feature.Feature{
		Name:   "apidocs",
		Routes: Mount,
		Menu:   []web.MenuItem{{Section: web.MenuMain, Label: "apidocs.nav.api", Path: PagePath, Access: menuAccess}},
	}
}
