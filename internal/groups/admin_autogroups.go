package groups

import (
	"errors"
	"net/http"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// adminAutogroupsPage lists the autogroup configurations, each with a form
// of what may change, and the form of a new one.
type adminAutogroupsPage struct {
	Configs    []AutogroupConfig
	States     []adminOption
	StateNames map[int64]string
	New        AutogroupConfig
	Problems   web.FormProblems
	// EditID is the configuration whose form Problems are of; 0: the new
	// one's.
	EditID int64
}

// autogroupFields are the fields of the autogroup forms in the page's
// order.
var autogroupFields = []string{"states", "corporation_groups", "corporation_prefix", "alliance_prefix", "name_source", "replace_with"}

// ProblemsOf gives the problems of the form of configuration id (0: the
// new one's), none for the other forms of the page: only the form posted
// shows its problems beside its fields.
func (p adminAutogroupsPage) ProblemsOf(id int64) web.FormProblems {
	if id != p.EditID {
		return nil
	}
	return p.Problems
}

// newAutogroups is the form of a new configuration, with Alliance Auth's
// defaults.
var newAutogroups = AutogroupConfig{CorporationGroups: true, CorporationPrefix: "Corp ", AlliancePrefix: "Alliance ", NameSource: "name"}

func (a *adminPages) renderAutogroups(w http.ResponseWriter, r *http.Request, status int, page adminAutogroupsPage) {
	ctx := r.Context()
	var err error
	if page.Configs, err = a.st.AutogroupConfigs(ctx); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	if page.States, _, err = a.options(ctx); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	page.StateNames = map[int64]string{}
	for _, s := range page.States {
		page.StateNames[s.ID] = s.Name
	}
	if page.EditID != 0 {
		// Show what was typed in the configuration's form.
		for i := range page.Configs {
			if page.Configs[i].ID == page.EditID {
				page.Configs[i].States, page.Configs[i].CorporationGroups, page.Configs[i].AllianceGroups =
					page.New.States, page.New.CorporationGroups, page.New.AllianceGroups
			}
		}
		page.New = newAutogroups
	}
	a.srv.Render(w, r, a.pages, "admin_autogroups.html", status, "groups.admin.autogroups.title", page)
}

func (a *adminPages) autogroups(w http.ResponseWriter, r *http.Request) {
	a.renderAutogroups(w, r, http.StatusOK, adminAutogroupsPage{New: newAutogroups})
}

// readAutogroups reads a configuration's form (only its states and kinds
// when full is false) and checks it with ValidateAutogroups.
func (a *adminPages) readAutogroups(r *http.Request, full bool) (AutogroupConfig, web.FormProblems, error) {
	pf := r.PostForm
	c := AutogroupConfig{CorporationGroups: pf.Get("corporation_groups") != "", AllianceGroups: pf.Get("alliance_groups") != ""}
	var ps i18n.Problems
	var bad []string
	c.States, bad = adminIDs(pf["states"])
	for _, b := range bad {
		ps.Add("states", "groups.admin.autogroups.error.state", "ID", b)
	}
	if full {
		// Prefixes are kept as typed: "Corp " ends with its space.
		c.CorporationPrefix, c.AlliancePrefix = pf.Get("corporation_prefix"), pf.Get("alliance_prefix")
		c.NameSource, c.ReplaceSpaces, c.ReplaceWith = pf.Get("name_source"), pf.Get("replace_spaces") != "", pf.Get("replace_with")
	}
	more, err := a.st.ValidateAutogroups(r.Context(), a.st.db, c, full)
	if err != nil {
		return c, nil, err
	}
	return c, a.srv.Problems(r, append(ps, more...)).InOrder(autogroupFields...), nil
}

func (a *adminPages) createAutogroups(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	c, problems, err := a.readAutogroups(r, true)
	if err == nil && len(problems) == 0 {
		_, err = a.st.CreateAutogroups(r.Context(), c)
		if errors.Is(err, ErrAutogroupInvalid) {
			problems, err = a.problemsOf(r, err, ErrAutogroupInvalid).InOrder(autogroupFields...), nil
		}
	}
	switch {
	case err != nil:
		a.srv.Internal(w, r, err)
	case len(problems) > 0:
		a.renderAutogroups(w, r, http.StatusUnprocessableEntity, adminAutogroupsPage{New: c, Problems: problems})
	default:
		a.srv.AddFlash(r, "success", "groups.admin.autogroups.created")
		web.SeeOther(w, r, "/admin/autogroups")
	}
}

func (a *adminPages) updateAutogroups(w http.ResponseWriter, r *http.Request) {
	id, ok := a.srv.PathID(w, r, "id", "groups.admin.autogroups.error.not_found")
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	c, problems, err := a.readAutogroups(r, false)
	if err == nil && len(problems) == 0 {
		err = a.st.UpdateAutogroups(r.Context(), id, c.States, c.CorporationGroups, c.AllianceGroups)
		if errors.Is(err, ErrAutogroupInvalid) {
			problems, err = a.problemsOf(r, err, ErrAutogroupInvalid).InOrder(autogroupFields...), nil
		}
	}
	switch {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.autogroups.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	case len(problems) > 0:
		a.renderAutogroups(w, r, http.StatusUnprocessableEntity, adminAutogroupsPage{New: c, Problems: problems, EditID: id})
	default:
		a.srv.AddFlash(r, "success", "groups.admin.autogroups.saved", "ID", id)
		web.SeeOther(w, r, "/admin/autogroups")
	}
}

// askDeleteAutogroups says what deleting an autogroup configuration does:
// the groups it made go, and their members lose them.
func (a *adminPages) askDeleteAutogroups(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	id, ok := a.srv.PathID(w, r, "id", "groups.admin.autogroups.error.not_found")
	if !ok {
		return web.Confirmation{}, false
	}
	im, err := a.st.AutogroupsDeletionImpact(r.Context(), a.st.db, id)
	switch {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.autogroups.error.not_found")
		return web.Confirmation{}, false
	case err != nil:
		a.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question: i18n.M("groups.admin.autogroups.delete_question", "ID", id),
		Consequences: []i18n.Message{
			i18n.M("groups.admin.autogroups.delete_groups", "Count", im.Groups),
			i18n.M("groups.admin.autogroups.delete_members", "Count", im.Members),
		},
		Button: i18n.M("groups.admin.autogroups.delete_confirm"),
		Back:   "/admin/autogroups",
	}, true
}

func (a *adminPages) deleteAutogroups(w http.ResponseWriter, r *http.Request) {
	id, ok := a.srv.PathID(w, r, "id", "groups.admin.autogroups.error.not_found")
	if !ok {
		return
	}
	switch err := a.st.DeleteAutogroups(r.Context(), id); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.autogroups.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "groups.admin.autogroups.deleted", "ID", id)
		web.SeeOther(w, r, "/admin/autogroups")
	}
}
