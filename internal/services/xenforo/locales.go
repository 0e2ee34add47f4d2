package xenforo

import "embed"

// Locales are the connector type's messages (its settings, its problems),
// prefixed services.xenforo.
//
//go:embed locales/*.toml
var Locales embed.FS
