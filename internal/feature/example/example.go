// Package example is the worked example of docs/development.md, "Adding a
// feature": a small feature with a setting, a permission, a page with its
// access rule and menu entry, a scheduled job and its own translations,
// plugged in with one line. Only tests register it (internal/app's access
// matrix, cmd/keepstar's jobs list), so the guide stays true and the
// shipped binary does not carry it.
//
// The feature is a bulletin: a text the administrators write on the
// settings page, shown to the members holding example.read, with the
// number of accounts the job counted at its last run.
package example

import (
	"context"
	"embed"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/web"
)

// SettingText is the bulletin's text, set on the settings page.
var SettingText = settings.Definition{Name: "example.text", Section: "example.settings.section", Kind: settings.KindText,
	Default: "", MaxLen: 200, Label: "example.settings.text", Help: "example.settings.text_help"}

// PermissionRead lets a member read the bulletin.
var PermissionRead = feature.Permission{Name: "example.read", Label: "example.permission.read"}

// readAccess admits holders of example.read (and superusers).
var readAccess = web.Permission(PermissionRead.Name)

//go:embed templates
var templates embed.FS

// Locales are the feature's translations, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// CountArgs is the job counting the accounts.
type CountArgs struct{}

// Kind names the job in the queue and in `keepstar jobs list`.
func (CountArgs) Kind() string { return "example_count" }

// Bulletin is the feature's state: what the last run of the job counted.
type Bulletin struct {
	c       *core.Core
	counted atomic.Int64
}

// New is the feature's constructor, the one line in the composition root:
// app.Constructor(example.New).
func New(c *core.Core) (feature.Feature, error) {
	b := &Bulletin{c: c}
	b.counted.Store(-1)
	return feature.Feature{
		Name:        "example",
		Settings:    []settings.Definition{SettingText},
		Permissions: []feature.Permission{PermissionRead},
		Locales:     Locales,
		Routes:      b.mount,
		Menu:        []web.MenuItem{{Section: web.MenuApps, Label: "example.nav", Path: "/example", Access: readAccess}},
		Jobs: func(reg *jobs.Registry) {
			jobs.Add(reg, &countWorker{b: b})
			reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return CountArgs{} }, Every: 24 * time.Hour,
				Priority: 4, Summary: "Count the accounts for the example bulletin.",
				Label: "example.job.count", Help: "example.job.count_help"})
		},
	}, nil
}

func (b *Bulletin) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	srv.Handle("GET /example", readAccess, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values, err := b.c.Settings.Current(r.Context())
		if err != nil {
			srv.Internal(w, r, err)
			return
		}
		srv.Render(w, r, pages, "bulletin.html", http.StatusOK, "example.title",
			bulletinPage{Text: values.String(SettingText), Counted: b.counted.Load()})
	}))
	return nil
}

// bulletinPage is the data of bulletin.html; Counted is -1 before the
// job's first run in this process.
type bulletinPage struct {
	Text    string
	Counted int64
}

type countWorker struct {
	river.WorkerDefaults[CountArgs]
	b *Bulletin
}

func (w *countWorker) Work(ctx context.Context, job *river.Job[CountArgs]) error {
	var n int64
	if err := w.b.c.DB.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
		return err
	}
	w.b.counted.Store(n)
	return nil
}
