package web

import "slices"

// Theme is a look of the site: a Bootstrap stylesheet, and whether it is
// dark (Bootstrap's components then take their dark colours). Label is the
// message id of its name as members read it ("web.theme." and its id); the
// id is what is stored.
type Theme struct {
	ID    string
	Label string
	CSS   string
	Dark  bool
}

// Themes lists the looks members choose from: Bootstrap's own in light and
// dark, and Bootswatch themes that need no outside fonts.
var Themes = []Theme{
	{ID: "light", Label: "web.theme.light", CSS: "vendor/bootstrap.min.css"},
	{ID: "dark", Label: "web.theme.dark", CSS: "vendor/bootstrap.min.css", Dark: true},
	{ID: "cerulean", Label: "web.theme.cerulean", CSS: "vendor/themes/cerulean.min.css"},
	{ID: "cyborg", Label: "web.theme.cyborg", CSS: "vendor/themes/cyborg.min.css", Dark: true},
	{ID: "darkly", Label: "web.theme.darkly", CSS: "vendor/themes/darkly.min.css", Dark: true},
	{ID: "flatly", Label: "web.theme.flatly", CSS: "vendor/themes/flatly.min.css"},
	{ID: "litera", Label: "web.theme.litera", CSS: "vendor/themes/litera.min.css"},
	{ID: "slate", Label: "web.theme.slate", CSS: "vendor/themes/slate.min.css", Dark: true},
}

// ThemeIDs lists the ids of Themes, for validating a choice.
func ThemeIDs() []string {
	ids := make([]string, len(Themes))
	for i, t := range Themes {
		ids[i] = t.ID
	}
	return ids
}

// ThemeLabels gives the message id of each theme's name, by id: the labels
// of the default theme's choices on the settings page.
func ThemeLabels() map[string]string {
	labels := make(map[string]string, len(Themes))
	for _, t := range Themes {
		labels[t.ID] = t.Label
	}
	return labels
}

// theme finds a theme by id; ok is false for an unknown id.
func theme(id string) (Theme, bool) {
	i := slices.IndexFunc(Themes, func(t Theme) bool { return t.ID == id })
	if i < 0 {
		return Theme{}, false
	}
	return Themes[i], true
}
