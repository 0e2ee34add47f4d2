package names

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// Entries splits what was typed into a field of ids and names: one entry a
// line, or separated by commas or semicolons (EVE's names have none). A
// line of numbers separated by spaces is several ids, as the fields took
// before names; any other line is one name.
func Entries(text string) []string {
	var out []string
	for _, e := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if fields := strings.Fields(e); len(fields) > 1 && !slices.ContainsFunc(fields, func(f string) bool { return !isNumber(f) }) {
			out = append(out, fields...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// isNumber tells an entry meant as an id (digits, with a sign perhaps)
// from a name.
func isNumber(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// Resolve reads a field of ids and names of kind (see Entries), each name
// resolved to its id: what Keepstar knows first (compared without case),
// then ESI's exact names. The ids come without repeats: those typed, in
// their order, then those of the names.
// What cannot be resolved is a problem of the field, saying its label and
// the entry: a number that is no id, a name nobody has, a name several
// have, or a name that could not be looked up because ESI failed. The
// error is for the database failing only.
func (r *Resolver) Resolve(ctx context.Context, kind, field string, label i18n.Message, text string) ([]int32, i18n.Problems, error) {
	var ids []int32
	var ps i18n.Problems
	add := func(id int32) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var typed []string
	for _, e := range Entries(text) {
		if isNumber(e) {
			n, err := strconv.ParseInt(e, 10, 32)
			if err != nil || n <= 0 {
				ps.Add(field, "names.error.id", "Field", label, "Value", e)
				continue
			}
			add(int32(n))
			continue
		}
		typed = append(typed, e)
	}
	if len(typed) == 0 {
		return ids, ps, nil
	}
	known, err := r.knownByName(ctx, kind, typed)
	if err != nil {
		return nil, nil, err
	}
	var ask []string
	for _, n := range typed {
		if len(known[strings.ToLower(n)]) == 0 {
			ask = append(ask, n)
		}
	}
	if len(ask) > 0 && kind != Faction {
		found, err := r.fromESI(ctx, kind, ask)
		if err != nil {
			r.log.WarnContext(ctx, "names: ESI could not resolve names", "kind", kind, "error", err)
			for _, n := range ask {
				ps.Add(field, "names.error.unavailable", "Field", label, "Name", n)
				known[strings.ToLower(n)] = []int32{-1} // said once
			}
		}
		for _, m := range found {
			key := strings.ToLower(m.Name)
			if !slices.Contains(known[key], m.ID) {
				known[key] = append(known[key], m.ID)
			}
		}
	}
	for _, n := range typed {
		switch got := known[strings.ToLower(n)]; {
		case len(got) == 1 && got[0] == -1:
		case len(got) == 1:
			add(got[0])
		case len(got) > 1:
			ps.Add(field, "names.error.ambiguous", "Field", label, "Name", n)
		default:
			ps.Add(field, "names.error.unknown."+kind, "Field", label, "Name", n)
		}
	}
	return ids, ps, nil
}

// knownByName finds names among what Keepstar knows, without case: the ids
// of each name, by the name lowered.
func (r *Resolver) knownByName(ctx context.Context, kind string, typed []string) (map[string][]int32, error) {
	out := map[string][]int32{}
	lowered := make([]string, len(typed))
	for i, n := range typed {
		lowered[i] = strings.ToLower(n)
	}
	if kind == Faction {
		for id, name := range access.FactionNames {
			if key := strings.ToLower(name); slices.Contains(lowered, key) {
				out[key] = append(out[key], id)
			}
		}
		return out, nil
	}
	table := map[string]string{Character: "characters", Corporation: "eve_corporations", Alliance: "eve_alliances"}[kind]
	if table == "" {
		return nil, fmt.Errorf("names: no names of %q", kind)
	}
	for list, args := range store.InChunks(lowered) {
		err := store.Each(ctx, r.db, `SELECT id, name FROM `+table+` WHERE lower(name) IN (`+list+`) ORDER BY id`, func(rows store.Rows) error {
			var id int32
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				return err
			}
			key := strings.ToLower(name)
			out[key] = append(out[key], id)
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("names: %s by name: %w", kind, err)
		}
	}
	return out, nil
}

// Known names ids of a kind from what Keepstar knows, in the order given
// ("" for an id it knows no name of): what a form shows beside its ids.
func (r *Resolver) Known(ctx context.Context, kind string, ids []int32) ([]access.Named, error) {
	return access.NameIDs(ctx, r.db, kind, ids)
}
