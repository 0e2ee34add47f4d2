package universe

import (
	"slices"
	"strings"
)

// Named is an entity found by its name, under the category POST
// /universe/ids files it in ("characters", "corporations", "alliances",
// "factions", "systems", "inventory_types").
type Named struct {
	Category string
	ID       int32
	Name     string // as the universe spells it
}

// FindByName gives every entity whose name is name, compared without case
// as ESI's name resolution does, sorted by category and id.
func (u *Universe) FindByName(name string) []Named {
	var out []Named
	match := func(category string, id int32, n string) {
		if strings.EqualFold(n, name) {
			out = append(out, Named{category, id, n})
		}
	}
	u.mu.RLock()
	for _, c := range u.characters {
		match("characters", c.ID, c.Name)
	}
	for _, c := range u.corporations {
		match("corporations", c.ID, c.Name)
	}
	for _, a := range u.alliances {
		match("alliances", a.ID, a.Name)
	}
	for _, f := range u.factions {
		match("factions", f.ID, f.Name)
	}
	u.mu.RUnlock()
	for _, s := range staticSystems {
		match("systems", s.ID, s.Name)
	}
	for _, t := range staticTypes {
		match("inventory_types", t.ID, t.Name)
	}
	slices.SortFunc(out, func(a, b Named) int {
		if c := strings.Compare(a.Category, b.Category); c != 0 {
			return c
		}
		return int(a.ID) - int(b.ID)
	})
	return out
}
