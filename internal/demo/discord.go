package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/discord"
	"github.com/keepstar/keepstar/internal/store"
)

// DiscordSlug is the demo's Discord service instance.
const DiscordSlug = "discord"

// SeedDiscord makes, or points again, the demo's Discord service at the
// simulated Discord of this run, open to the Member and Blue states: a
// visitor links a simulated Discord user on the Services page and sees
// their roles appear on the guild's page. The simulated Discord is new at
// every start, so links a kept folder remembers are forgotten.
func SeedDiscord(ctx context.Context, db *store.DB, svc *services.Services, d Discord) error {
	in := services.Input{Slug: DiscordSlug, Type: "discord", Name: "Discord", Enabled: true, MapByName: true,
		// The guild's own role, which Keepstar leaves to its members.
		Unmanaged: []string{"Friends"},
		Settings: map[string]string{discord.SettingGuildID: d.GuildID, discord.SettingClientID: d.ClientID,
			discord.SettingClientSecret: d.ClientSecret, discord.SettingBotToken: d.BotToken, discord.SettingAPIURL: d.URL}}
	inst, err := svc.Instance(ctx, DiscordSlug)
	switch {
	case errors.Is(err, services.ErrNotFound):
		if inst, err = svc.Create(ctx, in); err != nil {
			return fmt.Errorf("demo: discord: %w", err)
		}
	case err != nil:
		return fmt.Errorf("demo: discord: %w", err)
	case inst.Type != "discord":
		return nil // the visitor made "discord" something else: theirs
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM service_accounts WHERE instance_id = $1`, inst.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO state_permissions (state_id, permission)
			SELECT id, $1 FROM states WHERE name IN ('Member', 'Blue') ON CONFLICT DO NOTHING`, inst.Permission())
		return err
	})
	if err != nil {
		return fmt.Errorf("demo: discord: %w", err)
	}
	in.Slug, in.Type = "", ""
	if _, err := svc.Update(ctx, inst.ID, in); err != nil {
		return fmt.Errorf("demo: discord: %w", err)
	}
	return nil
}
