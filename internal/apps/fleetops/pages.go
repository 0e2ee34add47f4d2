package fleetops

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages: the list (GET /fleetops), the form to add and to
// change an operation, and the deletion.
func (f *FleetOps) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{f: f, srv: srv, pages: pages}
	srv.Handle("GET /fleetops", pageAccess, http.HandlerFunc(h.list))
	srv.Handle("GET /fleetops/add", manageAccess, http.HandlerFunc(h.addForm))
	srv.Handle("POST /fleetops/add", manageAccess, http.HandlerFunc(h.add))
	srv.Handle("GET /fleetops/{id}/edit", manageAccess, http.HandlerFunc(h.editForm))
	srv.Handle("POST /fleetops/{id}/edit", manageAccess, http.HandlerFunc(h.edit))
	srv.HandleConfirmed("/fleetops/{id}/delete", manageAccess, h.askDelete, h.delete)
	return nil
}

type handlers struct {
	f     *FleetOps
	srv   *web.Server
	pages *web.Pages
}

// ISO is the start as the countdown script reads it.
func (o Operation) ISO() string { return o.Start.UTC().Format(time.RFC3339) }

// section is one list of the page.
type section struct {
	ID, Heading, Empty string
	List               []Operation
}

// listPage is the data of list.html.
type listPage struct {
	Sections []section
	Manage   bool
	Now      time.Time
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	now := h.f.now().UTC()
	upcoming, err := h.f.Upcoming(ctx, now)
	var past []Operation
	if err == nil {
		past, err = h.f.Past(ctx, now)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "list.html", http.StatusOK, "fleetops.title", listPage{Manage: v.Has(PermissionManage.Name), Now: now,
		Sections: []section{{ID: "upcoming", Heading: "fleetops.upcoming", Empty: "fleetops.none_upcoming", List: upcoming},
			{ID: "past", Heading: "fleetops.past", Empty: "fleetops.none_past", List: past}}})
}

// form is what the officer typed, shown again with its problems.
type form struct {
	Name, Doctrine, System, Duration, FC, Type, Description string
	Start, Days, Hours, Minutes                             string
}

// formPage is the data of form.html.
type formPage struct {
	ID       int64
	Form     form
	Problems web.FormProblems
	MaxShort int
	MaxDesc  int
}

// startForms are the forms a start is typed in: the browser's
// datetime-local, and as EVE writes it.
var startForms = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05",
	"2006.01.02 15:04", "2006.01.02 15:04:05"}

func parse(r *http.Request) (form, Input, i18n.Problems) {
	p := r.PostForm
	f := form{Name: p.Get("name"), Doctrine: p.Get("doctrine"), System: p.Get("system"), Duration: p.Get("duration"),
		FC: p.Get("fc"), Type: p.Get("type"), Description: p.Get("description"), Start: strings.TrimSpace(p.Get("start")),
		Days: strings.TrimSpace(p.Get("days")), Hours: strings.TrimSpace(p.Get("hours")), Minutes: strings.TrimSpace(p.Get("minutes"))}
	in := Input{Name: f.Name, Doctrine: f.Doctrine, System: f.System, Duration: f.Duration, FC: f.FC, Type: f.Type,
		Description: f.Description}
	var ps i18n.Problems
	if f.Start != "" {
		ok := false
		for _, layout := range startForms {
			if t, err := time.ParseInLocation(layout, f.Start, time.UTC); err == nil {
				in.Start, ok = t, true
				break
			}
		}
		if !ok {
			ps.Add("start", "fleetops.error.time_format")
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
			ps.Add("relative", "fleetops.error.relative")
			break
		}
		*n.dst = v
	}
	return f, in, ps
}

func formOf(o Operation) form {
	return form{Name: o.Name, Doctrine: o.Doctrine, System: o.System, Duration: o.Duration, FC: o.FC, Type: o.Type,
		Description: o.Description, Start: o.Start.UTC().Format("2006-01-02T15:04")}
}

var fieldOrder = []string{"name", "doctrine", "system", "start", "relative", "duration", "fc", "type", "description"}

func (h *handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, id int64, f form, ps web.FormProblems) {
	title := "fleetops.add_title"
	if id != 0 {
		title = "fleetops.edit_title"
	}
	h.srv.Render(w, r, h.pages, "form.html", status, title, formPage{ID: id, Form: f, Problems: ps, MaxShort: maxShort,
		MaxDesc: maxDescription})
}

func (h *handlers) addForm(w http.ResponseWriter, r *http.Request) {
	h.renderForm(w, r, http.StatusOK, 0, form{}, nil)
}

func (h *handlers) load(w http.ResponseWriter, r *http.Request) (Operation, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.srv.Fail(w, r, http.StatusNotFound, "fleetops.error.not_found")
		return Operation{}, false
	}
	o, err := h.f.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "fleetops.error.not_found")
		return Operation{}, false
	case err != nil:
		h.srv.Internal(w, r, err)
		return Operation{}, false
	}
	return o, true
}

func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) {
	o, ok := h.load(w, r)
	if !ok {
		return
	}
	h.renderForm(w, r, http.StatusOK, o.ID, formOf(o), nil)
}

func (h *handlers) add(w http.ResponseWriter, r *http.Request) { h.save(w, r, 0) }

func (h *handlers) edit(w http.ResponseWriter, r *http.Request) {
	o, ok := h.load(w, r)
	if !ok {
		return
	}
	h.save(w, r, o.ID)
}

func (h *handlers) save(w http.ResponseWriter, r *http.Request, id int64) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "fleetops.error.form")
		return
	}
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	f, in, ps := parse(r)
	if len(ps) > 0 {
		h.renderForm(w, r, http.StatusUnprocessableEntity, id, f, h.srv.Problems(r, ps).InOrder(fieldOrder...))
		return
	}
	var o Operation
	var err error
	if id == 0 {
		o, err = h.f.Create(ctx, v.AccountID, v.Name, in)
	} else {
		o, err = h.f.Update(ctx, v.AccountID, id, in)
	}
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.renderForm(w, r, http.StatusUnprocessableEntity, id, f, h.srv.Problems(r, invalid.Problems).InOrder(fieldOrder...))
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "fleetops.error.not_found")
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		if id == 0 {
			h.srv.AddFlash(r, "success", "fleetops.added")
		} else {
			h.srv.AddFlash(r, "success", "fleetops.changed")
		}
		http.Redirect(w, r, "/fleetops#op-"+strconv.FormatInt(o.ID, 10), http.StatusSeeOther)
	}
}

func (h *handlers) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	o, ok := h.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question: i18n.M("fleetops.delete_question", "Name", o.Name, "When", web.EVETime(o.Start)),
		Button:   i18n.M("fleetops.delete"),
		Back:     "/fleetops",
	}, true
}

func (h *handlers) delete(w http.ResponseWriter, r *http.Request) {
	o, ok := h.load(w, r)
	if !ok {
		return
	}
	err := h.f.Delete(r.Context(), web.ViewerFrom(r.Context()).AccountID, o.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "fleetops.error.not_found")
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "fleetops.deleted")
		http.Redirect(w, r, "/fleetops", http.StatusSeeOther)
	}
}
