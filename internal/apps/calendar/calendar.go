package calendar

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// name is the feature's name.
const name = "calendar"

// Events gives the events a member may see now: every feature's
// (feature.Set.Calendar).
type Events func(ctx context.Context, v *web.Viewer) ([]feature.Event, error)

// Calendar is the feature.
type Calendar struct {
	db      *store.DB
	events  Events
	baseURL string
	site    string
	logger  *slog.Logger
	now     func() time.Time
}

// New builds the feature over the core; events are the other features'
// (the composition root hands it the feature set's Calendar).
func New(c *core.Core, events Events) feature.Feature {
	cal := &Calendar{db: c.DB, events: events, baseURL: c.Config.BaseURL.String(), site: c.Config.SiteName,
		logger: c.Logger, now: time.Now}
	return feature.Feature{
		// The messages are loaded with the core's (internal/app's
		// locales): the feature is built there, not as a plugin.
		Name:   name,
		Routes: cal.mount,
		// A member's own link, beside their sessions and preferences.
		Menu:  []web.MenuItem{{Section: web.MenuUser, Label: "calendar.nav", Path: "/calendar", Access: web.LoggedIn}},
		Hooks: feature.Hooks{MergeAccounts: mergeAccounts},
	}
}

// mergeAccounts drops the loser's link: its secret was the loser's, and
// the winner keeps their own.
func mergeAccounts(ctx context.Context, q store.Querier, _, loser int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM calendar_feeds WHERE account_id = $1`, loser); err != nil {
		return fmt.Errorf("calendar: merge: %w", err)
	}
	return nil
}

// hash is what is stored of a secret.
func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Renew makes a member a new secret, replacing their old one (whose link
// then stops working), and gives it.
func (c *Calendar) Renew(ctx context.Context, accountID int64) (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	secret := base64.RawURLEncoding.EncodeToString(buf)
	_, err := c.db.Exec(ctx, `INSERT INTO calendar_feeds (account_id, secret_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET secret_hash = excluded.secret_hash, created_at = excluded.created_at`,
		accountID, hash(secret), c.now().UTC())
	if err != nil {
		return "", fmt.Errorf("calendar: renew: %w", err)
	}
	return secret, nil
}

// Remove deletes a member's link.
func (c *Calendar) Remove(ctx context.Context, accountID int64) error {
	if _, err := c.db.Exec(ctx, `DELETE FROM calendar_feeds WHERE account_id = $1`, accountID); err != nil {
		return fmt.Errorf("calendar: remove: %w", err)
	}
	return nil
}

// Made gives when a member's link was made, zero without one.
func (c *Calendar) Made(ctx context.Context, accountID int64) (time.Time, error) {
	var at time.Time
	err := c.db.QueryRow(ctx, `SELECT created_at FROM calendar_feeds WHERE account_id = $1`, accountID).Scan(&at)
	if errors.Is(err, store.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("calendar: %w", err)
	}
	return at, nil
}

// ErrUnknown: no active member has this secret.
var ErrUnknown = errors.New("calendar: unknown link")

// ViewerOf gives the member a secret belongs to, as a page would see them
// (superuser, permissions, main), read now.
func (c *Calendar) ViewerOf(ctx context.Context, secret string) (*web.Viewer, error) {
	if secret == "" || len(secret) > 100 {
		return nil, ErrUnknown
	}
	v := &web.Viewer{}
	var active bool
	err := c.db.QueryRow(ctx, `SELECT a.id, a.name, a.active, a.superuser, COALESCE(m.id, 0)
		FROM calendar_feeds f JOIN accounts a ON a.id = f.account_id
		LEFT JOIN characters m ON m.account_id = a.id AND m.main
		WHERE f.secret_hash = $1`, hash(secret)).Scan(&v.AccountID, &v.Name, &active, &v.Superuser, &v.MainID)
	if errors.Is(err, store.ErrNoRows) || err == nil && !active {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	v.CharacterID = v.MainID
	if v.Permissions, err = access.PermissionsOf(ctx, c.db, v.AccountID); err != nil {
		return nil, err
	}
	return v, nil
}

// Feed writes the iCalendar feed of the member a secret belongs to.
func (c *Calendar) Feed(ctx context.Context, secret string) (string, error) {
	v, err := c.ViewerOf(ctx, secret)
	if err != nil {
		return "", err
	}
	events, err := c.events(ctx, v)
	if err != nil {
		return "", err
	}
	slices.SortStableFunc(events, func(a, b feature.Event) int { return a.Start.Compare(b.Start) })
	var b strings.Builder
	writeFeed(&b, c.site, events, c.baseURL, c.now())
	return b.String(), nil
}

// mount adds the page and the feed.
func (c *Calendar) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{c: c, srv: srv, pages: pages}
	srv.Handle("GET /calendar", web.LoggedIn, http.HandlerFunc(h.show))
	srv.Handle("POST /calendar/renew", web.LoggedIn, http.HandlerFunc(h.renew))
	srv.Handle("POST /calendar/remove", web.LoggedIn, http.HandlerFunc(h.remove))
	// The feed is fetched by calendar programs, which carry no session:
	// the secret in the path is the member's proof.
	srv.HandleAPI("GET /calendar/feed/{file}", web.Public, http.HandlerFunc(h.feed))
	// The link is the member's secret: the log keeps the route alone.
	srv.HidePath("GET /calendar/feed/{file}")
	return nil
}

type handlers struct {
	c     *Calendar
	srv   *web.Server
	pages *web.Pages
}

// page is the data of calendar.html.
type page struct {
	Made time.Time
	// Link is a link just made, shown this once.
	Link string
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "")
}

func (h *handlers) render(w http.ResponseWriter, r *http.Request, link string) {
	v := web.ViewerFrom(r.Context())
	made, err := h.c.Made(r.Context(), v.AccountID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "page.html", http.StatusOK, "calendar.title", page{Made: made, Link: link})
}

func (h *handlers) renew(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	secret, err := h.c.Renew(r.Context(), v.AccountID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.c.logger.InfoContext(r.Context(), "calendar link renewed", "account", v.AccountID)
	// Shown on this answer only: the site keeps the hash alone. The
	// answer is not cached.
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, strings.TrimRight(h.c.baseURL, "/")+"/calendar/feed/"+secret+".ics")
}

func (h *handlers) remove(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	if err := h.c.Remove(r.Context(), v.AccountID); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "calendar.removed")
	http.Redirect(w, r, "/calendar", http.StatusSeeOther)
}

func (h *handlers) feed(w http.ResponseWriter, r *http.Request) {
	secret := strings.TrimSuffix(r.PathValue("file"), ".ics")
	body, err := h.c.Feed(r.Context(), secret)
	switch {
	case errors.Is(err, ErrUnknown):
		http.Error(w, "Not found: this calendar link is unknown or was renewed.", http.StatusNotFound)
	case err != nil:
		h.c.logger.ErrorContext(r.Context(), "calendar feed", "error", err)
		http.Error(w, "The calendar cannot be read now; try again later.", http.StatusServiceUnavailable)
	default:
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Cache-Control", "private, no-cache")
		_, _ = w.Write([]byte(body))
	}
}
