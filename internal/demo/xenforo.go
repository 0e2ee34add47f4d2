package demo

import (
	"context"
	"crypto/rand"
	"net"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xenforo"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/xenforosim"
)

// DefaultXenForoListen is where the demo's simulated XenForo forum listens
// unless taken.
const DefaultXenForoListen = "127.0.0.1:8085"

// XenForoSlug is the demo's XenForo service instance.
const XenForoSlug = "xenforo"

// XenForoMemberGroup is the group every member Keepstar lets in has on
// the demo's XenForo.
const XenForoMemberGroup = "Keepstar"

// XenForo is what the demo's XenForo instance is made from: the simulated
// forum's address (its page; api.php beside it) and the key made for this
// run.
type XenForo struct {
	URL, APIKey string
}

// ListenXenForo listens for the simulated XenForo on listen
// (DefaultXenForoListen, or a free port when that is taken, if empty).
func ListenXenForo(listen string) (net.Listener, error) {
	return listenFor("-xenforo-listen", listen, DefaultXenForoListen)
}

// NewXenForo makes the demo's simulated XenForo on ln: a key made for this
// run, the member group and the demo's states as groups (the seed's groups
// are added once named).
func NewXenForo(ln net.Listener) (*xenforosim.Server, XenForo) {
	x := XenForo{URL: "http://" + ln.Addr().String(), APIKey: rand.Text()}
	sim := xenforosim.New(xenforosim.Options{APIKey: x.APIKey})
	for _, g := range []string{XenForoMemberGroup, "Member", "Blue"} {
		sim.AddGroup(g)
	}
	return sim, x
}

// SeedXenForo makes, or points again, the demo's XenForo service at the
// simulated forum of this run, open to the Member and Blue states, groups
// mapped by name and the state as a group: a visitor activates it on the
// Services page and logs in on the forum's page with the password shown.
// The simulated forum is new at every start, so the accounts a kept folder
// remembers are forgotten.
func SeedXenForo(ctx context.Context, db *store.DB, svc *services.Services, x XenForo) error {
	in := services.Input{Slug: XenForoSlug, Type: xenforo.TypeName, Name: "XenForo", Enabled: true, MapByName: true, StateAsGroup: true,
		Settings: map[string]string{xenforo.SettingEndpoint: x.URL + "/api.php", xenforo.SettingAPIKey: x.APIKey,
			xenforo.SettingMemberGroup: XenForoMemberGroup, xenforo.SettingEmailDomain: "users.xenforo.demo.invalid"}}
	return seedService(ctx, db, svc, in, true)
}
