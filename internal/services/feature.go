package services

import (
	"context"
	"embed"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Locales are the framework's messages, locales/<lang>.toml.
//
//go:embed locales/*.toml
var Locales embed.FS

// AdminAccess admits those who configure the services: the service-admin
// role (Neucore's) and superusers.
var AdminAccess = web.Role(access.RoleServiceAdmin)

// workers is how many service jobs run at once in one process: they
// mostly wait on the services' limits, which they share.
const workers = 4

// verifyEvery is how often every instance is verified, by default.
const verifyEvery = 6 * time.Hour

// TypeConstructor gives a connector type; the composition root lists
// them, one line per connector package.
type TypeConstructor func() Type

// Family is the instances' access permissions, services.<slug>.access,
// for the permission catalogue.
func (s *Services) Family() access.Family {
	return access.Family{Prefix: "services.", Suffix: ".access", List: s.permissions}
}

// Feature is the services as a feature: the members' Services page, the
// admins' pages, the sync and verification jobs, the hooks that queue
// syncs, the metrics and the setup checklist's item.
func (s *Services) Feature() feature.Feature {
	// The framework's messages and its connectors' are the core's
	// (internal/app, locales.go).
	return feature.Feature{
		Name:   "services",
		Roles:  []string{access.RoleServiceAdmin},
		Routes: s.mount,
		Menu: []web.MenuItem{
			{Section: web.MenuServices, Label: "services.nav.services", Path: "/services", Access: web.LoggedIn},
			{Section: web.MenuAdmin, Label: "services.nav.admin", Path: "/admin/services", Access: AdminAccess},
		},
		Jobs: func(reg *jobs.Registry) {
			reg.AddQueue(queueName, workers)
			jobs.Add(reg, &syncWorker{s: s})
			jobs.Add(reg, &verifyWorker{s: s})
			reg.Schedule(jobs.Periodic{Args: func() river.JobArgs { return VerifyArgs{} }, Every: verifyEvery, Priority: 3,
				Summary: "Verify every service: read its accounts back, repair drift, retry what failed.",
				Label:   "services.job.verify", Help: "services.job.verify_help"})
		},
		Metrics: []prometheus.Collector{s.metrics},
		Run:     s.Run,
		Hooks:   feature.Hooks{AccountsChanged: s.follow, MergeAccounts: s.merge},
		Setup: []feature.SetupStep{{ID: "service", Label: "services.setup.service", Help: "services.setup.service_help",
			Link: "/admin/services", Done: s.anyEnabled}},
		Cards: s.Cards,
	}
}

// permissions are the instances' access permissions, for the pages that
// grant permissions.
func (s *Services) permissions(ctx context.Context) []access.Permission {
	list, err := s.inst.List(ctx)
	if err != nil {
		s.logger.ErrorContext(ctx, "list the services' permissions", "error", err)
		return nil
	}
	out := make([]access.Permission, 0, len(list))
	for _, inst := range list {
		out = append(out, access.Permission{Name: inst.Permission(), Label: "services.permission.access"})
	}
	return out
}

// anyEnabled reports whether a service is connected: the setup checklist's
// item.
func (s *Services) anyEnabled(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM service_instances WHERE enabled)`).Scan(&ok); err != nil {
		return false, fmt.Errorf("services: %w", err)
	}
	return ok, nil
}

// merge moves the loser's service accounts to the winner where the winner
// has none on that instance; where both have one, the loser's access is
// taken away on the service by a sync (it no longer has an account to be
// allowed by).
func (s *Services) merge(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE service_accounts SET account_id = $1, wanted = wanted + 1 WHERE account_id = $2
		AND instance_id NOT IN (SELECT instance_id FROM service_accounts WHERE account_id = $1)`, winner, loser); err != nil {
		return fmt.Errorf("services: merge %d into %d: %w", loser, winner, err)
	}
	names := make([]string, 0, len(s.types))
	for name := range s.types {
		names = append(names, name)
	}
	slices.Sort(names) // one order for every merge
	for _, name := range names {
		if h := s.types[name].MergeAccounts; h != nil {
			if err := h(ctx, q, winner, loser); err != nil {
				return fmt.Errorf("services: merge %d into %d (%s): %w", loser, winner, name, err)
			}
		}
	}
	return nil
}
