package web

import "slices"

// Theme is a look of the site: a Bootstrap stylesheet, and whether it is
// dark (Bootstrap's components then take their dark colours).
type Theme struct {
	ID   string
	Name string
	CSS  string
	Dark bool
}

// Themes lists the looks members choose from: Bootstrap's own in light and
// dark, and Bootswatch themes that need no outside fonts.
var Themes = []Theme{
	{ID: "light", Name: "Bootstrap", CSS: "vendor/bootstrap.min.css"},
	{ID: "dark", Name: "Bootstrap dark", CSS: "vendor/bootstrap.min.css", Dark: true},
	{ID: "cerulean", Name: "Cerulean", CSS: "vendor/themes/cerulean.min.css"},
	{ID: "cyborg", Name: "Cyborg", CSS: "vendor/themes/cyborg.min.css", Dark: true},
	{ID: "darkly", Name: "Darkly", CSS: "vendor/themes/darkly.min.css", Dark: true},
	{ID: "flatly", Name: "Flatly", CSS: "vendor/themes/flatly.min.css"},
	{ID: "litera", Name: "Litera", CSS: "vendor/themes/litera.min.css"},
	{ID: "slate", Name: "Slate", CSS: "vendor/themes/slate.min.css", Dark: true},
}

// ThemeIDs lists the ids of Themes, for validating a choice.
func ThemeIDs() []string {
	ids := make([]string, len(Themes))
	for i, t := range Themes {
		ids[i] = t.ID
	}
	return ids
}

// theme finds a theme by id; ok is false for an unknown id.
func theme(id string) (Theme, bool) {
	i := slices.IndexFunc(Themes, func(t Theme) bool { return t.ID == id })
	if i < 0 {
		return Theme{}, false
	}
	return Themes[i], true
}
