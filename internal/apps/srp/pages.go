package srp

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages, each with its permission: members with
// srp.access see open fleets and file requests; officers with srp.manage
// open and complete fleets, decide and export.
func (s *SRP) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{s: s, srv: srv, pages: pages}
	srv.Handle("GET /srp", accessAccess, http.HandlerFunc(h.list))
	srv.Handle("POST /srp/fleets", manageAccess, http.HandlerFunc(h.createFleet))
	srv.Handle("GET /srp/fleets/{id}", accessAccess, http.HandlerFunc(h.fleet))
	srv.Handle("POST /srp/fleets/{id}/status", manageAccess, http.HandlerFunc(h.status))
	srv.Handle("GET /srp/fleets/{id}/csv", manageAccess, http.HandlerFunc(h.csv))
	srv.Handle("POST /srp/fleets/{id}/requests", accessAccess, http.HandlerFunc(h.file))
	srv.Handle("POST /srp/requests/{id}/link", accessAccess, http.HandlerFunc(h.addLink))
	srv.Handle("POST /srp/requests/{id}/decide", manageAccess, http.HandlerFunc(h.decide))
	return nil
}

type handlers struct {
	s     *SRP
	srv   *web.Server
	pages *web.Pages
}

// listPage is the data of list.html.
type listPage struct {
	Fleets   []Fleet
	Mine     []Request
	Manager  bool
	Form     fleetForm
	Problems web.FormProblems
	Totals   []Total
}

type fleetForm struct{ Name, Doctrine, Commander, Time string }

func (h *handlers) renderList(w http.ResponseWriter, r *http.Request, status int, f fleetForm, ps web.FormProblems) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	d := listPage{Manager: v.Has(PermissionManage.Name), Form: f, Problems: ps}
	var err error
	if d.Fleets, err = h.s.Fleets(ctx, d.Manager); err == nil {
		d.Mine, err = h.s.MemberRequests(ctx, v.AccountID)
	}
	if err == nil && d.Manager {
		d.Totals, err = h.s.MemberTotals(ctx, 0)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "list.html", status, "srp.title", d)
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	h.renderList(w, r, http.StatusOK, fleetForm{Time: time.Now().UTC().Format("2006-01-02T15:04")}, nil)
}

func (h *handlers) createFleet(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.form")
		return
	}
	f := fleetForm{Name: r.PostForm.Get("name"), Doctrine: r.PostForm.Get("doctrine"), Commander: r.PostForm.Get("commander"),
		Time: strings.TrimSpace(r.PostForm.Get("fleet_time"))}
	in := FleetInput{Name: f.Name, Doctrine: f.Doctrine, Commander: f.Commander}
	if t, err := time.ParseInLocation("2006-01-02T15:04", f.Time, time.UTC); err == nil {
		in.Time = t
	}
	// A time that does not parse stays zero, which the engine refuses
	// with the other problems of the form.
	var ps i18n.Problems
	{
		fl, err := h.s.CreateFleet(r.Context(), web.ViewerFrom(r.Context()), in)
		var invalid *i18n.InvalidError
		switch {
		case errors.As(err, &invalid):
			ps = invalid.Problems
		case err != nil:
			h.srv.Internal(w, r, err)
			return
		default:
			h.srv.AddFlash(r, "success", "srp.fleet_created", "Code", fl.Code)
			http.Redirect(w, r, "/srp/fleets/"+strconv.FormatInt(fl.ID, 10), http.StatusSeeOther)
			return
		}
	}
	h.renderList(w, r, http.StatusUnprocessableEntity, f, h.srv.Problems(r, ps).InOrder("name", "doctrine", "commander", "fleet_time"))
}

// pathID reads the path's id; a malformed one is nothing there.
func (h *handlers) pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.srv.Fail(w, r, http.StatusNotFound, "srp.error.not_found")
		return 0, false
	}
	return id, true
}

// loadFleet reads the path's fleet; a member without srp.manage sees only
// open fleets.
func (h *handlers) loadFleet(w http.ResponseWriter, r *http.Request) (Fleet, bool) {
	id, ok := h.pathID(w, r)
	if !ok {
		return Fleet{}, false
	}
	f, err := h.s.GetFleet(r.Context(), id)
	if errors.Is(err, ErrNotFound) || err == nil && f.Status != StatusOpen && !web.ViewerFrom(r.Context()).Has(PermissionManage.Name) {
		h.srv.Fail(w, r, http.StatusNotFound, "srp.error.not_found")
		return Fleet{}, false
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return Fleet{}, false
	}
	return f, true
}

// fleetPage is the data of fleet.html.
type fleetPage struct {
	Fleet    Fleet
	Manager  bool
	Requests []Request
	Totals   []Total
	Link     string
	Problems web.FormProblems
}

// ISK writes an amount for the pages.
func (fleetPage) ISK(v float64) string { return ISK(v) }

// ISK writes an amount for the pages.
func (listPage) ISK(v float64) string { return ISK(v) }

func (h *handlers) renderFleet(w http.ResponseWriter, r *http.Request, status int, f Fleet, link string, ps web.FormProblems) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	d := fleetPage{Fleet: f, Manager: v.Has(PermissionManage.Name), Link: link, Problems: ps}
	reqs, err := h.s.FleetRequests(ctx, f.ID)
	if err == nil && d.Manager {
		d.Totals, err = h.s.MemberTotals(ctx, f.ID)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	if d.Manager {
		d.Requests = reqs
	} else {
		for _, q := range reqs {
			if q.AccountID == v.AccountID {
				d.Requests = append(d.Requests, q)
			}
		}
	}
	h.srv.Render(w, r, h.pages, "fleet.html", status, "srp.fleet_title", d)
}

func (h *handlers) fleet(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFleet(w, r)
	if !ok {
		return
	}
	h.renderFleet(w, r, http.StatusOK, f, "", nil)
}

func (h *handlers) file(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFleet(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.form")
		return
	}
	link := r.PostForm.Get("link")
	req, err := h.s.File(r.Context(), web.ViewerFrom(r.Context()), f.ID, link, r.PostForm.Get("additional"))
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.renderFleet(w, r, http.StatusUnprocessableEntity, f, link, h.srv.Problems(r, invalid.Problems))
	case errors.Is(err, ErrClosed):
		h.srv.Fail(w, r, http.StatusConflict, "srp.error.closed")
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		if req.Resolved() {
			h.srv.AddFlash(r, "success", "srp.filed")
		} else {
			h.srv.AddFlash(r, "warning", "srp.filed_zkillboard")
		}
		http.Redirect(w, r, "/srp/fleets/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
	}
}

func (h *handlers) addLink(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.form")
		return
	}
	req, err := h.s.AddLink(r.Context(), web.ViewerFrom(r.Context()), id, r.PostForm.Get("link"))
	var invalid *i18n.InvalidError
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "srp.error.not_found")
	case errors.As(err, &invalid):
		f, ferr := h.s.GetFleet(r.Context(), req.FleetID)
		if ferr != nil {
			h.srv.Internal(w, r, ferr)
			return
		}
		h.renderFleet(w, r, http.StatusUnprocessableEntity, f, "", h.srv.Problems(r, invalid.Problems))
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "srp.filed")
		http.Redirect(w, r, "/srp/fleets/"+strconv.FormatInt(req.FleetID, 10), http.StatusSeeOther)
	}
}

func (h *handlers) status(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFleet(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.form")
		return
	}
	st := r.PostForm.Get("status")
	if st != StatusOpen && st != StatusCompleted {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.status")
		return
	}
	if err := h.s.SetFleetStatus(r.Context(), f.ID, st); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/srp/fleets/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
}

func (h *handlers) decide(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.form")
		return
	}
	var d Decision
	switch r.PostForm.Get("decision") {
	case "approve":
		d.Approve = true
	case "reject":
	default:
		h.srv.Fail(w, r, http.StatusBadRequest, "srp.error.decision")
		return
	}
	if p := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("payout")), ",", ""); p != "" {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			h.srv.Fail(w, r, http.StatusUnprocessableEntity, "srp.error.payout")
			return
		}
		d.Payout = v
	} else if d.Approve {
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "srp.error.payout")
		return
	}
	d.Comment = r.PostForm.Get("comment")
	req, err := h.s.GetRequest(r.Context(), id)
	if err == nil {
		err = h.s.Decide(r.Context(), web.ViewerFrom(r.Context()), id, d)
	}
	var invalid *i18n.InvalidError
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "srp.error.not_found")
	case errors.As(err, &invalid):
		f, ferr := h.s.GetFleet(r.Context(), req.FleetID)
		if ferr != nil {
			h.srv.Internal(w, r, ferr)
			return
		}
		h.renderFleet(w, r, http.StatusUnprocessableEntity, f, "", h.srv.Problems(r, invalid.Problems))
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "srp.decided")
		http.Redirect(w, r, "/srp/fleets/"+strconv.FormatInt(req.FleetID, 10)+"#request-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	}
}

// csv exports a fleet's approved requests for payment.
func (h *handlers) csv(w http.ResponseWriter, r *http.Request) {
	f, ok := h.loadFleet(w, r)
	if !ok {
		return
	}
	reqs, err := h.s.FleetRequests(r.Context(), f.ID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="srp-`+strconv.FormatInt(f.ID, 10)+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"character", "character_id", "ship", "killmail_id", "loss_value", "payout", "comment"})
	for _, q := range reqs {
		if q.Status != StatusApproved {
			continue
		}
		_ = cw.Write([]string{safeCell(q.CharacterName), strconv.Itoa(int(q.CharacterID)), safeCell(q.ShipName),
			strconv.FormatInt(q.KillmailID, 10), strconv.FormatFloat(q.LossValue, 'f', 2, 64),
			strconv.FormatFloat(q.Payout, 'f', 2, 64), safeCell(q.Comment)})
	}
	cw.Flush()
}

// safeCell keeps what a member or officer typed from being taken for a
// formula by a spreadsheet (CSV injection).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// StatusLabel is the message id of a request's status.
func (q Request) StatusLabel() string { return statusLabels[q.Status] }

var statusLabels = map[string]string{StatusPending: "srp.status.pending", StatusApproved: "srp.status.approved",
	StatusRejected: "srp.status.rejected", StatusOpen: "srp.status.open", StatusCompleted: "srp.status.completed"}

// StatusLabel is the message id of a fleet's status.
func (f Fleet) StatusLabel() string { return statusLabels[f.Status] }
