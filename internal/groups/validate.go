package groups

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// One validator per action, for the administration's forms, any JSON
// route and the store alike: each says what is wrong as messages with
// their arguments, which the page translates into the member's language,
// and which the store returns in an i18n.InvalidError when it refuses.

var controlChars = regexp.MustCompile(`[\x00-\x1f\x7f]`)

// maxDescription bounds a group's description.
const maxDescription = 4000

// normal gives the input as it is stored: its texts trimmed, its lists
// sorted and without repeats.
func (in Input) normal() Input {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.AllowedStates, in.Required, in.Forbidden = uniq(in.AllowedStates), uniq(in.Required), uniq(in.Forbidden)
	in.Managers, in.ManagerGroups = uniq(in.Managers), uniq(in.ManagerGroups)
	in.Corporations, in.Alliances, in.Permissions = uniq(in.Corporations), uniq(in.Alliances), uniq(in.Permissions)
	return in
}

// Validate checks a group's input, every problem at once, each about a
// field of the admin form: id is the group changed (0 for a new one), q
// reads the states, groups and accounts the input names (the store's
// transaction, so that none vanishes before the input is written). The
// error is a failed read's.
func (s *Store) Validate(ctx context.Context, q store.Querier, id int64, in Input) (i18n.Problems, error) {
	in = in.normal()
	var ps i18n.Problems
	switch {
	case in.Name == "":
		ps.Add("name", "groups.admin.error.name_required")
	case utf8.RuneCountInString(in.Name) > MaxName:
		ps.Add("name", "groups.admin.error.name_long", "Max", MaxName)
	case controlChars.MatchString(in.Name):
		ps.Add("name", "groups.admin.error.name_control")
	}
	if utf8.RuneCountInString(in.Description) > maxDescription {
		ps.Add("description", "groups.admin.error.description")
	}

	for _, st := range in.AllowedStates {
		if _, ok, err := nameOf(ctx, q, "states", st); err != nil {
			return nil, err
		} else if !ok {
			ps.Add("states", "groups.admin.error.state", "ID", strconv.FormatInt(st, 10))
		}
	}
	names := map[int64]string{}
	self := false
	for _, list := range []struct {
		field string
		ids   []int64
	}{{"required", in.Required}, {"forbidden", in.Forbidden}, {"manager_groups", in.ManagerGroups}} {
		for _, g := range list.ids {
			if id != 0 && g == id {
				self = true
				continue
			}
			name, ok, err := nameOf(ctx, q, "groups", g)
			switch {
			case err != nil:
				return nil, err
			case !ok:
				ps.Add(list.field, "groups.admin.error.group", "ID", strconv.FormatInt(g, 10))
			default:
				names[g] = name
			}
		}
	}
	if self {
		ps.Add("required", "groups.admin.error.self")
	}
	for _, g := range in.Required {
		if slices.Contains(in.Forbidden, g) {
			ps.Add("forbidden", "groups.admin.error.required_forbidden", "Group", cmp.Or(names[g], strconv.FormatInt(g, 10)))
		}
	}

	for _, list := range []struct {
		field string
		ids   []int32
	}{{"corporations", in.Corporations}, {"alliances", in.Alliances}} {
		for _, e := range list.ids {
			if e <= 0 {
				ps.Add(list.field, "groups.admin.error.id", "Value", strconv.Itoa(int(e)), "Field", i18n.M("groups.admin.field."+list.field))
			}
		}
	}
	for _, acc := range in.Managers {
		var ok bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, acc).Scan(&ok); err != nil {
			return nil, fmt.Errorf("groups: validate: %w", err)
		}
		if !ok {
			ps.Add("managers", "groups.admin.error.account", "ID", strconv.FormatInt(acc, 10))
		}
	}
	for _, p := range in.Permissions {
		if s.catalogue != nil && !s.catalogue.Has(p) {
			ps.Add("permissions", "groups.admin.error.permission", "Name", p)
		}
	}
	return ps, nil
}

// refuse is the store's use of Validate: ErrInvalid, with the problems.
func (s *Store) refuse(ctx context.Context, q store.Querier, id int64, in Input) error {
	ps, err := s.Validate(ctx, q, id, in)
	if err != nil {
		return err
	}
	return ps.Err(ErrInvalid)
}

// nameOf reads the name of a row of table (states or groups); ok is false
// when there is none.
func nameOf(ctx context.Context, q store.Querier, table string, id int64) (name string, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT name FROM `+table+` WHERE id = $1`, id).Scan(&name)
	switch {
	case errors.Is(err, store.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("groups: validate: %w", err)
	}
	return name, true, nil
}

// ValidateAutogroups checks an autogroup configuration, every problem at
// once: all of it when created is true, else what may change after
// (UpdateAutogroups: its states and what it makes). q reads the states.
func (s *Store) ValidateAutogroups(ctx context.Context, q store.Querier, c AutogroupConfig, created bool) (i18n.Problems, error) {
	var ps i18n.Problems
	for _, st := range uniq(c.States) {
		if _, ok, err := nameOf(ctx, q, "states", st); err != nil {
			return nil, err
		} else if !ok {
			ps.Add("states", "groups.admin.autogroups.error.state", "ID", strconv.FormatInt(st, 10))
		}
	}
	if !c.CorporationGroups && !c.AllianceGroups {
		ps.Add("corporation_groups", "groups.admin.autogroups.error.kinds")
	}
	if !created {
		return ps, nil
	}
	if c.NameSource != "name" && c.NameSource != "ticker" {
		ps.Add("name_source", "groups.admin.autogroups.error.name_source")
	}
	// Each prefix's problem beside it, naming its label.
	for _, prefix := range []struct{ field, value string }{{"corporation_prefix", c.CorporationPrefix}, {"alliance_prefix", c.AlliancePrefix}} {
		if len(prefix.value) > 32 || controlChars.MatchString(prefix.value) {
			ps.Add(prefix.field, "groups.admin.autogroups.error.prefix", "Label", i18n.M("groups.admin.autogroups."+prefix.field))
		}
	}
	if len(c.ReplaceWith) > 8 || controlChars.MatchString(c.ReplaceWith) {
		ps.Add("replace_with", "groups.admin.autogroups.error.replace_with", "Label", i18n.M("groups.admin.autogroups.replace_with"))
	}
	return ps, nil
}

// maxReason bounds the reason of a reserved name.
const maxReason = 1000

// ValidateReserved checks a name to reserve and the reason, as typed
// (trimmed).
func ValidateReserved(name, reason string) i18n.Problems {
	var ps i18n.Problems
	if name == "" || utf8.RuneCountInString(name) > MaxName || controlChars.MatchString(name) {
		ps.Add("name", "groups.admin.reserved.error.name", "Max", MaxName)
	}
	if utf8.RuneCountInString(reason) > maxReason {
		ps.Add("reason", "groups.admin.reserved.error.reason", "Max", maxReason)
	}
	return ps
}
