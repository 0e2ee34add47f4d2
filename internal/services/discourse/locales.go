package discourse

import "embed"

// Locales are the connector type's messages (its settings, its refusals),
// prefixed services.discourse.
//
//go:embed locales/*.toml
var Locales embed.FS
