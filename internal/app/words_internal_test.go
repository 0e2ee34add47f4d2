package app

import (
	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/apps/fleetops"
	"github.com/keepstar/keepstar/internal/apps/pings"
	"github.com/keepstar/keepstar/internal/apps/timers"
	"log/slog"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestEveryChoiceAndJobHasWords builds every feature, the guide's example
// too, and checks that what pages show by a technical name has words in
// the catalogue: each choice of a setting with choices (its ChoiceLabels),
// each scheduled job (its Label and Help, on the operations page).
func TestEveryChoiceAndJobHasWords(t *testing.T) {
	c, err := Catalogue(example.Locales, pings.Locales, tracking.Locales, evemail.Locales, watchlists.Locales, corpstats.Locales, timers.Locales, fleetops.Locales) // the plugins' catalogues come with them
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz"}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := build(cfg, storetest.Open(t, config.SQLite), slog.New(slog.DiscardHandler),
		buildOptions{features: []Constructor{example.New}})
	if err != nil {
		t.Fatal(err)
	}
	enums := 0
	for _, f := range p.features.All() {
		for _, d := range f.Settings {
			if d.Kind != settings.KindEnum {
				continue
			}
			enums++
			for _, choice := range d.Choices {
				if id := d.ChoiceLabels[choice]; !c.Has(id) {
					t.Errorf("setting %s: choice %q has no label in the catalogue (ChoiceLabels: %q)", d.Name, choice, id)
				}
			}
		}
	}
	if enums < 2 {
		t.Errorf("found %d settings with choices: the walk misses them", enums)
	}
	periodic := p.jobs.Periodic()
	if len(periodic) < 7 {
		t.Errorf("found %d scheduled jobs: the walk misses them", len(periodic))
	}
	for _, j := range periodic {
		if !c.Has(j.Label) || !c.Has(j.Help) {
			t.Errorf("job %s: Label %q and Help %q must be messages of the catalogue", j.Kind(), j.Label, j.Help)
		}
	}
}
