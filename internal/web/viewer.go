package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/keepstar/keepstar/internal/sessions"
)

// Viewer is the logged-in member a request is served to.
type Viewer struct {
	AccountID int64
	// CharacterID is the character the member logged in with.
	CharacterID int32
	// MainID and Name are the account's main character.
	MainID    int32
	Name      string
	Superuser bool
	Roles     []string
	// Permissions are the account's own, its state's and its groups'.
	Permissions []string
	// State names the account's state ("" until first computed).
	State string
	// Language and Theme are the member's choices; empty follows the
	// browser and the site.
	Language string
	Theme    string
}

// HasRole reports whether the viewer holds role; superusers hold all.
func (v *Viewer) HasRole(role string) bool {
	return v != nil && (v.Superuser || slices.Contains(v.Roles, role))
}

// Has reports whether the viewer holds a permission; superusers hold all.
func (v *Viewer) Has(permission string) bool {
	return v != nil && (v.Superuser || slices.Contains(v.Permissions, permission))
}

// ErrNoViewer is what a Viewers answers when a session no longer names a
// member who may be logged in: the character left the account or changed
// hands, or the account was deactivated. The session then ends.
var ErrNoViewer = errors.New("web: the session's member may no longer be logged in")

// Viewers finds the member of a session: the account the character belongs
// to now, as long as the character still has the owner it logged in with.
// internal/accounts implements it.
type Viewers interface {
	Viewer(ctx context.Context, characterID int32, ownerHash string) (*Viewer, error)
}

type viewerKey struct{}

// ViewerFrom gives the logged-in member of a request's context, or nil.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// WithViewer gives a context carrying v, for code that acts for a member
// outside a request (tests).
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// Sessions gives the session manager, for the pages of a member's
// sessions.
func (s *Server) Sessions() *sessions.Manager { return s.deps.Sessions }

// LogIn makes the request's session a login of the character, under a new
// session token (so a token planted before the login is worth nothing after
// it).
func (s *Server) LogIn(ctx context.Context, characterID int32, ownerHash string) error {
	if err := s.deps.Sessions.LogIn(ctx, characterID, ownerHash); err != nil {
		return fmt.Errorf("web: log in: %w", err)
	}
	return nil
}

// LogOut ends the request's session on the server: its row is deleted, so
// the cookie is worth nothing even if kept.
func (s *Server) LogOut(ctx context.Context) error {
	if err := s.deps.Sessions.Destroy(ctx); err != nil {
		return fmt.Errorf("web: end session: %w", err)
	}
	return nil
}

// withViewer finds the session's member, if any, and puts it in the
// request's context. A session whose member may no longer be logged in is
// ended.
func (s *Server) withViewer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		d := s.deps.Sessions.Get(ctx)
		if d.CharacterID == 0 {
			next.ServeHTTP(w, r)
			return
		}
		v, err := s.deps.Viewers.Viewer(ctx, d.CharacterID, d.OwnerHash)
		switch {
		case errors.Is(err, ErrNoViewer):
			if err := s.deps.Sessions.Destroy(ctx); err != nil {
				s.deps.Logger.ErrorContext(ctx, "end session", "error", err)
			}
		case err != nil:
			s.deps.Logger.ErrorContext(ctx, "load the session's member", "error", err)
			s.Fail(w, r, http.StatusServiceUnavailable, "web.error.unavailable")
			return
		default:
			r = r.WithContext(WithViewer(ctx, v))
		}
		next.ServeHTTP(w, r)
	})
}
