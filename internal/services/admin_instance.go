package services

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// The mapping of one Keepstar group on an instance, as its form says it.
const (
	mapSame  = ""     // no row: the same name when map by name is on, none otherwise
	mapNone  = "none" // external "": none, even where names match
	mapNamed = "name" // a service's group named by the admin
)

// groupMap is a group's mapping in the form.
type groupMap struct {
	Mode     string
	External string
}

// instanceForm is an instance's form: the stored values, or what was
// typed when it was refused. Secrets are never in it.
type instanceForm struct {
	Name         string
	Enabled      bool
	Settings     map[string]string
	NameFormat   string
	StateFormats map[int64]string
	MapByName    bool
	StateAsGroup bool
	Unmanaged    string
	Maps         map[int64]groupMap
	Problems     web.FormProblems
}

// formOf gives a stored instance's form.
func formOf(inst Instance, t Type) instanceForm {
	f := instanceForm{Name: inst.Name, Enabled: inst.Enabled, Settings: map[string]string{}, NameFormat: inst.NameFormat,
		StateFormats: inst.StateFormats, MapByName: inst.MapByName, StateAsGroup: inst.StateAsGroup,
		Unmanaged: strings.Join(inst.Unmanaged, "\n"), Maps: map[int64]groupMap{}}
	for _, set := range t.Settings {
		if !set.Secret {
			f.Settings[set.Key] = inst.Settings[set.Key]
		}
	}
	for g, ext := range inst.Maps {
		if ext == "" {
			f.Maps[g] = groupMap{Mode: mapNone}
		} else {
			f.Maps[g] = groupMap{Mode: mapNamed, External: ext}
		}
	}
	return f
}

// settingRow is one setting of the instance's type on its form.
type settingRow struct {
	Setting
	Value string
	// Stored: a secret has a value, kept when the field is left empty.
	Stored bool
}

// stateRow is a state's name format on the form.
type stateRow struct {
	ID     int64
	Name   string
	Format string
}

// mapRow is a Keepstar group's mapping on the form.
type mapRow struct {
	ID   int64
	Name string
	groupMap
}

// connectorView is what the instance's connector says of it.
type connectorView struct {
	// OpenError: the connector cannot be built from the settings (or its
	// type is not part of this Keepstar).
	OpenError string
	// Checked: the connector checks its setup (Checker); Problems are what
	// it found, said in the page's language, CheckError why it could not.
	Checked    bool
	Problems   []string
	CheckError string
	Links      []AdminLink
	// External are the service's groups (GroupLister), for the mapping's
	// suggestions; ExternalError why they could not be listed.
	Lists         bool
	External      []string
	ExternalError string
}

// adminInstancePage is the data of admin_service.html.
type adminInstancePage struct {
	Instance      Instance
	Type          Type
	Known         bool
	Form          instanceForm
	Settings      []settingRow
	States        []stateRow
	Groups        []mapRow
	Placeholders  []string
	DefaultFormat string
	Status        Status
	Connector     connectorView
	Failing       []failing
	// AccountLinks: the viewer may open the accounts' admin pages.
	AccountLinks bool
	// Superuser: the viewer may open the permission's page.
	Superuser bool
}

func (a *adminPages) instance(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	t, _ := a.s.Type(inst.Type)
	a.renderInstance(w, r, http.StatusOK, inst, formOf(inst, t))
}

// connectorTimeout bounds each question the page asks the connector: a
// service that does not answer delays the page, never blocks it.
const connectorTimeout = 10 * time.Second

func (a *adminPages) renderInstance(w http.ResponseWriter, r *http.Request, status int, inst Instance, f instanceForm) {
	ctx := r.Context()
	t, known := a.s.Type(inst.Type)
	states, err := a.siteStates(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	groups, err := a.siteGroups(ctx)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page := adminInstancePage{Instance: inst, Type: t, Known: known, Form: f, Placeholders: Placeholders,
		DefaultFormat: t.DefaultNameFormat, AccountLinks: mayOpenAccounts(r), Superuser: web.ViewerFrom(ctx).Superuser}
	if page.DefaultFormat == "" {
		page.DefaultFormat = defaultNameFormat
	}
	for _, set := range t.Settings {
		page.Settings = append(page.Settings, settingRow{Setting: set, Value: f.Settings[set.Key],
			Stored: set.Secret && inst.Settings[set.Key] != ""})
	}
	for _, st := range states {
		page.States = append(page.States, stateRow{ID: st.ID, Name: st.Name, Format: f.StateFormats[st.ID]})
	}
	for _, g := range groups {
		page.Groups = append(page.Groups, mapRow{ID: g.ID, Name: g.Name, groupMap: f.Maps[g.ID]})
	}
	if page.Status, err = a.s.StatusOf(ctx, inst.ID); err == nil {
		page.Failing, err = a.failingAccounts(ctx, inst.ID)
	}
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page.Connector, err = a.askConnector(r, inst, t, known, groups)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	a.srv.Render(w, r, a.pages, "admin_service.html", status, "services.admin.instance_title", page)
}

// askConnector asks the instance's connector what it can tell its admins:
// the problems of its setup, its links, the service's groups. A connector
// that cannot be opened or a service that fails is shown as such; the
// error is for the database only.
func (a *adminPages) askConnector(r *http.Request, inst Instance, t Type, known bool, groups []named) (connectorView, error) {
	ctx := r.Context()
	var v connectorView
	if !known {
		v.OpenError = "unknown type " + strconv.Quote(inst.Type)
		return v, nil
	}
	conn, err := a.s.connector(ctx, inst)
	if err != nil {
		v.OpenError = err.Error()
		return v, nil
	}
	if l, ok := conn.(AdminLinker); ok {
		v.Links = l.AdminLinks()
	}
	if c, ok := conn.(Checker); ok {
		v.Checked = true
		voc, err := readVocabulary(ctx, a.s.db)
		if err != nil {
			return v, err
		}
		cctx, cancel := context.WithTimeout(ctx, connectorTimeout)
		problems, err := c.Check(cctx, managedGroups(inst, groups, voc))
		cancel()
		if err != nil {
			v.CheckError = err.Error()
		}
		loc := a.srv.Localizer(r)
		for _, p := range problems {
			v.Problems = append(v.Problems, loc.Say(i18n.M(p.Message, problemArgs(p.Args)...)))
		}
	}
	if l, ok := conn.(GroupLister); ok && t.Capabilities.Groups {
		v.Lists = true
		gctx, cancel := context.WithTimeout(ctx, connectorTimeout)
		list, err := l.Groups(gctx)
		cancel()
		if err != nil {
			v.ExternalError = err.Error()
		}
		v.External = slices.Sorted(slices.Values(list))
	}
	return v, nil
}

// problemArgs gives a Problem's arguments as Localizer.T takes them, in a
// stable order.
func problemArgs(m map[string]any) []any {
	out := make([]any, 0, 2*len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k, m[k])
	}
	return out
}

// managedGroups are the service's groups Keepstar manages on an instance,
// for its connector's Check: the explicit mappings' groups, every group's
// own name when groups map by name, the states' names when the state is a
// group there; never a reserved or unmanaged name.
func managedGroups(inst Instance, groups []named, v vocabulary) []string {
	var out []string
	for _, ext := range inst.Maps {
		if ext != "" {
			out = append(out, ext)
		}
	}
	if inst.MapByName {
		for _, g := range groups {
			if _, mapped := inst.Maps[g.ID]; !mapped {
				out = append(out, g.Name)
			}
		}
	}
	if inst.StateAsGroup {
		out = append(out, v.states...)
	}
	keep := keeper(inst, v)
	out = slices.DeleteFunc(out, keep)
	slices.Sort(out)
	return slices.Compact(out)
}

// readForm reads an instance's posted form into the Input it asks for,
// with the problems only a form can have. What the type cannot use (the
// mapping of a type without groups) keeps its stored value.
func readForm(r *http.Request, inst Instance, t Type, states, groups []named) (Input, instanceForm, i18n.Problems) {
	pf := r.PostForm
	var ps i18n.Problems
	f := instanceForm{Name: pf.Get("name"), Enabled: pf.Get("enabled") != "", Settings: map[string]string{},
		NameFormat: strings.TrimSpace(pf.Get("name_format")), StateFormats: map[int64]string{}, Maps: map[int64]groupMap{}}
	in := Input{Slug: inst.Slug, Type: inst.Type, Name: strings.TrimSpace(f.Name), Enabled: f.Enabled, Settings: map[string]string{},
		NameFormat: f.NameFormat, StateFormats: map[int64]string{}, Maps: map[int64]string{}}
	for _, set := range t.Settings {
		v := pf.Get("setting-" + set.Key)
		if set.Bool {
			v = ""
			if pf.Get("setting-"+set.Key) != "" {
				v = "true"
			}
		}
		in.Settings[set.Key] = v
		if !set.Secret {
			f.Settings[set.Key] = v
		}
	}
	for _, st := range states {
		if v := strings.TrimSpace(pf.Get(stateFormatField(st.ID))); v != "" {
			f.StateFormats[st.ID], in.StateFormats[st.ID] = v, v
			if err := CheckFormat(v); err != nil {
				ps.Add(stateFormatField(st.ID), "services.admin.error.state_format", "State", st.Name, "Error", err.Error())
			}
		}
	}
	if !t.Capabilities.Groups {
		in.MapByName, in.StateAsGroup, in.Unmanaged, in.Maps = inst.MapByName, inst.StateAsGroup, inst.Unmanaged, inst.Maps
		return in, f, ps
	}
	f.MapByName, f.StateAsGroup, f.Unmanaged = pf.Get("map_by_name") != "", pf.Get("state_as_group") != "", pf.Get("unmanaged")
	in.MapByName, in.StateAsGroup = f.MapByName, f.StateAsGroup
	in.Unmanaged = strings.FieldsFunc(f.Unmanaged, func(r rune) bool { return r == '\n' || r == '\r' })
	for _, g := range groups {
		m := groupMap{Mode: pf.Get(mapField(g.ID)), External: strings.TrimSpace(pf.Get(mapNameField(g.ID)))}
		switch m.Mode {
		case mapSame:
			continue
		case mapNone:
			in.Maps[g.ID] = ""
			m.External = ""
		case mapNamed:
			if m.External == "" {
				ps.Add(mapNameField(g.ID), "services.admin.error.map_name", "Group", g.Name)
			}
			in.Maps[g.ID] = m.External
		default:
			ps.Add(mapField(g.ID), "services.admin.error.map_mode", "Group", g.Name)
		}
		f.Maps[g.ID] = m
	}
	return in, f, ps
}

func stateFormatField(id int64) string { return "state-format-" + strconv.FormatInt(id, 10) }
func mapField(id int64) string         { return "map-" + strconv.FormatInt(id, 10) }
func mapNameField(id int64) string     { return "map-name-" + strconv.FormatInt(id, 10) }

// instanceFields are the fields of the instance's form in the page's
// order.
func instanceFields(t Type, states, groups []named) []string {
	out := []string{"name", "enabled"}
	for _, set := range t.Settings {
		out = append(out, "setting-"+set.Key)
	}
	out = append(out, "name_format")
	for _, st := range states {
		out = append(out, stateFormatField(st.ID))
	}
	out = append(out, "map_by_name", "state_as_group", "unmanaged", "maps")
	for _, g := range groups {
		out = append(out, mapField(g.ID), mapNameField(g.ID))
	}
	return out
}

// update saves an instance's form; Update syncs every linked account when
// the instance is enabled.
func (a *adminPages) update(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	ctx := r.Context()
	t, known := a.s.Type(inst.Type)
	if !known {
		// Its form is not shown: there is nothing it could save.
		a.srv.Fail(w, r, http.StatusConflict, "services.admin.unknown_type_help", "Type", inst.Type)
		return
	}
	states, err := a.siteStates(ctx)
	if err == nil {
		var groups []named
		if groups, err = a.siteGroups(ctx); err == nil {
			a.save(w, r, inst, t, states, groups)
			return
		}
	}
	a.srv.Internal(w, r, err)
}

func (a *adminPages) save(w http.ResponseWriter, r *http.Request, inst Instance, t Type, states, groups []named) {
	ctx := r.Context()
	in, f, ps := readForm(r, inst, t, states, groups)
	for _, p := range a.s.inst.Validate(ctx, inst.ID, in) {
		// Validate says the first bad format of all as the default's: a
		// state's is said on its own field already.
		if p.Field == "name_format" && CheckFormat(in.NameFormat) == nil {
			continue
		}
		ps = append(ps, p)
	}
	fields := instanceFields(t, states, groups)
	if len(ps) > 0 {
		f.Problems = a.srv.Problems(r, ps).InOrder(fields...)
		a.renderInstance(w, r, http.StatusUnprocessableEntity, inst, f)
		return
	}
	saved, err := a.s.Update(ctx, inst.ID, in)
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		f.Problems = a.srv.Problems(r, invalid.Problems).InOrder(fields...)
		a.renderInstance(w, r, http.StatusUnprocessableEntity, inst, f)
		return
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "services.error.not_found")
		return
	case errors.Is(err, ErrInvalid):
		// A state or group of the form was deleted while it was filled in.
		f.Problems = web.FormProblems{a.srv.Problem(r, "", "services.admin.error.changed")}
		a.renderInstance(w, r, http.StatusConflict, inst, f)
		return
	case err != nil:
		a.srv.Internal(w, r, err)
		return
	}
	a.s.logger.InfoContext(ctx, "service changed by an admin", "service", saved.Slug, "enabled", saved.Enabled,
		"by", web.ViewerFrom(ctx).AccountID)
	if saved.Enabled {
		a.srv.AddFlash(r, "success", "services.admin.flash.saved_sync", "Name", saved.Name)
	} else {
		a.srv.AddFlash(r, "success", "services.admin.flash.saved", "Name", saved.Name)
	}
	web.SeeOther(w, r, instancePath(saved.Slug))
}
