// Package core holds the services every feature builds on: the database,
// settings, accounts, the access engine, groups and states, the EVE
// clients, notifications and the job queue. The composition root
// (internal/app) builds one Core per process and hands it to the features
// that need it; a feature's constructor takes *Core and returns its
// feature.Feature (see docs/development.md, "Adding a feature").
//
// The packages Core names are themselves features and cannot import this
// package; features built on top of them (services, apps) can.
package core

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
)

// Core is the services of one Keepstar process, built once from the
// configuration and shared by the web server and the job workers.
type Core struct {
	Config        *config.Config
	Logger        *slog.Logger
	DB            *store.DB
	Settings      *settings.Store
	Sessions      *sessions.Manager
	Tokens        *tokens.Store
	Logins        *logins.Store
	Notifications *notifications.Store
	Accounts      *accounts.Accounts
	Directory     *affiliations.Directory
	// Names finds EVE entities by their names, for the forms that name
	// them.
	Names       *names.Resolver
	ESI         *esi.Client
	SSO         *sso.Client    // nil without an EVE application
	TokenSource *tokens.Source // nil without an EVE application
	Permissions *access.Catalogue
	// Roles are the account roles the features declared, those the pages
	// offer (access.RoleSet).
	Roles      *access.RoleSet
	Recomputer *access.Recomputer
	Groups     *groups.Store
	States     *states.Store
	// Queue takes the jobs features insert, in the transaction of the
	// data they act on.
	// Services grant and revoke access on Discord, Mumble and the rest.
	Services *services.Services
	Queue    *Queue
}

// Queue is the job queue, known only once it is built: building it needs
// every feature's workers, which need the Core.
type Queue struct{ Q *jobs.Queue }

// InsertTx inserts a job in tx.
func (r *Queue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if r.Q == nil {
		return nil, errors.New("core: the job queue is not ready")
	}
	return r.Q.InsertTx(ctx, tx, args, opts)
}

// RunNow queues a scheduled job at once (the operations page's "run now").
// InsertManyTx queues many jobs in tx (jobs.Queue.InsertManyTx).
func (r *Queue) InsertManyTx(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if r.Q == nil {
		return nil, errors.New("core: the job queue is not ready")
	}
	return r.Q.InsertManyTx(ctx, tx, params)
}

// RetryTx makes a job waiting for its time available at once, in tx
// (jobs.Queue.RetryTx).
func (r *Queue) RetryTx(ctx context.Context, tx *store.Tx, id int64) (*rivertype.JobRow, error) {
	if r.Q == nil {
		return nil, errors.New("core: the job queue is not ready")
	}
	return r.Q.RetryTx(ctx, tx, id)
}

func (r *Queue) RunNow(ctx context.Context, kind string) (int64, bool, error) {
	if r.Q == nil {
		return 0, false, errors.New("core: the job queue is not ready")
	}
	return r.Q.RunNow(ctx, kind)
}
