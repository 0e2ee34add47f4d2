package tracking

import (
	"embed"
	"encoding/csv"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// mount adds the pages: the corporations a viewer may see, one's members
// (and as CSV), and the administration of the tracking groups. The role
// admits to the pages; which corporation is the handler's to check.
func (t *Tracking) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{t: t, srv: srv, pages: pages}
	srv.Handle("GET /tracking", viewAccess, http.HandlerFunc(h.list))
	srv.Handle("GET /tracking/{id}", viewAccess, http.HandlerFunc(h.members))
	srv.Handle("GET /tracking/{id}/csv", viewAccess, http.HandlerFunc(h.csv))
	srv.Handle("GET /admin/tracking", adminAccess, http.HandlerFunc(h.admin))
	srv.Handle("POST /admin/tracking/{id}/groups", adminAccess, http.HandlerFunc(h.setGroups))
	return nil
}

type handlers struct {
	t     *Tracking
	srv   *web.Server
	pages *web.Pages
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	cs, err := Visible(r.Context(), h.t.db, web.ViewerFrom(r.Context()).AccountID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "list.html", http.StatusOK, "tracking.title", cs)
}

// membersPage is the data of members.html.
type membersPage struct {
	Corporation Corporation
	Filter      Filter
	Members     []Member
	Query       string // the filter as a query, for the CSV link and sorting
}

// SortLink is the link sorting by col, the other way when it sorts by it
// already. It is a whole URL (template.URL): html/template escapes a value
// written after a literal "?" as one query component, which made "=" and
// "&" part of a single key.
func (p membersPage) SortLink(col string) template.URL {
	f := p.Filter
	f.Desc = f.Sort == col && !f.Desc
	f.Sort = col
	return template.URL(p.path() + "?" + filterQuery(f))
}

// CSVLink is the link of the CSV of the members as filtered.
func (p membersPage) CSVLink() template.URL {
	return template.URL(p.path() + "/csv?" + p.Query)
}

func (p membersPage) path() string { return "/tracking/" + strconv.Itoa(int(p.Corporation.ID)) }

// Days is how many whole days ago t was, or -1 without t.
func (membersPage) Days(t *time.Time) int {
	if t == nil {
		return -1
	}
	return int(time.Since(*t).Hours() / 24)
}

// filterOf reads the filter from a query; what is not a number is no
// filter (a hand-made link cannot hurt).
func filterOf(q url.Values) Filter {
	f := Filter{Search: q.Get("q"), Sort: q.Get("sort"), Desc: q.Get("desc") == "1"}
	f.InactiveDays, _ = strconv.Atoi(q.Get("inactive"))
	f.ActiveDays, _ = strconv.Atoi(q.Get("active"))
	f.InactiveDays = max(0, min(f.InactiveDays, 100000))
	f.ActiveDays = max(0, min(f.ActiveDays, 100000))
	if a := q.Get("account"); a == "true" || a == "false" {
		f.Account = a
	}
	if q.Get("token") == "bad" {
		f.Token = "bad"
	}
	if _, ok := sorts[f.Sort]; !ok {
		f.Sort = ""
	}
	if len(f.Search) > 100 {
		f.Search = f.Search[:100]
	}
	return f
}

func filterQuery(f Filter) string {
	q := url.Values{}
	if f.InactiveDays > 0 {
		q.Set("inactive", strconv.Itoa(f.InactiveDays))
	}
	if f.ActiveDays > 0 {
		q.Set("active", strconv.Itoa(f.ActiveDays))
	}
	if f.Account != "" {
		q.Set("account", f.Account)
	}
	if f.Token != "" {
		q.Set("token", f.Token)
	}
	if f.Search != "" {
		q.Set("q", f.Search)
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	if f.Desc {
		q.Set("desc", "1")
	}
	return q.Encode()
}

// corporation reads the corporation of the path if the viewer may see it:
// 404 when it is not tracked or not theirs to see (which corporations are
// tracked is not told to those who may not see them).
func (h *handlers) corporation(w http.ResponseWriter, r *http.Request) (Corporation, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
	if err != nil {
		h.srv.Fail(w, r, http.StatusNotFound, "tracking.not_found")
		return Corporation{}, false
	}
	ok, err := MayView(r.Context(), h.t.db, web.ViewerFrom(r.Context()).AccountID, int32(id))
	if err != nil {
		h.srv.Internal(w, r, err)
		return Corporation{}, false
	}
	if !ok {
		h.srv.Fail(w, r, http.StatusForbidden, "tracking.forbidden")
		return Corporation{}, false
	}
	c, err := CorporationByID(r.Context(), h.t.db, int32(id))
	if errors.Is(err, ErrNotFound) {
		h.srv.Fail(w, r, http.StatusNotFound, "tracking.not_found")
		return c, false
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return c, false
	}
	return c, true
}

func (h *handlers) members(w http.ResponseWriter, r *http.Request) {
	c, ok := h.corporation(w, r)
	if !ok {
		return
	}
	f := filterOf(r.URL.Query())
	ms, err := Members(r.Context(), h.t.db, c.ID, f, h.t.now())
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "members.html", http.StatusOK, "tracking.title",
		membersPage{Corporation: c, Filter: f, Members: ms, Query: filterQuery(f)})
}

// csvHeader names the CSV's columns: technical names, as a spreadsheet's
// formulas refer to them, in every language.
var csvHeader = []string{"character_id", "character_name", "logon", "logoff", "location_id", "location_name", "ship_type_id",
	"ship_type_name", "start_date", "account", "main_id", "main_name", "token"}

func (h *handlers) csv(w http.ResponseWriter, r *http.Request) {
	c, ok := h.corporation(w, r)
	if !ok {
		return
	}
	ms, err := Members(r.Context(), h.t.db, c.ID, filterOf(r.URL.Query()), h.t.now())
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tracking-`+strconv.Itoa(int(c.ID))+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for _, m := range ms {
		_ = cw.Write([]string{itoa(int64(m.CharacterID)), safeCell(m.Name), stamp(m.LogonAt), stamp(m.LogoffAt), itoa(m.LocationID),
			safeCell(m.LocationName), itoa(int64(m.ShipTypeID)), safeCell(m.ShipTypeName), stamp(m.StartDate),
			strconv.FormatBool(m.AccountID != 0), itoa(int64(m.MainID)), safeCell(m.MainName), m.Token})
	}
	cw.Flush()
}

func itoa(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// safeCell keeps a player-chosen name from being taken for a formula by
// a spreadsheet (CSV injection): one starting with = + - @ is quoted
// with a leading apostrophe.
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// adminRow is a corporation with its tracking groups, on the admin page.
type adminRow struct {
	Corporation Corporation
	Groups      []int64
}

// adminPage is the data of admin.html.
type adminPage struct {
	Rows   []adminRow
	Groups []groups.Group
}

// Has reports whether ids holds id.
func (adminPage) Has(ids []int64, id int64) bool { return slices.Contains(ids, id) }

func (h *handlers) admin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	cs, err := Corporations(ctx, h.t.db)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	var d adminPage
	if d.Groups, err = h.t.groups.List(ctx); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	for _, c := range cs {
		gs, err := GroupsOf(ctx, h.t.db, c.ID)
		if err != nil {
			h.srv.Internal(w, r, err)
			return
		}
		d.Rows = append(d.Rows, adminRow{Corporation: c, Groups: gs})
	}
	h.srv.Render(w, r, h.pages, "admin.html", http.StatusOK, "tracking.admin.title", d)
}

func (h *handlers) setGroups(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
	if err != nil {
		h.srv.Fail(w, r, http.StatusNotFound, "tracking.not_found")
		return
	}
	if _, err := CorporationByID(ctx, h.t.db, int32(id)); errors.Is(err, ErrNotFound) {
		h.srv.Fail(w, r, http.StatusNotFound, "tracking.not_found")
		return
	} else if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "tracking.error.form")
		return
	}
	all, err := h.t.groups.List(ctx)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	var chosen []int64
	for _, s := range r.PostForm["groups"] {
		g, err := strconv.ParseInt(s, 10, 64)
		if err != nil || !slices.ContainsFunc(all, func(x groups.Group) bool { return x.ID == g }) {
			h.srv.Fail(w, r, http.StatusBadRequest, "tracking.error.group")
			return
		}
		if !slices.Contains(chosen, g) {
			chosen = append(chosen, g)
		}
	}
	if err := h.t.db.InTx(ctx, func(tx *store.Tx) error { return SetGroups(ctx, tx, int32(id), chosen) }); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "tracking.admin.saved")
	web.SeeOther(w, r, "/admin/tracking")
}
