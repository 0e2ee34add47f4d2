package services

import "github.com/keepstar/keepstar/internal/web"

// mountAdmin adds the administrators' pages.
func (s *Services) mountAdmin(srv *web.Server, pages *web.Pages) error {
	return nil
}
