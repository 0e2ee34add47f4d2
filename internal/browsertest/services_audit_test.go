package browsertest

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// auditServiceType is the connector type of the audited site: an
// instance's admin page then shows everything it can (settings of each
// kind, the connector's problems and links, the service's groups).
func auditServiceType() services.Type {
	return services.Type{
		Name: "voice", Label: "audit.service.label", Help: "audit.service.help",
		Capabilities: services.Capabilities{Password: true, Groups: true, Nickname: true},
		Settings: []services.Setting{
			{Key: "server", Label: "audit.service.server", Help: "audit.service.server_help", Required: true},
			{Key: "token", Label: "audit.service.token", Secret: true, Required: true},
			{Key: "verbose", Label: "audit.service.verbose", Bool: true},
		},
		DefaultNameFormat: "[{corp_ticker}] {character_name}",
		Open: func(context.Context, services.Instance, services.Env) (services.Connector, error) {
			return auditConnector{}, nil
		},
		Locales: fstest.MapFS{"locales/en.toml": &fstest.MapFile{Data: []byte(`
[audit.service.label]
description = "test"
other = "Voice server"

[audit.service.help]
description = "test"
other = "A voice server of the tests."

[audit.service.server]
description = "test"
other = "Server address"

[audit.service.server_help]
description = "test"
other = "Host and port of the server."

[audit.service.token]
description = "test"
other = "Admin token"

[audit.service.verbose]
description = "test"
other = "Verbose logging"

[audit.service.problem]
description = "test"
other = "The bot cannot manage {{.Role}}."

[audit.service.console]
description = "test"
other = "Open the server's console"
`)}},
	}
}

// auditConnector answers the pages' questions and changes nothing.
type auditConnector struct{}

func (auditConnector) Apply(_ context.Context, a services.Account, _ services.Want) (services.Account, error) {
	return a, nil
}
func (auditConnector) Remove(context.Context, services.Account) error { return nil }
func (auditConnector) Groups(context.Context) ([]string, error) {
	return []string{"Pilots", "Fleet commanders", "Nitro Boosters"}, nil
}
func (auditConnector) Check(context.Context, []string) ([]services.Problem, error) {
	return []services.Problem{{Message: "audit.service.problem", Args: map[string]any{"Role": "Fleet commanders"}}}, nil
}
func (auditConnector) AdminLinks() []services.AdminLink {
	return []services.AdminLink{{Label: "audit.service.console", URL: "https://voice.example/console"}}
}

// setUpServices makes a service with something on each of its admin
// pages (a mapping, a linked account whose last sync failed, lines of the
// audit log, one failed), enabled and offered to the superuser on the
// Services page. It gives the service's short name.
func setUpServices(ctx context.Context, t *testing.T, site *sitetest.Site, f *auditFixtures) string {
	t.Helper()
	svc, err := services.New(services.Options{DB: site.DB, SecretKey: site.Config.SecretKey, Types: []services.Type{auditServiceType()}})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := svc.Create(ctx, services.Input{Type: "voice", Slug: "voice", Name: "Voice comms of the long-range scouting division",
		MapByName: true})
	if err != nil {
		t.Fatal(err)
	}
	// Enabled before any account is linked, so that nothing is queued.
	in := services.Input{Name: inst.Name, Enabled: true, MapByName: true, Unmanaged: []string{"Nitro Boosters"},
		Settings:     map[string]string{"server": "voice.example:64738", "token": "secret"},
		StateFormats: map[int64]string{f.state: "[{alliance_ticker}] {character_name}"},
		Maps:         map[int64]string{f.group: "Fleet commanders", f.requested: ""}}
	if inst, err = svc.Update(ctx, inst.ID, in); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := site.DB.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups, state,
		status, last_error, wanted, synced, last_sync_at, created_at) VALUES ($1, $2, '1001', 'scout_1001', '', '[]', '', 'error',
		'HTTP 403: Missing Permissions (50013)', 0, 0, $3, $3)`, inst.ID, f.mAccount, now); err != nil {
		t.Fatal(err)
	}
	if err := access.SetAccountPermissions(ctx, site.DB, f.mAccount, []string{access.RequestPermission, inst.Permission()}, now); err != nil {
		t.Fatal(err)
	}
	if err := access.SetAccountPermissions(ctx, site.DB, f.suAccount, []string{inst.Permission()}, now); err != nil {
		t.Fatal(err)
	}
	for i, e := range []struct{ action, detail, reason, result string }{
		{"link", "+Fleet commanders", "member", ""},
		{"update", `name: "" → "[SCOUT] Scout"; +Pilots −Logistics`, "group changed", ""},
		{"update", "+Pilots", "verification", "HTTP 403: Missing Permissions (50013)"},
		{"verify", "1 accounts, 0 drifted, 0 gone, 1 syncs queued", "verification", ""},
	} {
		var acct any = f.mAccount
		if e.action == "verify" {
			acct = nil
		}
		if _, err := site.DB.Exec(ctx, `INSERT INTO service_audit (instance_id, account_id, account_name, action, detail, reason, result, at)
			VALUES ($1, $2, COALESCE((SELECT name FROM accounts WHERE id = $2), ''), $3, $4, $5, $6, $7)`, inst.ID, acct, e.action, e.detail,
			e.reason, e.result, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(fmt.Errorf("audit line %d: %w", i, err))
		}
	}
	return inst.Slug
}
