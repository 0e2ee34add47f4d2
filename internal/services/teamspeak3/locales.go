package teamspeak3

import "embed"

// Locales are the connector type's messages (its settings, its problems),
// prefixed services.teamspeak3.
//
//go:embed locales/*.toml
var Locales embed.FS
