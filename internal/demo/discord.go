package demo

import (
	"context"

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
			discord.SettingClientSecret: d.ClientSecret, discord.SettingBotToken: d.BotToken, discord.SettingAPIURL: d.URL,
			discord.SettingPingChannel: d.PingChannelID}}
	return seedService(ctx, db, svc, in, true)
}
