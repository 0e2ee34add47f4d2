package demo

import (
	"context"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/mumble"
	"github.com/keepstar/keepstar/internal/store"
)

// MumbleSlug is the demo's Mumble service instance.
const MumbleSlug = "mumble"

// Mumble is the demo's Mumble server: the real murmurd, when the machine
// has one (Debian's mumble-server), run by the demo on loopback.
type Mumble struct {
	IceAddr, VoiceAddr, Secret string
}

// SeedMumble makes, or points again, the demo's Mumble service at this
// run's murmurd, open to the Member and Blue states with their state as a
// group: a visitor activates it on the Services page and logs in with any
// Mumble client at VoiceAddr.
func SeedMumble(ctx context.Context, db *store.DB, svc *services.Services, m Mumble) error {
	in := services.Input{Slug: MumbleSlug, Type: mumble.TypeName, Name: "Mumble", Enabled: true, MapByName: true, StateAsGroup: true,
		Settings: map[string]string{mumble.SettingIceAddress: m.IceAddr, mumble.SettingIceSecret: m.Secret,
			mumble.SettingPublicAddress: m.VoiceAddr}}
	// murmurd keeps its users in the demo's folder: the accounts stay.
	return seedService(ctx, db, svc, in, false)
}
