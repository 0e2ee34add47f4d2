package hr

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// name is the feature's name, the prefix of its permissions.
const name = "hr"

// The permissions: managing the forms (Alliance Auth leaves it to its
// admin site), and reviewing, Alliance Auth's auth.human_resources (for
// one's main's corporation) and its superuser view given as a permission.
var (
	PermissionManage    = feature.Permission{Name: name + ".manage_forms", Label: "hr.permission.manage_forms"}
	PermissionReview    = feature.Permission{Name: name + ".review", Label: "hr.permission.review"}
	PermissionReviewAll = feature.Permission{Name: name + ".review_all", Label: "hr.permission.review_all"}
)

// Permissions are the feature's, in the order the pages list them.
var Permissions = []feature.Permission{PermissionManage, PermissionReview, PermissionReviewAll}

var (
	manageAccess = web.Permission(PermissionManage.Name)
	reviewAccess = web.Permission(PermissionReview.Name, PermissionReviewAll.Name)
)

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// HR is the feature's engine.
type HR struct {
	db     *store.DB
	esi    *esi.Client
	notify *notifications.Store
	now    func() time.Time
}

// Deps are what HR needs, for tests that build it without a site.
type Deps struct {
	DB     *store.DB
	ESI    *esi.Client          // nil: no corporation history shown
	Notify *notifications.Store // nil: nobody told
	Now    func() time.Time
}

// NewHR builds the engine.
func NewHR(d Deps) *HR {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &HR{db: d.DB, esi: d.ESI, notify: d.Notify, now: d.Now}
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.Notifications == nil {
		return feature.Feature{}, errors.New("hr: the notifications are not built")
	}
	h := NewHR(Deps{DB: c.DB, ESI: c.ESI, Notify: c.Notifications})
	return feature.Feature{
		Name:        name,
		Permissions: Permissions,
		Locales:     Locales,
		Routes:      h.mount,
		// The applicant's page is in the member's own menu (every account
		// applies, as fat's own page); the Apps menu holds the officers'.
		Menu: []web.MenuItem{
			{Section: web.MenuUser, Label: "hr.nav", Path: "/hr", Access: web.LoggedIn},
			{Section: web.MenuApps, Label: "hr.nav_review", Path: "/hr/review", Access: reviewAccess},
			{Section: web.MenuApps, Label: "hr.nav_forms", Path: "/hr/forms", Access: manageAccess},
		},
		Hooks: feature.Hooks{MergeAccounts: mergeAccounts},
	}, nil
}

// mergeAccounts gives the winner the loser's applications; where both
// have one pending to the same form, the loser's is withdrawn first;
// the loser's claims and comments become the winner's.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `DELETE FROM hr_applications WHERE account_id = $2 AND status = 'pending'
		AND form_id IN (SELECT form_id FROM hr_applications WHERE account_id = $1 AND status = 'pending')`, winner, loser); err != nil {
		return fmt.Errorf("hr: merge accounts: %w", err)
	}
	for _, stmt := range []string{
		`UPDATE hr_applications SET account_id = $1 WHERE account_id = $2`,
		`UPDATE hr_applications SET reviewer_id = $1 WHERE reviewer_id = $2`,
		`UPDATE hr_comments SET author_id = $1 WHERE author_id = $2`,
	} {
		if _, err := q.Exec(ctx, stmt, winner, loser); err != nil {
			return fmt.Errorf("hr: merge accounts: %w", err)
		}
	}
	return nil
}
