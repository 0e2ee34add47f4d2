package demo

import (
	"context"
	"crypto/rand"
	"net"

	"github.com/keepstar/keepstar/internal/openfiresim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/store"
)

// DefaultOpenfireListen is where the demo's simulated Openfire (its REST
// API and its page) listens unless taken.
const DefaultOpenfireListen = "127.0.0.1:8084"

// OpenfireSlug is the demo's XMPP service instance; OpenfireDomain its
// XMPP domain.
const (
	OpenfireSlug   = "xmpp"
	OpenfireDomain = "openfire.demo"
)

// ListenOpenfire listens for the simulated Openfire on listen
// (DefaultOpenfireListen, or a free port when that is taken, if empty).
func ListenOpenfire(listen string) (net.Listener, error) {
	return listenFor("-openfire-listen", listen, DefaultOpenfireListen)
}

// NewOpenfire makes the simulated Openfire of this run, with a REST API
// secret key of its own.
func NewOpenfire() (*openfiresim.Server, string) {
	secret := rand.Text()
	return openfiresim.New(secret, OpenfireDomain), secret
}

// SeedOpenfire makes, or points again, the demo's XMPP service at the
// simulated Openfire of this run (its address and secret key), open to the
// Member and Blue states, groups mapped by name and the state as a group:
// a visitor activates it on the Services page, tries the password on the
// simulated server's page and sees their groups there. The simulated
// server is new at every start, so the accounts a kept folder remembers
// are forgotten.
func SeedOpenfire(ctx context.Context, db *store.DB, svc *services.Services, url, secret string) error {
	in := services.Input{Slug: OpenfireSlug, Type: xmpp.TypeName, Name: "XMPP (Openfire)", Enabled: true, MapByName: true,
		StateAsGroup: true, Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendOpenfire, xmpp.SettingAPIURL: url,
			xmpp.SettingAPISecret: secret, xmpp.SettingDomain: OpenfireDomain}}
	if err := seedService(ctx, db, svc, in, true); err != nil {
		return err
	}
	// The names it made were on the last run's server.
	_, err := db.Exec(ctx, `DELETE FROM xmpp_accounts WHERE instance_id IN (SELECT id FROM service_instances WHERE slug = $1)`, OpenfireSlug)
	return err
}
