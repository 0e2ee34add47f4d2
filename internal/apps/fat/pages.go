package fat

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages. Opening a fatlink and one's own statistics are for
// any member (Alliance Auth: "users do not require any permissions to
// interact with FAT links"); making links and importing fleets need
// fat.manage, everyone's statistics fat.view_statistics.
func (f *FAT) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{f: f, srv: srv, pages: pages}
	srv.Handle("GET /fat", web.LoggedIn, http.HandlerFunc(h.personal))
	srv.Handle("GET /fat/click/{hash}", web.LoggedIn, http.HandlerFunc(h.clickPage))
	srv.Handle("POST /fat/click/{hash}", web.LoggedIn, http.HandlerFunc(h.click))
	srv.Handle("GET /fat/links", manageAccess, http.HandlerFunc(h.links))
	srv.Handle("POST /fat/links", manageAccess, http.HandlerFunc(h.create))
	srv.Handle("GET /fat/links/{id}", manageAccess, http.HandlerFunc(h.link))
	srv.Handle("POST /fat/links/{id}/import", manageAccess, http.HandlerFunc(h.importFleet))
	srv.Handle("GET /fat/stats", statsAccess, http.HandlerFunc(h.stats))
	srv.Handle("GET /fat/stats/csv", statsAccess, http.HandlerFunc(h.statsCSV))
	srv.Handle("GET /fat/stats/corporations/{id}", statsAccess, http.HandlerFunc(h.corporation))
	srv.Handle("GET /fat/stats/corporations/{id}/csv", statsAccess, http.HandlerFunc(h.corporationCSV))
	return nil
}

type handlers struct {
	f     *FAT
	srv   *web.Server
	pages *web.Pages
}

// linksShown is how many links the list shows, the newest.
const linksShown = 100

// topShown is the length of a month's top list.
const topShown = 25

// month reads ?month= (this month without it); false after answering 400.
func (h *handlers) month(w http.ResponseWriter, r *http.Request) (Month, bool) {
	v := r.URL.Query().Get("month")
	if v == "" {
		return MonthOf(h.f.now()), true
	}
	m, ok := ParseMonth(v)
	if !ok {
		h.srv.Fail(w, r, http.StatusBadRequest, "fat.error.month")
		return 0, false
	}
	return m, true
}

// personalPage is the data of personal.html.
type personalPage struct {
	Month   Month
	Months  []MonthCount
	Records []Record
	Manage  bool
	Stats   bool
}

func (h *handlers) personal(w http.ResponseWriter, r *http.Request) {
	m, ok := h.month(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	d := personalPage{Month: m, Manage: v.Has(PermissionManage.Name), Stats: v.Has(PermissionStatistics.Name)}
	var err error
	if d.Months, err = AccountMonths(ctx, h.f.db, v.AccountID); err == nil {
		d.Records, err = AccountRecords(ctx, h.f.db, v.AccountID, m)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "personal.html", http.StatusOK, "fat.title", d)
}

// clickPageData is the data of click.html.
type clickPageData struct {
	Link       Link
	Expired    bool
	Characters []Character
	Login      string
	Scopes     []string
	Recorded   []int32 // the member's characters recorded on the link
}

// Usable reports whether any character can be recorded.
func (d clickPageData) Usable() bool {
	for _, c := range d.Characters {
		if c.Usable() {
			return true
		}
	}
	return false
}

// IsRecorded reports whether a character is recorded on the link.
func (d clickPageData) IsRecorded(id int32) bool {
	for _, r := range d.Recorded {
		if r == id {
			return true
		}
	}
	return false
}

func (h *handlers) clickPage(w http.ResponseWriter, r *http.Request) {
	h.renderClick(w, r, http.StatusOK)
}

func (h *handlers) renderClick(w http.ResponseWriter, r *http.Request, status int) {
	ctx := r.Context()
	l, err := LinkByHash(ctx, h.f.db, r.PathValue("hash"))
	if errors.Is(err, ErrNotFound) {
		h.srv.Fail(w, r, http.StatusNotFound, "fat.error.not_found")
		return
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	login, _, err := h.f.loginSettings(ctx)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	v := web.ViewerFrom(ctx)
	d := clickPageData{Link: l, Expired: l.Expired(h.f.now()), Login: login, Scopes: ClickScopes}
	if d.Characters, err = AccountCharacters(ctx, h.f.db, v.AccountID, login, ClickScopes); err == nil {
		var recs []Record
		recs, err = LinkRecords(ctx, h.f.db, l.ID)
		for _, rec := range recs {
			for _, c := range d.Characters {
				if c.ID == rec.CharacterID {
					d.Recorded = append(d.Recorded, c.ID)
				}
			}
		}
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "click.html", status, "fat.click.title", d)
}

// formCharacter reads the character of a form; false after answering 400.
func (h *handlers) formCharacter(w http.ResponseWriter, r *http.Request) (int32, bool) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "fat.error.form")
		return 0, false
	}
	id, err := strconv.ParseInt(r.PostForm.Get("character"), 10, 32)
	if err != nil || id <= 0 {
		h.srv.Fail(w, r, http.StatusBadRequest, "fat.error.character")
		return 0, false
	}
	return int32(id), true
}

// refusal answers why a participation or an import was refused; false
// when err is none of those.
func (h *handlers) refusal(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, ErrNotFound):
		h.srv.Fail(w, r, http.StatusNotFound, "fat.error.not_found")
	case errors.Is(err, ErrExpired):
		h.srv.Fail(w, r, http.StatusGone, "fat.error.expired")
	case errors.Is(err, ErrRecorded):
		h.srv.Fail(w, r, http.StatusConflict, "fat.error.recorded")
	case errors.Is(err, ErrOffline):
		h.srv.Fail(w, r, http.StatusConflict, "fat.error.offline")
	case errors.Is(err, ErrNoToken):
		h.srv.Fail(w, r, http.StatusBadRequest, "fat.error.no_token")
	case errors.Is(err, ErrNotBoss):
		h.srv.Fail(w, r, http.StatusConflict, "fat.error.not_boss")
	case errors.Is(err, ErrESI):
		h.f.logger.WarnContext(r.Context(), "fat: ESI failed", "error", err)
		h.srv.Fail(w, r, http.StatusServiceUnavailable, "fat.error.esi")
	default:
		return false
	}
	return true
}

func (h *handlers) click(w http.ResponseWriter, r *http.Request) {
	char, ok := h.formCharacter(w, r)
	if !ok {
		return
	}
	hash := r.PathValue("hash")
	rec, err := h.f.Click(r.Context(), hash, web.ViewerFrom(r.Context()).AccountID, char)
	if err != nil {
		if !h.refusal(w, r, err) {
			h.srv.Internal(w, r, err)
		}
		return
	}
	h.srv.AddFlash(r, "success", "fat.click.recorded", "Name", rec.CharacterName, "Fleet", rec.Fleet)
	web.SeeOther(w, r, "/fat/click/"+hash)
}

// linksPage is the data of links.html.
type linksPage struct {
	Links    []Link
	Fleet    string
	Duration string
	Problems web.FormProblems
	Max      int
	now      time.Time
}

// Expired reports whether a link has expired.
func (d linksPage) Expired(l Link) bool { return l.Expired(d.now) }

func (h *handlers) links(w http.ResponseWriter, r *http.Request) {
	h.renderLinks(w, r, http.StatusOK, LinkInput{Duration: "60"}, nil)
}

func (h *handlers) renderLinks(w http.ResponseWriter, r *http.Request, status int, in LinkInput, ps web.FormProblems) {
	ls, err := Links(r.Context(), h.f.db, linksShown)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "links.html", status, "fat.links.title",
		linksPage{Links: ls, Fleet: in.Fleet, Duration: in.Duration, Problems: ps, now: h.f.now(), Max: MaxDuration})
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "fat.error.form")
		return
	}
	in := LinkInput{Fleet: r.PostForm.Get("fleet"), Duration: r.PostForm.Get("duration")}
	v := web.ViewerFrom(r.Context())
	l, err := h.f.CreateLink(r.Context(), in, v.AccountID, v.Name)
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		h.renderLinks(w, r, http.StatusUnprocessableEntity, in, h.srv.Problems(r, invalid.Problems).InOrder("fleet", "duration"))
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "fat.links.created")
		web.SeeOther(w, r, "/fat/links/"+strconv.FormatInt(l.ID, 10))
	}
}

// linkPage is the data of link.html.
type linkPage struct {
	Link       Link
	URL        string
	Expired    bool
	Records    []Record
	Characters []Character // the commander's, for the fleet import
	Login      string
	Scopes     []string
}

// Usable reports whether any character can import a fleet.
func (d linkPage) Usable() bool {
	for _, c := range d.Characters {
		if c.Usable() {
			return true
		}
	}
	return false
}

// pathLink reads the link of the path; false after answering 404.
func (h *handlers) pathLink(w http.ResponseWriter, r *http.Request) (Link, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.srv.Fail(w, r, http.StatusNotFound, "fat.error.not_found")
		return Link{}, false
	}
	l, err := LinkByID(r.Context(), h.f.db, id)
	if errors.Is(err, ErrNotFound) {
		h.srv.Fail(w, r, http.StatusNotFound, "fat.error.not_found")
		return l, false
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return l, false
	}
	return l, true
}

func (h *handlers) link(w http.ResponseWriter, r *http.Request) {
	l, ok := h.pathLink(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	_, login, err := h.f.loginSettings(ctx)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d := linkPage{Link: l, URL: h.f.baseURL + "/fat/click/" + l.Hash, Expired: l.Expired(h.f.now()), Login: login, Scopes: FleetScopes}
	if d.Records, err = LinkRecords(ctx, h.f.db, l.ID); err == nil {
		d.Characters, err = AccountCharacters(ctx, h.f.db, web.ViewerFrom(ctx).AccountID, login, FleetScopes)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "link.html", http.StatusOK, "fat.link.title", d)
}

func (h *handlers) importFleet(w http.ResponseWriter, r *http.Request) {
	l, ok := h.pathLink(w, r)
	if !ok {
		return
	}
	char, ok := h.formCharacter(w, r)
	if !ok {
		return
	}
	res, err := h.f.Import(r.Context(), l.ID, web.ViewerFrom(r.Context()).AccountID, char)
	if err != nil {
		if !h.refusal(w, r, err) {
			h.srv.Internal(w, r, err)
		}
		return
	}
	h.srv.AddFlash(r, "success", "fat.link.imported", "Members", res.Members, "Recorded", res.Recorded)
	web.SeeOther(w, r, "/fat/links/"+strconv.FormatInt(l.ID, 10))
}

// statsPage is the data of stats.html.
type statsPage struct {
	Month        Month
	Corporations []CorporationRow
	Top          []MemberRow
	Fats         int
}

func (h *handlers) stats(w http.ResponseWriter, r *http.Request) {
	m, ok := h.month(w, r)
	if !ok {
		return
	}
	d := statsPage{Month: m}
	var err error
	if d.Corporations, err = CorporationsOfMonth(r.Context(), h.f.db, m); err == nil {
		d.Top, err = TopOfMonth(r.Context(), h.f.db, m, topShown)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	for _, c := range d.Corporations {
		d.Fats += c.Fats
	}
	h.srv.Render(w, r, h.pages, "stats.html", http.StatusOK, "fat.stats.title", d)
}

// corporationPage is the data of corporation.html.
type corporationPage struct {
	Month   Month
	ID      int32
	Name    string
	Members []MemberRow
	Fats    int
}

// pathCorporation reads the corporation of the path; false after 404.
func (h *handlers) pathCorporation(w http.ResponseWriter, r *http.Request) (int32, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 32)
	if err != nil || id < 0 {
		h.srv.Fail(w, r, http.StatusNotFound, "fat.error.corporation")
		return 0, false
	}
	return int32(id), true
}

func (h *handlers) corporation(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathCorporation(w, r)
	if !ok {
		return
	}
	m, ok := h.month(w, r)
	if !ok {
		return
	}
	ms, err := CorporationMembers(r.Context(), h.f.db, id, m)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d := corporationPage{Month: m, ID: id, Members: ms}
	for _, x := range ms {
		d.Fats += x.Fats
		d.Name = x.CorporationName
	}
	h.srv.Render(w, r, h.pages, "corporation.html", http.StatusOK, "fat.corporation.title", d)
}

// csvHeaders name the CSV's columns: technical names, as a spreadsheet's
// formulas refer to them, in every language.
var (
	corporationsHeader = []string{"month", "corporation_id", "corporation_name", "fats", "characters"}
	membersHeader      = []string{"month", "character_id", "character_name", "corporation_id", "corporation_name", "fats"}
)

func (h *handlers) statsCSV(w http.ResponseWriter, r *http.Request) {
	m, ok := h.month(w, r)
	if !ok {
		return
	}
	cs, err := CorporationsOfMonth(r.Context(), h.f.db, m)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	cw := startCSV(w, "fat-"+m.String()+".csv", corporationsHeader)
	for _, c := range cs {
		_ = cw.Write([]string{m.String(), strconv.Itoa(int(c.ID)), safeCell(c.Name), strconv.Itoa(c.Fats), strconv.Itoa(c.Characters)})
	}
	cw.Flush()
}

func (h *handlers) corporationCSV(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathCorporation(w, r)
	if !ok {
		return
	}
	m, ok := h.month(w, r)
	if !ok {
		return
	}
	ms, err := CorporationMembers(r.Context(), h.f.db, id, m)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	cw := startCSV(w, "fat-"+strconv.Itoa(int(id))+"-"+m.String()+".csv", membersHeader)
	for _, x := range ms {
		_ = cw.Write([]string{m.String(), strconv.Itoa(int(x.CharacterID)), safeCell(x.Name), strconv.Itoa(int(x.CorporationID)),
			safeCell(x.CorporationName), strconv.Itoa(x.Fats)})
	}
	cw.Flush()
}

func startCSV(w http.ResponseWriter, filename string, header []string) *csv.Writer {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	return cw
}

// safeCell keeps a player-chosen name from being taken for a formula by a
// spreadsheet (CSV injection).
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// Rank is the place of the i-th of the top list.
func (statsPage) Rank(i int) int { return i + 1 }
