package affiliations

import "embed"

// Locales are the package's messages, locales/<lang>.toml (see
// internal/i18n/doc.go).
//
//go:embed locales/*.toml
var Locales embed.FS
