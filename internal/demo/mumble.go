package demo

import (
	"context"
	"errors"
	"fmt"

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
	inst, err := svc.Instance(ctx, MumbleSlug)
	switch {
	case errors.Is(err, services.ErrNotFound):
		if inst, err = svc.Create(ctx, in); err != nil {
			return fmt.Errorf("demo: mumble: %w", err)
		}
	case err != nil:
		return fmt.Errorf("demo: mumble: %w", err)
	case inst.Type != mumble.TypeName:
		return nil // the visitor made "mumble" something else: theirs
	}
	if _, err := db.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
		SELECT id, $1 FROM states WHERE name IN ('Member', 'Blue') ON CONFLICT DO NOTHING`, inst.Permission()); err != nil {
		return fmt.Errorf("demo: mumble: %w", err)
	}
	in.Slug, in.Type = "", ""
	if _, err := svc.Update(ctx, inst.ID, in); err != nil {
		return fmt.Errorf("demo: mumble: %w", err)
	}
	return nil
}
