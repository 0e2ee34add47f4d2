package smf

import "embed"

// Locales are the connector type's messages (its settings, its problems),
// prefixed services.smf.
//
//go:embed locales/*.toml
var Locales embed.FS
