package xmpp

import "embed"

// Locales are the connector type's messages (its settings, its problems),
// prefixed services.xmpp.
//
//go:embed locales/*.toml
var Locales embed.FS
