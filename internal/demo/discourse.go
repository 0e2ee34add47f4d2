package demo

import (
	"context"
	"crypto/rand"
	"net"
	"strings"

	"github.com/keepstar/keepstar/internal/discoursesim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discourse"
	"github.com/keepstar/keepstar/internal/store"
)

// DefaultDiscourseListen is where the demo's simulated Discourse forum
// listens unless taken.
const DefaultDiscourseListen = "127.0.0.1:8084"

// DiscourseSlug is the demo's Discourse service instance.
const DiscourseSlug = "forum"

// Discourse is what the demo's Discourse instance is made from: the
// simulated forum's address and the secret and admin key made for this
// run.
type Discourse struct {
	URL, Secret, APIKey string
}

// ListenDiscourse listens for the simulated forum on listen
// (DefaultDiscourseListen, or a free port when that is taken, if empty).
func ListenDiscourse(listen string) (net.Listener, error) {
	return listenFor("-discourse-listen", listen, DefaultDiscourseListen)
}

// NewDiscourse makes the demo's simulated forum on ln, whose login is
// Keepstar at base (Keepstar's address): a secret and an admin key made
// for this run; the forum takes the names Keepstar gives (Discourse's
// "auth overrides" on, as the setup guide says).
func NewDiscourse(ln net.Listener, base string) (*discoursesim.Server, Discourse) {
	d := Discourse{URL: "http://" + ln.Addr().String(), Secret: rand.Text(), APIKey: strings.ToLower(rand.Text())}
	sim := discoursesim.New(discoursesim.Options{BaseURL: d.URL, ConnectURL: strings.TrimSuffix(base, "/") + "/services/" + DiscourseSlug + "/sso",
		Secret: d.Secret, APIKey: d.APIKey, OverridesUsername: true, OverridesName: true, OverridesAvatar: true})
	return sim, d
}

// SeedDiscourse makes, or points again, the demo's Discourse service at the
// simulated forum of this run, open to the Member and Blue states, groups
// mapped by name (made on the forum when missing) and the state as a
// group: a visitor presses "Log in on Forum" on the Services page (or
// logs in on the forum's page) and sees their user and groups there. The
// simulated forum is new at every start, so the accounts a kept folder
// remembers are forgotten.
func SeedDiscourse(ctx context.Context, db *store.DB, svc *services.Services, d Discourse) error {
	in := services.Input{Slug: DiscourseSlug, Type: discourse.TypeName, Name: "Forum", Enabled: true, MapByName: true, StateAsGroup: true,
		Settings: map[string]string{discourse.SettingURL: d.URL, discourse.SettingConnectSecret: d.Secret,
			discourse.SettingAPIKey: d.APIKey, discourse.SettingEmailDomain: "users.forum.demo.invalid",
			discourse.SettingCreateGroups: "true"}}
	return seedService(ctx, db, svc, in, true)
}
