package groups

import (
	"context"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/web"
)

// Characters finds the account of a character typed into a form
// (*accounts.Accounts).
type Characters interface {
	Character(ctx context.Context, id int32) (accounts.Character, error)
	CharacterByName(ctx context.Context, name string) (accounts.Character, error)
}

// PageDeps are what the groups pages use besides the Store.
type PageDeps struct {
	Characters Characters
}

// Mount adds the members' groups pages and the managers' pages.
func (s *Store) Mount(srv *web.Server, deps PageDeps) error { return nil }
