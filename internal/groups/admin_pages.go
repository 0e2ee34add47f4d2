package groups

import (
	"context"

	"github.com/keepstar/keepstar/internal/web"
)

// StateList lists the states, for the groups' allowed states
// (*states.Store gives them through a small adapter in the app).
type StateList interface {
	Names(ctx context.Context) (map[int64]string, error)
}

// AdminDeps are what the groups administration uses besides the Store.
type AdminDeps struct {
	States     StateList
	Characters Characters
}

// MountAdmin adds the administration of groups, autogroups and reserved
// names.
func (s *Store) MountAdmin(srv *web.Server, deps AdminDeps) error { return nil }
