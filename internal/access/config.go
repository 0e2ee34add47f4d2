package access

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
)

// RequestPermission is Alliance Auth's request_groups: needed to join, and
// to stay in, groups joined by request.
const RequestPermission = "groups.request"

// Settings of Neucore's group deactivation for invalid tokens.
var (
	SettingDeactivation = settings.Definition{Name: "groups.deactivation", Section: "access.settings.section.groups",
		Kind: settings.KindBool, Default: "false", Label: "access.settings.groups.deactivation", Help: "access.settings.groups.deactivation_help"}
	SettingDeactivationDelay = settings.Definition{Name: "groups.deactivation_delay_hours", Section: "access.settings.section.groups",
		Kind: settings.KindInt, Default: "0", Min: 0, Max: 24 * 365,
		Label: "access.settings.groups.deactivation_delay_hours", Help: "access.settings.groups.deactivation_delay_hours_help"}
	// The lists are checked on save: a typo read as "no list" would
	// deactivate every account with an invalid token.
	SettingDeactivationAlliances = settings.Definition{Name: "groups.deactivation_alliances", Section: "access.settings.section.groups",
		Kind: settings.KindText, MaxLen: 4000, Validate: validIDList, EVEKind: "alliance",
		Label: "access.settings.groups.deactivation_alliances", Help: "access.settings.groups.deactivation_alliances_help"}
	SettingDeactivationCorporations = settings.Definition{Name: "groups.deactivation_corporations", Section: "access.settings.section.groups",
		Kind: settings.KindText, MaxLen: 4000, Validate: validIDList, EVEKind: "corporation",
		Label: "access.settings.groups.deactivation_corporations", Help: "access.settings.groups.deactivation_corporations_help"}
)

// errIDList is wrapped by a refused list of EVE ids.
var errIDList = errors.New("access: not a list of EVE ids")

// validIDList checks a list of EVE ids typed into a setting, naming each
// entry that is none in the reader's language (the settings page adds the
// setting's label as Field).
func validIDList(s string) error {
	var ps i18n.Problems
	for _, f := range idFields(s) {
		if n, err := strconv.ParseInt(f, 10, 32); err != nil || n <= 0 {
			ps.Add("", "access.settings.error.id", "Value", f)
		}
	}
	return ps.Err(errIDList)
}

// idFields splits a list of EVE ids at spaces, commas and new lines.
func idFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// WatchSettings queues the recomputation of every account in the
// transaction that saves a change of the deactivation settings: apps and
// services see it at once, not after the hourly run.
func WatchSettings(st *settings.Store, q Inserter) {
	st.OnChange(Settings, func(ctx context.Context, tx *store.Tx) error { return RecomputeAllLater(ctx, tx, q) })
}

// Settings are the definitions this package reads.
var Settings = []settings.Definition{SettingDeactivation, SettingDeactivationDelay, SettingDeactivationAlliances, SettingDeactivationCorporations}

// IDList reads a list of EVE ids typed into a setting: numbers separated by
// spaces, commas or new lines.
func IDList(s string) (map[int32]bool, error) {
	out := map[int32]bool{}
	for _, f := range idFields(s) {
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not an EVE id", f)
		}
		out[int32(n)] = true
	}
	return out, nil
}

// names are the names that the log and the autogroups need beside the
// rules.
type names struct {
	groups map[int64]string
}

// LoadConfig reads the site's rules: states, groups with their rules,
// autogroup configurations, role requirements and the deactivation
// settings. A handful of queries, whatever the size.
func LoadConfig(ctx context.Context, q store.Querier, values settings.Values, now time.Time) (*Config, error) {
	c, _, err := loadConfig(ctx, q, values, now)
	return c, err
}

func loadConfig(ctx context.Context, q store.Querier, values settings.Values, now time.Time) (*Config, names, error) {
	c := &Config{RequestPermission: RequestPermission, Now: now, RoleRequirements: map[string][]int64{}}
	n := names{groups: map[int64]string{}}
	states := map[int64]*State{}
	var err error
	c.States, err = store.Collect(ctx, q, `SELECT id, priority, public, guest FROM states`, func(r store.Rows, s *State) error {
		s.Characters, s.Corporations, s.Alliances, s.Factions = map[int32]bool{}, map[int32]bool{}, map[int32]bool{}, map[int32]bool{}
		return r.Scan(&s.ID, &s.Priority, &s.Public, &s.Guest)
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	for i := range c.States {
		states[c.States[i].ID] = &c.States[i]
	}
	err = store.Each(ctx, q, `SELECT state_id, kind, entity_id FROM state_members`, func(r store.Rows) error {
		var id int64
		var kind string
		var entity int32
		if err := r.Scan(&id, &kind, &entity); err != nil {
			return err
		}
		if s := states[id]; s != nil {
			switch kind {
			case "character":
				s.Characters[entity] = true
			case "corporation":
				s.Corporations[entity] = true
			case "alliance":
				s.Alliances[entity] = true
			case "faction":
				s.Factions[entity] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	err = store.Each(ctx, q, `SELECT state_id, permission FROM state_permissions`, func(r store.Rows) error {
		var id int64
		var p string
		if err := r.Scan(&id, &p); err != nil {
			return err
		}
		if s := states[id]; s != nil {
			s.Permissions = append(s.Permissions, p)
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}

	err = store.Each(ctx, q, `SELECT id, name, internal, hidden, open, public, restricted, is_default, autogroup_config, autogroup_kind, autogroup_entity FROM groups`,
		func(r store.Rows) error {
			var g Group
			var name string
			var agConfig *int64
			var agKind *string
			var agEntity *int64
			if err := r.Scan(&g.ID, &name, &g.Internal, &g.Hidden, &g.Open, &g.Public, &g.Restricted, &g.Default, &agConfig, &agKind, &agEntity); err != nil {
				return err
			}
			if agConfig != nil && agKind != nil && agEntity != nil {
				g.Autogroup = &AutogroupKey{Config: *agConfig, Kind: *agKind, EntityID: int32(*agEntity)}
			}
			n.groups[g.ID] = name
			c.Groups = append(c.Groups, g)
			return nil
		})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	groups := map[int64]*Group{}
	for i := range c.Groups {
		groups[c.Groups[i].ID] = &c.Groups[i]
	}
	err = store.Each(ctx, q, `SELECT group_id, state_id FROM group_states`, func(r store.Rows) error {
		var g, s int64
		if err := r.Scan(&g, &s); err != nil {
			return err
		}
		if gr := groups[g]; gr != nil {
			if gr.AllowedStates == nil {
				gr.AllowedStates = map[int64]bool{}
			}
			gr.AllowedStates[s] = true
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	err = store.Each(ctx, q, `SELECT group_id, kind, other_id FROM group_rules`, func(r store.Rows) error {
		var g, o int64
		var kind string
		if err := r.Scan(&g, &kind, &o); err != nil {
			return err
		}
		if gr := groups[g]; gr != nil {
			if kind == "required" {
				gr.Required = append(gr.Required, o)
			} else {
				gr.Forbidden = append(gr.Forbidden, o)
			}
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	err = store.Each(ctx, q, `SELECT group_id, kind, entity_id FROM group_mappings`, func(r store.Rows) error {
		var g int64
		var kind string
		var e int32
		if err := r.Scan(&g, &kind, &e); err != nil {
			return err
		}
		if gr := groups[g]; gr != nil {
			if gr.Corporations == nil {
				gr.Corporations, gr.Alliances = map[int32]bool{}, map[int32]bool{}
			}
			if kind == "corporation" {
				gr.Corporations[e] = true
			} else {
				gr.Alliances[e] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	err = store.Each(ctx, q, `SELECT group_id, permission FROM group_permissions`, func(r store.Rows) error {
		var g int64
		var p string
		if err := r.Scan(&g, &p); err != nil {
			return err
		}
		if gr := groups[g]; gr != nil {
			gr.Permissions = append(gr.Permissions, p)
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}

	autogroups := map[int64]*Autogroups{}
	c.Autogroups, err = store.Collect(ctx, q, `SELECT id, corporation_groups, alliance_groups FROM autogroup_configs`, func(r store.Rows, a *Autogroups) error {
		a.States = map[int64]bool{}
		return r.Scan(&a.ID, &a.Corporations, &a.Alliances)
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	for i := range c.Autogroups {
		autogroups[c.Autogroups[i].ID] = &c.Autogroups[i]
	}
	err = store.Each(ctx, q, `SELECT config_id, state_id FROM autogroup_config_states`, func(r store.Rows) error {
		var a, s int64
		if err := r.Scan(&a, &s); err != nil {
			return err
		}
		if ag := autogroups[a]; ag != nil {
			ag.States[s] = true
		}
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}
	err = store.Each(ctx, q, `SELECT role, group_id FROM role_requirements`, func(r store.Rows) error {
		var role string
		var g int64
		if err := r.Scan(&role, &g); err != nil {
			return err
		}
		c.RoleRequirements[role] = append(c.RoleRequirements[role], g)
		return nil
	})
	if err != nil {
		return nil, n, fmt.Errorf("access: %w", err)
	}

	c.Deactivation.Enabled = values.Bool(SettingDeactivation)
	c.Deactivation.Delay = time.Duration(values.Int(SettingDeactivationDelay)) * time.Hour
	c.Deactivation.Alliances, c.Deactivation.Corporations = map[int32]bool{}, map[int32]bool{}
	// The settings page checks the lists. A list stored broken anyway
	// (by hand, or by an older version) must not read as "no list", which
	// would deactivate every account with an invalid token: it turns
	// deactivation off until corrected, and the recomputation says so.
	for _, l := range []struct {
		d   settings.Definition
		out *map[int32]bool
	}{{SettingDeactivationAlliances, &c.Deactivation.Alliances}, {SettingDeactivationCorporations, &c.Deactivation.Corporations}} {
		stored, err := values.Problem(l.d)
		if err == nil {
			stored = values.String(l.d)
			*l.out, err = IDList(stored)
		}
		if err != nil {
			if c.Deactivation.Enabled {
				c.Problems = append(c.Problems, fmt.Sprintf("group deactivation is off: the setting %s holds %q, not a list of EVE ids (%v)",
					l.d.Name, stored, err))
			}
			c.Deactivation.Enabled = false
		}
	}
	c.Compile()
	return c, n, nil
}
