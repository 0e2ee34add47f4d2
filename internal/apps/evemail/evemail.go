package evemail

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// name is the feature's name, the prefix of its settings and messages.
const name = "evemail"

//go:embed templates
var templates embed.FS

// Locales are the feature's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// Poster sends an ESI POST: *esi.Client, with the core.mail token.
type Poster interface {
	Post(ctx context.Context, req esi.Request) (*esi.Response, error)
}

// Inserter queues jobs in the transaction of the mails they send
// (*core.Queue, *jobs.Queue).
type Inserter interface {
	InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Deps are what the mailer is built on.
type Deps struct {
	DB       *store.DB
	ESI      Poster
	Settings *settings.Store
	Queue    Inserter
	// Members tells of tracked members without an account, for the
	// missing-character mail (TrackedMembers); nil: that mail is not sent.
	Members Members
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
}

// Mailer is the feature.
type Mailer struct {
	d Deps
}

// NewMailer builds the mailer over its dependencies.
func NewMailer(d Deps) *Mailer {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Mailer{d: d}
}

// New is the feature's constructor, its line in internal/app's plugins.
func New(c *core.Core) (feature.Feature, error) {
	if c.ESI == nil {
		return feature.Feature{}, errors.New("evemail: the ESI client is not built")
	}
	m := NewMailer(Deps{DB: c.DB, ESI: c.ESI, Settings: c.Settings, Queue: c.Queue, Members: TrackedMembers{DB: c.DB}, Logger: c.Logger})
	return m.Feature(), nil
}

// Access admits holders of the settings role (and superusers): Neucore
// gives the mail settings and the core.mail login to them.
var Access = web.Role(access.RoleSettings)

// Feature is what the mailer brings.
func (m *Mailer) Feature() feature.Feature {
	return feature.Feature{
		Name:     name,
		Settings: Settings,
		Roles:    []string{access.RoleSettings},
		Logins:   []string{logins.Mail},
		Locales:  Locales,
		Routes:   m.mount,
		Menu:     []web.MenuItem{{Section: web.MenuAdmin, Label: "evemail.nav", Path: "/admin/evemail", Access: Access}},
		Jobs:     m.jobs,
		Hooks:    feature.Hooks{MergeAccounts: mergeAccounts},
	}
}

func (m *Mailer) jobs(reg *jobs.Registry) {
	jobs.Add(reg, &sendWorker{m: m})
	jobs.Add(reg, &invalidWorker{m: m})
	jobs.Add(reg, &missingWorker{m: m})
	// After the token check's runs (every ten minutes), as Neucore runs
	// send-invalid-token-mail after check-tokens.
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return InvalidTokenArgs{} }, Every: 30 * time.Minute, Priority: 3,
		Summary: "Queue the invalid-token EVE mail for accounts with invalid tokens; reset it for accounts whose tokens are all valid again.",
		Label:   "evemail.job.invalid", Help: "evemail.job.invalid_help"})
	reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return MissingCharacterArgs{} }, Every: time.Hour, Priority: 3,
		Summary: "Queue the missing-character EVE mail for tracked members without an account.",
		Label:   "evemail.job.missing", Help: "evemail.job.missing_help"})
}

// mergeAccounts drops the loser's invalid-token flag: the winner's tokens
// decide whether the merged account is mailed again.
func mergeAccounts(ctx context.Context, q store.Querier, _, loser int64) error {
	_, err := q.Exec(ctx, `DELETE FROM evemail_invalid_token WHERE account_id = $1`, loser)
	return err
}
