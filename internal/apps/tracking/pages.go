package tracking

import "github.com/keepstar/keepstar/internal/web"

func (t *Tracking) mount(srv *web.Server) error { return nil }
