package timers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages: the list (GET /timers), the form to add and to
// change a timer, and the deletion, each with its permission.
func (tm *Timers) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{tm: tm, srv: srv, pages: pages}
	srv.Handle("GET /timers", pageAccess, http.HandlerFunc(h.list))
	srv.Handle("GET /timers/add", addAccess, http.HandlerFunc(h.addForm))
	srv.Handle("POST /timers/add", addAccess, http.HandlerFunc(h.add))
	srv.Handle("GET /timers/{id}/edit", changeAccess, http.HandlerFunc(h.editForm))
	srv.Handle("POST /timers/{id}/edit", changeAccess, http.HandlerFunc(h.edit))
	srv.HandleConfirmed("/timers/{id}/delete", deleteAccess, h.askDelete, h.delete)
	return nil
}

type handlers struct {
	tm    *Timers
	srv   *web.Server
	pages *web.Pages
}

// ISO is the timer's time as the countdown script reads it.
func (t Timer) ISO() string { return t.EVETime.UTC().Format(time.RFC3339) }

// listPage is the data of list.html.
type listPage struct {
	Sections                  []section
	CanAdd, CanChange, CanDel bool
	Now                       time.Time
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	now := h.tm.now().UTC()
	d := listPage{CanAdd: v.Has(PermissionAdd.Name), CanChange: v.Has(PermissionChange.Name), CanDel: v.Has(PermissionDelete.Name), Now: now}
	upcoming, err := h.tm.Upcoming(ctx, v, now)
	var past []Timer
	if err == nil {
		past, err = h.tm.Past(ctx, v, now)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d.Sections = []section{{ID: "upcoming", Heading: "timers.upcoming", Empty: "timers.none_upcoming", List: upcoming},
		{ID: "past", Heading: "timers.past", Empty: "timers.none_past", List: past}}
	h.srv.Render(w, r, h.pages, "list.html", http.StatusOK, "timers.title", d)
}

// section is one list of the page.
type section struct {
	ID, Heading, Empty string
	List               []Timer
}

// formPage is the data of form.html.
type formPage struct {
	// ID is the timer changed, 0 for a new one.
	ID         int64
	Form       form
	Problems   web.FormProblems
	Structures []Structure
	TimerTypes []string
	Objectives []string
	Max        map[string]int
}

// form is what the member typed, shown again with its problems.
type form struct {
	System, PlanetMoon, Structure, TimerType, Objective, Owner, Details string
	EVETime, Days, Hours, Minutes                                       string
	Important, CorporationOnly                                          bool
}

// eveTimeForms are the forms an EVE time is typed in: the browser's
// datetime-local, and as EVE and Alliance Auth write it.
var eveTimeForms = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05",
	"2006.01.02 15:04", "2006.01.02 15:04:05"}

// parse reads the form into an Input, with the problems of what is not a
// time or a number.
func parse(r *http.Request) (form, Input, i18n.Problems) {
	f := form{System: r.PostForm.Get("system"), PlanetMoon: r.PostForm.Get("planet_moon"), Structure: r.PostForm.Get("structure"),
		TimerType: r.PostForm.Get("timer_type"), Objective: r.PostForm.Get("objective"), Owner: r.PostForm.Get("owner"),
		Details: r.PostForm.Get("details"), EVETime: strings.TrimSpace(r.PostForm.Get("eve_time")),
		Days: strings.TrimSpace(r.PostForm.Get("days")), Hours: strings.TrimSpace(r.PostForm.Get("hours")),
		Minutes: strings.TrimSpace(r.PostForm.Get("minutes")), Important: r.PostForm.Get("important") != "",
		CorporationOnly: r.PostForm.Get("corporation_only") != ""}
	in := Input{System: f.System, PlanetMoon: f.PlanetMoon, Structure: f.Structure, TimerType: f.TimerType,
		Objective: f.Objective, Owner: f.Owner, Details: f.Details, Important: f.Important, CorporationOnly: f.CorporationOnly}
	var ps i18n.Problems
	if f.EVETime != "" {
		ok := false
		for _, layout := range eveTimeForms {
			if t, err := time.ParseInLocation(layout, f.EVETime, time.UTC); err == nil {
				in.EVETime, ok = t, true
				break
			}
		}
		if !ok {
			ps.Add("eve_time", "timers.error.time_format")
		}
	}
	for _, n := range []struct {
		s   string
		dst *int
	}{{f.Days, &in.Days}, {f.Hours, &in.Hours}, {f.Minutes, &in.Minutes}} {
		if n.s == "" {
			continue
		}
		v, err := strconv.Atoi(n.s)
		if err != nil {
			ps.Add("remaining", "timers.error.remaining")
			break
		}
		*n.dst = v
	}
	return f, in, ps
}

func formOf(t Timer) form {
	return form{System: t.System, PlanetMoon: t.PlanetMoon, Structure: t.Structure, TimerType: t.TimerType,
		Objective: t.Objective, Owner: t.Owner, Details: t.Details, EVETime: t.EVETime.UTC().Format("2006-01-02T15:04"),
		Important: t.Important, CorporationOnly: t.CorporationID != 0}
}

func (h *handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, id int64, f form, ps web.FormProblems) {
	title := "timers.add_title"
	if id != 0 {
		title = "timers.edit_title"
	}
	h.srv.Render(w, r, h.pages, "form.html", status, title, formPage{ID: id, Form: f, Problems: ps, Structures: Structures,
		TimerTypes: TimerTypes, Objectives: Objectives,
		Max: map[string]int{"system": maxSystem, "planet_moon": maxPlanet, "owner": maxOwner, "details": maxDetails}})
}

func (h *handlers) addForm(w http.ResponseWriter, r *http.Request) {
	h.renderForm(w, r, http.StatusOK, 0, form{Structure: Structures[0].Key, TimerType: TimerTypes[0], Objective: Objectives[0]}, nil)
}

// id reads the path's timer id; a malformed one is no timer.
func (h *handlers) id(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.srv.Fail(w, r, http.StatusNotFound, "timers.error.not_found")
		return 0, false
	}
	return id, true
}

// load reads the path's timer, answering 404 for one the viewer does not
// see.
func (h *handlers) load(w http.ResponseWriter, r *http.Request) (Timer, bool) {
	id, ok := h.id(w, r)
	if !ok {
		return Timer{}, false
	}
	t, err := h.tm.Get(r.Context(), web.ViewerFrom(r.Context()), id)
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "timers.error.not_found")
		return Timer{}, false
	case err != nil:
		h.srv.Internal(w, r, err)
		return Timer{}, false
	}
	return t, true
}

func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) {
	t, ok := h.load(w, r)
	if !ok {
		return
	}
	h.renderForm(w, r, http.StatusOK, t.ID, formOf(t), nil)
}

var fieldOrder = []string{"system", "planet_moon", "structure", "timer_type", "objective", "eve_time", "remaining",
	"owner", "details", "corporation_only"}

func (h *handlers) add(w http.ResponseWriter, r *http.Request) {
	h.save(w, r, 0)
}

func (h *handlers) edit(w http.ResponseWriter, r *http.Request) {
	t, ok := h.load(w, r)
	if !ok {
		return
	}
	h.save(w, r, t.ID)
}

func (h *handlers) save(w http.ResponseWriter, r *http.Request, id int64) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "timers.error.form")
		return
	}
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	f, in, ps := parse(r)
	if len(ps) > 0 {
		h.renderForm(w, r, http.StatusUnprocessableEntity, id, f, h.srv.Problems(r, ps).InOrder(fieldOrder...))
		return
	}
	var t Timer
	var err error
	if id == 0 {
		t, err = h.tm.Create(ctx, v, in)
	} else {
		t, err = h.tm.Update(ctx, v, id, in)
	}
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.renderForm(w, r, http.StatusUnprocessableEntity, id, f, h.srv.Problems(r, invalid.Problems).InOrder(fieldOrder...))
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "timers.error.not_found")
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		if id == 0 {
			h.srv.AddFlash(r, "success", "timers.added")
		} else {
			h.srv.AddFlash(r, "success", "timers.changed")
		}
		http.Redirect(w, r, "/timers#timer-"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	}
}

func (h *handlers) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	t, ok := h.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question: i18n.M("timers.delete_question", "Structure", i18n.M(t.StructureLabel()), "System", t.System, "When", web.EVETime(t.EVETime)),
		Button:   i18n.M("timers.delete"),
		Back:     "/timers",
	}, true
}

func (h *handlers) delete(w http.ResponseWriter, r *http.Request) {
	t, ok := h.load(w, r)
	if !ok {
		return
	}
	if err := h.tm.Delete(r.Context(), web.ViewerFrom(r.Context()), t.ID); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "timers.deleted")
	http.Redirect(w, r, "/timers", http.StatusSeeOther)
}

// TypeLabel and ObjectiveLabel are the message ids naming the timer's
// type and objective.
func (t Timer) TypeLabel() string { return typeLabels[t.TimerType] }

func (t Timer) ObjectiveLabel() string { return objectiveLabels[t.Objective] }

// Label gives the message id of a timer type or objective, for the form.
func (formPage) Label(s string) string {
	if l, ok := typeLabels[s]; ok {
		return l
	}
	return objectiveLabels[s]
}

var typeLabels = map[string]string{"shield": "timers.type.shield", "armor": "timers.type.armor", "hull": "timers.type.hull",
	"final": "timers.type.final", "anchoring": "timers.type.anchoring", "unanchoring": "timers.type.unanchoring"}

var objectiveLabels = map[string]string{"friendly": "timers.objective.friendly", "hostile": "timers.objective.hostile",
	"neutral": "timers.objective.neutral"}
