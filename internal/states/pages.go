package states

import "github.com/keepstar/keepstar/internal/web"

// Mount adds the administration of states.
func (s *Store) Mount(srv *web.Server) error { return nil }
