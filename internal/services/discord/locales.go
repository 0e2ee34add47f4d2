package discord

import "embed"

// Locales are the connector type's messages (its settings, its problems,
// its errors shown to members), prefixed services.discord.
//
//go:embed locales/*.toml
var Locales embed.FS
