package corpstats

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// mount adds the pages: the Corp Stats a viewer may see, one's three
// lists, the search across them, adding one and updating one. The routes
// admit every member (an adder sees their Corp Stats whatever their
// permissions); the handlers decide from the Corp Stats and the viewer.
func (c *CorpStats) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{c: c, srv: srv, pages: pages}
	srv.Handle("GET /corpstats", web.LoggedIn, http.HandlerFunc(h.list))
	srv.Handle("GET /corpstats/search", web.LoggedIn, http.HandlerFunc(h.search))
	srv.Handle("GET /corpstats/add", addAccess, http.HandlerFunc(h.addForm))
	srv.Handle("POST /corpstats/add", addAccess, http.HandlerFunc(h.add))
	srv.Handle("GET /corpstats/{id}", web.LoggedIn, http.HandlerFunc(h.corporation))
	srv.Handle("POST /corpstats/{id}/update", web.LoggedIn, http.HandlerFunc(h.update))
	return nil
}

type handlers struct {
	c     *CorpStats
	srv   *web.Server
	pages *web.Pages
}

// maxQuery bounds a search.
const maxQuery = 100

func query(r *http.Request) string {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxQuery {
		q = q[:maxQuery]
	}
	return q
}

// anyRule reports whether the viewer holds a Corp Stats permission.
func anyRule(v *web.Viewer) bool {
	return v.Has(PermissionAdd.Name) || v.Has(PermissionViewCorp.Name) || v.Has(PermissionViewAlliance.Name) ||
		v.Has(PermissionViewState.Name) || v.Has(PermissionViewAll.Name)
}

// visible lists what the viewer may see; ok false (answered 403) for a
// member with no permission who added none.
func (h *handlers) visible(w http.ResponseWriter, r *http.Request) ([]Stats, bool) {
	v := web.ViewerFrom(r.Context())
	ss, err := Visible(r.Context(), h.c.db, ViewerOf(v))
	if err != nil {
		h.srv.Internal(w, r, err)
		return nil, false
	}
	if len(ss) == 0 && !anyRule(v) {
		h.srv.Fail(w, r, http.StatusForbidden, "corpstats.forbidden")
		return nil, false
	}
	return ss, true
}

// listPage is the data of list.html.
type listPage struct {
	Stats  []Stats
	CanAdd bool
	Query  string
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	ss, ok := h.visible(w, r)
	if !ok {
		return
	}
	h.srv.Render(w, r, h.pages, "list.html", http.StatusOK, "corpstats.title",
		listPage{Stats: ss, CanAdd: web.ViewerFrom(r.Context()).Has(PermissionAdd.Name)})
}

// hit is a member found by the search, with its Corp Stats.
type hit struct {
	Member
	CorporationID int32
	Corporation   string
}

// searchPage is the data of search.html.
type searchPage struct {
	Query   string
	Hits    []hit
	Stats   int // how many Corp Stats were searched
	TooWide bool
}

// maxHits bounds the search's answer.
const maxHits = 500

func (h *handlers) search(w http.ResponseWriter, r *http.Request) {
	ss, ok := h.visible(w, r)
	if !ok {
		return
	}
	d := searchPage{Query: query(r), Stats: len(ss)}
	if d.Query != "" {
		for _, s := range ss {
			rep, err := Build(r.Context(), h.c.db, s)
			if err != nil {
				h.srv.Internal(w, r, err)
				return
			}
			for _, m := range rep.Filter(d.Query).Members {
				if len(d.Hits) == maxHits {
					d.TooWide = true
					break
				}
				d.Hits = append(d.Hits, hit{Member: m, CorporationID: s.CorporationID, Corporation: s.Name})
			}
		}
	}
	h.srv.Render(w, r, h.pages, "search.html", http.StatusOK, "corpstats.search.title", d)
}

// choice is a character of the member offered on the add page.
type choice struct {
	ID            int32
	Name          string
	CorporationID int32
	Corporation   string
	Login         string // a valid token's login with the scope; "" without one
	Exists        bool   // its corporation has a Corp Stats
}

// addPage is the data of add.html.
type addPage struct {
	Characters []choice
	Logins     []logins.Login // those whose scopes include the membership scope
	MayCreate  bool           // the viewer may create EVE logins
	AnyUsable  bool
}

func (h *handlers) addForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	cs, err := store.Collect(ctx, h.c.db, `SELECT ch.id, ch.name, COALESCE(ch.corporation_id, 0), COALESCE(ec.name, ''),
		COALESCE((SELECT MIN(t.login) FROM eve_tokens t WHERE t.character_id = ch.id AND t.validity = 'valid'
			AND (' ' || t.scopes || ' ') LIKE $2), ''),
		EXISTS (SELECT 1 FROM corpstats s WHERE s.corporation_id = ch.corporation_id)
		FROM characters ch LEFT JOIN eve_corporations ec ON ec.id = ch.corporation_id
		WHERE ch.account_id = $1 ORDER BY ch.main DESC, ch.name`,
		func(rows store.Rows, c *choice) error {
			return rows.Scan(&c.ID, &c.Name, &c.CorporationID, &c.Corporation, &c.Login, &c.Exists)
		}, v.AccountID, "% "+MembershipScope+" %")
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	all, err := h.c.logins.List(ctx)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d := addPage{Characters: cs, MayCreate: logins.AdminAccess.Allows(h.srv, r)}
	for _, l := range all {
		if slices.Contains(l.Scopes, MembershipScope) && h.c.logins.Offered(l.Name) {
			d.Logins = append(d.Logins, l)
		}
	}
	d.AnyUsable = slices.ContainsFunc(cs, func(c choice) bool { return c.Login != "" && !c.Exists })
	h.srv.Render(w, r, h.pages, "add.html", http.StatusOK, "corpstats.add.title", d)
}

func (h *handlers) add(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "corpstats.error.form")
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("character"), 10, 32)
	if err != nil || id <= 0 {
		h.srv.Fail(w, r, http.StatusBadRequest, "corpstats.error.character")
		return
	}
	v := web.ViewerFrom(ctx)
	s, err := h.c.Add(ctx, v.AccountID, int32(id))
	switch {
	case errors.Is(err, ErrNotYours):
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "corpstats.error.not_yours")
	case errors.Is(err, ErrNoCorp):
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "corpstats.error.no_corporation")
	case errors.Is(err, ErrNoToken):
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "corpstats.error.no_token")
	case errors.Is(err, ErrExists):
		h.srv.Fail(w, r, http.StatusConflict, "corpstats.error.exists")
	case errors.Is(err, ErrRefused):
		h.srv.FailDetail(w, r, http.StatusUnprocessableEntity, err.Error(), "corpstats.error.refused")
	case errors.Is(err, ErrNoData):
		h.srv.FailDetail(w, r, http.StatusBadGateway, err.Error(), "corpstats.error.no_data")
	case err != nil:
		var limited interface{ SnoozeFor() time.Duration }
		if errors.As(err, &limited) {
			h.srv.FailDetail(w, r, http.StatusServiceUnavailable, err.Error(), "corpstats.error.no_data")
			return
		}
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "corpstats.added", "Corporation", s.Name)
		web.SeeOther(w, r, "/corpstats/"+strconv.Itoa(int(s.CorporationID)))
	}
}

// load reads the Corp Stats of the path if the viewer may see it: 403 when
// not (whether there is one is not told), 404 when there is none and the
// viewer may see all.
func (h *handlers) load(w http.ResponseWriter, r *http.Request) (Stats, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
	if err != nil {
		h.srv.Fail(w, r, http.StatusNotFound, "corpstats.not_found")
		return Stats{}, false
	}
	v := ViewerOf(web.ViewerFrom(r.Context()))
	s, ok, err := MayView(r.Context(), h.c.db, v, int32(id))
	switch {
	case ok:
		return s, true
	case errors.Is(err, ErrNotFound) && v.All:
		h.srv.Fail(w, r, http.StatusNotFound, "corpstats.not_found")
	case err != nil && !errors.Is(err, ErrNotFound):
		h.srv.Internal(w, r, err)
	default:
		h.srv.Fail(w, r, http.StatusForbidden, "corpstats.forbidden")
	}
	return Stats{}, false
}

// Views are the corporation page's lists, Alliance Auth's three.
var Views = []string{"mains", "members", "unregistered"}

// corpPage is the data of corporation.html.
type corpPage struct {
	Stats   Stats
	Report  Report // filtered by Query
	Total   int
	Mains   int // accounts among the members, unfiltered
	View    string
	Query   string
	Sort    string
	Desc    bool
	Members []Member // the view's list, this page of it
	MainsOn []Main   // the mains of this page
	Page    int      // 1-based
	Pages   int
	Per     int
	Listed  int // the view's entries on every page
	Expired bool
	Now     time.Time
}

// PerPage are the page sizes offered (Alliance Auth's tables let one show
// more rows); the default keeps a phone's page light.
var PerPage = []int{100, 500, 2000}

const defaultPer = 500

// query is the page's query with a view and a page, the search, the sort
// and the page size kept.
func (p corpPage) query(view string, page int, sort string, desc bool) string {
	q := url.Values{"view": {view}}
	if p.Query != "" {
		q.Set("q", p.Query)
	}
	if sort != "" && sort != "name" || desc {
		q.Set("sort", sort)
	}
	if desc {
		q.Set("desc", "1")
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	if p.Per != defaultPer {
		q.Set("per", strconv.Itoa(p.Per))
	}
	return p.path() + "?" + q.Encode()
}

// Prev and Next are the pages around this one.
func (p corpPage) Prev() int { return p.Page - 1 }
func (p corpPage) Next() int { return p.Page + 1 }

// PerPageChoices are the page sizes offered.
func (corpPage) PerPageChoices() []int { return PerPage }

// PageLink is this list at another page.
func (p corpPage) PageLink(page int) string { return p.query(p.View, page, p.Sort, p.Desc) }

// Link is the page with a view, the search and the page size kept.
func (p corpPage) Link(view string) string { return p.query(view, 1, "", false) }

func (p corpPage) path() string { return "/corpstats/" + strconv.Itoa(int(p.Stats.CorporationID)) }

// SortLink is the query sorting the member list by col, the other way
// when it sorts by it already.
func (p corpPage) SortLink(col string) string {
	return p.query(p.View, 1, col, p.Sort == col && !p.Desc)
}

func (h *handlers) corporation(w http.ResponseWriter, r *http.Request) {
	s, ok := h.load(w, r)
	if !ok {
		return
	}
	rep, err := Build(r.Context(), h.c.db, s)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	qv := r.URL.Query()
	d := corpPage{Stats: s, Total: len(rep.Members), Mains: len(rep.Mains), View: qv.Get("view"), Query: query(r),
		Sort: qv.Get("sort"), Desc: qv.Get("desc") == "1", Now: h.c.now()}
	if !slices.Contains(Views, d.View) {
		d.View = "mains"
	}
	if !slices.Contains(Sorts, d.Sort) {
		d.Sort = "name"
	}
	d.Expired = !d.Now.Before(s.ExpiresAt)
	d.Report = rep.Filter(d.Query)
	switch d.View {
	case "members":
		d.Members = d.Report.Members
	case "unregistered":
		d.Members = d.Report.UnregisteredMembers()
	}
	SortMembers(d.Members, d.Sort, d.Desc)
	d.Per, _ = strconv.Atoi(qv.Get("per"))
	if !slices.Contains(PerPage, d.Per) {
		d.Per = defaultPer
	}
	d.Listed = len(d.Members)
	if d.View == "mains" {
		d.Listed = len(d.Report.Mains)
	}
	d.Pages = max(1, (d.Listed+d.Per-1)/d.Per)
	d.Page, _ = strconv.Atoi(qv.Get("page"))
	d.Page = max(1, min(d.Page, d.Pages))
	from, to := (d.Page-1)*d.Per, min(d.Page*d.Per, d.Listed)
	if d.View == "mains" {
		d.MainsOn = d.Report.Mains[from:to]
	} else {
		d.Members = d.Members[from:to]
	}
	h.srv.Render(w, r, h.pages, "corporation.html", http.StatusOK, "corpstats.title", d)
}

func (h *handlers) update(w http.ResponseWriter, r *http.Request) {
	s, ok := h.load(w, r)
	if !ok {
		return
	}
	res, err := h.c.Update(r.Context(), s.CorporationID)
	if err != nil {
		var limited interface{ SnoozeFor() time.Duration }
		if errors.As(err, &limited) {
			h.srv.FailDetail(w, r, http.StatusServiceUnavailable, err.Error(), "corpstats.error.no_data")
			return
		}
		h.srv.Internal(w, r, err)
		return
	}
	switch res.Outcome {
	case Fresh:
		h.srv.AddFlash(r, "info", "corpstats.update.fresh", "When", web.EVETime(res.Stats.ExpiresAt))
	case Shared:
		h.srv.AddFlash(r, "success", "corpstats.update.shared")
	case Read:
		h.srv.AddFlash(r, "success", "corpstats.update.read", "N", res.Members)
	case Failed:
		h.srv.AddFlash(r, "danger", "corpstats.update.failed")
	}
	web.SeeOther(w, r, "/corpstats/"+strconv.Itoa(int(s.CorporationID)))
}
