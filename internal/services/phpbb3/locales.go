package phpbb3

import "embed"

// Locales are the connector type's messages (its settings, its problems),
// prefixed services.phpbb3.
//
//go:embed locales/*.toml
var Locales embed.FS
