package settings

import "embed"

// Locales holds the package's messages (the refusals of values), one
// locales/<tag>.toml per language; internal/app gives it to i18n.Load with
// the other packages'.
//
//go:embed locales/*.toml
var Locales embed.FS
