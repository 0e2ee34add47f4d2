package watchlists

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages: the viewers' lists, the managers' page of a list,
// and the admins' page of every list.
func (wl *Watchlists) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{wl: wl, srv: srv, pages: pages}
	srv.Handle("GET /watchlists", indexAccess, http.HandlerFunc(h.index))
	srv.Handle("GET /watchlists/{id}", viewAccess, http.HandlerFunc(h.view))
	srv.Handle("GET /watchlists/{id}/manage", manageAccess, http.HandlerFunc(h.manage))
	srv.Handle("POST /watchlists/{id}/entities", manageAccess, http.HandlerFunc(h.addEntities))
	srv.Handle("POST /watchlists/{id}/entities/remove", manageAccess, http.HandlerFunc(h.removeEntity))
	srv.Handle("POST /watchlists/{id}/exemptions", manageAccess, http.HandlerFunc(h.addExemptions))
	srv.Handle("POST /watchlists/{id}/exemptions/remove", manageAccess, http.HandlerFunc(h.removeExemption))
	srv.Handle("GET /admin/watchlists", adminAccess, http.HandlerFunc(h.admin))
	srv.Handle("POST /admin/watchlists", adminAccess, http.HandlerFunc(h.create))
	srv.Handle("POST /admin/watchlists/{id}", adminAccess, http.HandlerFunc(h.save))
	srv.HandleConfirmed("/admin/watchlists/{id}/delete", adminAccess, h.askDelete, h.delete)
	return nil
}

type handlers struct {
	wl    *Watchlists
	srv   *web.Server
	pages *web.Pages
}

// rights are what a viewer may do with one list.
type rights struct {
	View, Manage bool
	// Watched: may change the watched entities (watchlist-admins always,
	// managers while the settings are not locked).
	Watched bool
}

// May reports whether the rights allow changing list.
func (r rights) May(list string) bool {
	if list == ListWatched {
		return r.Watched
	}
	return r.Manage
}

func (h *handlers) rightsOf(ctx context.Context, v *web.Viewer, w Watchlist) (rights, error) {
	var r rights
	if v.Superuser {
		return rights{View: true, Manage: true, Watched: true}, nil
	}
	var err error
	if r.View, err = InGroups(ctx, h.wl.db, w.ID, v.AccountID, false); err != nil {
		return r, err
	}
	if r.Manage, err = InGroups(ctx, h.wl.db, w.ID, v.AccountID, true); err != nil {
		return r, err
	}
	r.Watched = v.HasRole(access.RoleWatchlistAdmin) || (r.Manage && !w.Locked)
	return r, nil
}

// load reads the list of the path and the viewer's rights on it,
// answering 404 itself.
func (h *handlers) load(w http.ResponseWriter, r *http.Request) (Watchlist, rights, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.srv.Fail(w, r, http.StatusNotFound, "watchlists.error.not_found")
		return Watchlist{}, rights{}, false
	}
	list, err := Get(r.Context(), h.wl.db, id)
	if errors.Is(err, ErrNotFound) {
		h.srv.Fail(w, r, http.StatusNotFound, "watchlists.error.not_found")
		return list, rights{}, false
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return list, rights{}, false
	}
	rs, err := h.rightsOf(r.Context(), web.ViewerFrom(r.Context()), list)
	if err != nil {
		h.srv.Internal(w, r, err)
		return list, rs, false
	}
	return list, rs, true
}

// indexPage is the data of index.html.
type indexPage struct {
	View, Manage []Watchlist
	Admin        bool
}

func (h *handlers) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	var d indexPage
	var err error
	d.Admin = v.HasRole(access.RoleWatchlistAdmin)
	if v.Superuser {
		d.View, err = All(ctx, h.wl.db)
		d.Manage = d.View
	} else {
		if d.View, err = Of(ctx, h.wl.db, v.AccountID, false); err == nil {
			d.Manage, err = Of(ctx, h.wl.db, v.AccountID, true)
		}
		// Admins change every list's watched entities.
		if err == nil && d.Admin {
			d.Manage, err = All(ctx, h.wl.db)
		}
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "index.html", http.StatusOK, "watchlists.title", d)
}

// viewPage is the data of view.html: the warning list, then the kicklist
// view.
type viewPage struct {
	List     Watchlist
	Manage   bool
	Sections []viewSection
}

// viewSection is one list of accounts; Title and Help are message ids.
type viewSection struct {
	ID, Title, Help, Badge string
	Accounts               []Account
}

func (h *handlers) view(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	if !rs.View {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	ctx := r.Context()
	d := viewPage{List: list, Manage: rs.Manage || rs.Watched}
	for _, s := range []struct {
		id, title, help, badge string
		read                   func(context.Context, store.Querier, int64) ([]int64, error)
	}{
		{"warnings", "watchlists.view.warnings", "watchlists.view.warnings_help", "text-bg-warning", Warnings},
		{"kicklist", "watchlists.view.kicklist", "watchlists.view.kicklist_help", "text-bg-danger", Kicklist},
	} {
		ids, err := s.read(ctx, h.wl.db, list.ID)
		var accounts []Account
		if err == nil {
			accounts, err = AccountsOf(ctx, h.wl.db, ids)
		}
		if err != nil {
			h.srv.Internal(w, r, err)
			return
		}
		d.Sections = append(d.Sections, viewSection{ID: s.id, Title: s.title, Help: s.help, Badge: s.badge, Accounts: accounts})
	}
	h.srv.Render(w, r, h.pages, "view.html", http.StatusOK, "watchlists.view.title", d)
}

// section is one list of entities on the managers' page; Title and Help
// are message ids.
type section struct {
	List        string
	Title, Help string
	Entities    []Entity
	Editable    bool
}

// The message ids of the lists, and of the kinds (their names, and the
// labels of the fields adding them), written out so that the catalogue's
// check finds them.
var (
	listTitles = map[string]string{ListWatched: "watchlists.list.watched", ListKicklist: "watchlists.list.kicklist",
		ListAllowlist: "watchlists.list.allowlist"}
	listHelps = map[string]string{ListWatched: "watchlists.list.watched_help", ListKicklist: "watchlists.list.kicklist_help",
		ListAllowlist: "watchlists.list.allowlist_help"}
	kindLabels = map[string]string{KindCorporation: "watchlists.kind.corporation", KindAlliance: "watchlists.kind.alliance"}
	kindAdd    = map[string]string{KindCorporation: "watchlists.add_corporation", KindAlliance: "watchlists.add_alliance"}
)

// kindField is a kind as the forms show it.
type kindField struct {
	Kind, Label, Add string
}

// Label is the message id of an entity's kind.
func (Entity) Label(kind string) string { return kindLabels[kind] }

// managePage is the data of manage.html.
type managePage struct {
	List       Watchlist
	Rights     rights
	Sections   []section
	Exemptions []Account
	Problems   web.FormProblems
	Kinds      []kindField
	// Text is what was typed in a form refused, by field.
	Text map[string]string
}

func (h *handlers) manage(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	if !rs.Manage && !rs.Watched {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	h.renderManage(w, r, list, rs, http.StatusOK, nil, nil)
}

func (h *handlers) renderManage(w http.ResponseWriter, r *http.Request, list Watchlist, rs rights, status int,
	problems web.FormProblems, text map[string]string) {
	ctx := r.Context()
	entities, err := Entities(ctx, h.wl.db, list.ID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d := managePage{List: list, Rights: rs, Problems: problems, Text: text}
	for _, k := range Kinds {
		d.Kinds = append(d.Kinds, kindField{Kind: k, Label: kindLabels[k], Add: kindAdd[k]})
	}
	for _, l := range Lists {
		s := section{List: l, Title: listTitles[l], Help: listHelps[l], Editable: rs.May(l)}
		for _, e := range entities {
			if e.List == l {
				s.Entities = append(s.Entities, e)
			}
		}
		d.Sections = append(d.Sections, s)
	}
	ids, err := Exemptions(ctx, h.wl.db, list.ID)
	if err == nil {
		d.Exemptions, err = AccountsOf(ctx, h.wl.db, ids)
	}
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "manage.html", status, "watchlists.manage.title", d)
}

func listPath(id int64) string { return "/watchlists/" + strconv.FormatInt(id, 10) + "/manage" }

// field is the form field of a list's names of a kind.
func field(list, kind string) string { return list + "-" + kind }

// addEntities puts the corporations or alliances typed (names or ids) on
// one of the lists.
func (h *handlers) addEntities(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	l, kind := r.PostFormValue("list"), r.PostFormValue("kind")
	if validEntity(l, kind) != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "watchlists.error.form")
		return
	}
	if !rs.May(l) {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	ctx := r.Context()
	f := field(l, kind)
	text := r.PostFormValue("names")
	ids, bad, err := h.wl.names.Resolve(ctx, kind, f, i18n.M(kindLabels[kind]), text)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	if len(bad) == 0 && len(ids) == 0 {
		bad.Add(f, "watchlists.error.no_names")
	}
	if len(bad) > 0 {
		h.renderManage(w, r, list, rs, http.StatusUnprocessableEntity, h.srv.Problems(r, bad), map[string]string{f: text})
		return
	}
	err = h.wl.db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if err := AddEntity(ctx, tx, list.ID, l, kind, int64(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.wl.logger.InfoContext(ctx, "watchlist entities added", "watchlist", list.ID, "list", l, "kind", kind, "ids", ids,
		"by", web.ViewerFrom(ctx).AccountID)
	h.srv.AddFlash(r, "success", "watchlists.added")
	web.SeeOther(w, r, listPath(list.ID))
}

func (h *handlers) removeEntity(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	l, kind := r.PostFormValue("list"), r.PostFormValue("kind")
	id, err := strconv.ParseInt(r.PostFormValue("entity"), 10, 64)
	if err != nil || validEntity(l, kind) != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "watchlists.error.form")
		return
	}
	if !rs.May(l) {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	if err := RemoveEntity(r.Context(), h.wl.db, list.ID, l, kind, id); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "watchlists.removed")
	web.SeeOther(w, r, listPath(list.ID))
}

// addExemptions exempts the accounts of the characters typed.
func (h *handlers) addExemptions(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	if !rs.Manage {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	ctx := r.Context()
	text := r.PostFormValue("characters")
	const f = "characters"
	ids, bad, err := h.wl.names.Resolve(ctx, "character", f, i18n.M("watchlists.exempt_characters"), text)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	accounts, err := accountsOfCharacters(ctx, h.wl.db, ids)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	for _, id := range ids {
		if _, ok := accounts[id]; !ok {
			bad.Add(f, "watchlists.error.no_account", "ID", id)
		}
	}
	if len(bad) == 0 && len(ids) == 0 {
		bad.Add(f, "watchlists.error.no_names")
	}
	if len(bad) > 0 {
		h.renderManage(w, r, list, rs, http.StatusUnprocessableEntity, h.srv.Problems(r, bad), map[string]string{f: text})
		return
	}
	err = h.wl.db.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range accounts {
			if err := AddExemption(ctx, tx, list.ID, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "watchlists.exempted")
	web.SeeOther(w, r, listPath(list.ID))
}

func (h *handlers) removeExemption(w http.ResponseWriter, r *http.Request) {
	list, rs, ok := h.load(w, r)
	if !ok {
		return
	}
	account, err := strconv.ParseInt(r.PostFormValue("account"), 10, 64)
	if err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "watchlists.error.form")
		return
	}
	if !rs.Manage {
		h.srv.Fail(w, r, http.StatusForbidden, "watchlists.error.forbidden")
		return
	}
	if err := RemoveExemption(r.Context(), h.wl.db, list.ID, account); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "watchlists.removed")
	web.SeeOther(w, r, listPath(list.ID))
}

// adminList is a list on the admins' page with its groups.
type adminList struct {
	Watchlist
	View, Manager []int64
}

// Has reports whether id is among ids.
func (adminList) Has(ids []int64, id int64) bool { return slices.Contains(ids, id) }

// adminPage is the data of admin.html.
type adminPage struct {
	Lists    []adminList
	Groups   []Group
	Problems web.FormProblems
}

func (h *handlers) admin(w http.ResponseWriter, r *http.Request) {
	h.renderAdmin(w, r, http.StatusOK, nil)
}

func (h *handlers) renderAdmin(w http.ResponseWriter, r *http.Request, status int, problems web.FormProblems) {
	ctx := r.Context()
	lists, err := All(ctx, h.wl.db)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	d := adminPage{Problems: problems}
	for _, l := range lists {
		gs, err := Groups(ctx, h.wl.db, l.ID)
		if err != nil {
			h.srv.Internal(w, r, err)
			return
		}
		a := adminList{Watchlist: l}
		for _, g := range gs {
			if g.Manager {
				a.Manager = append(a.Manager, g.ID)
			} else {
				a.View = append(a.View, g.ID)
			}
		}
		d.Lists = append(d.Lists, a)
	}
	if d.Groups, err = allGroups(ctx, h.wl.db); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "admin.html", status, "watchlists.admin.title", d)
}

func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	n := strings.TrimSpace(r.PostFormValue("name"))
	if n == "" || len(n) > 100 {
		h.renderAdmin(w, r, http.StatusUnprocessableEntity, web.FormProblems{h.srv.Problem(r, "name", "watchlists.error.name")})
		return
	}
	var list Watchlist
	err := h.wl.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		list, err = Create(ctx, tx, n)
		return err
	})
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.wl.logger.InfoContext(ctx, "watchlist created", "watchlist", list.ID, "by", web.ViewerFrom(ctx).AccountID)
	h.srv.AddFlash(r, "success", "watchlists.admin.created")
	web.SeeOther(w, r, "/admin/watchlists")
}

// groupIDs reads a form's list of groups; what is not one is dropped, and
// a group that does not exist is refused by the foreign key.
func groupIDs(values []string, known []Group) []int64 {
	var out []int64
	for _, s := range values {
		id, err := strconv.ParseInt(s, 10, 64)
		if err == nil && slices.ContainsFunc(known, func(g Group) bool { return g.ID == id }) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (h *handlers) save(w http.ResponseWriter, r *http.Request) {
	list, _, ok := h.load(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	n := strings.TrimSpace(r.PostFormValue("name"))
	if n == "" || len(n) > 100 {
		h.renderAdmin(w, r, http.StatusUnprocessableEntity, web.FormProblems{h.srv.Problem(r, "name", "watchlists.error.name")})
		return
	}
	known, err := allGroups(ctx, h.wl.db)
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	view, managers := groupIDs(r.PostForm["view"], known), groupIDs(r.PostForm["manager"], known)
	locked := r.PostFormValue("locked") != ""
	err = h.wl.db.InTx(ctx, func(tx *store.Tx) error {
		if err := Rename(ctx, tx, list.ID, n); err != nil {
			return err
		}
		if err := SetLock(ctx, tx, list.ID, locked); err != nil {
			return err
		}
		if err := SetGroups(ctx, tx, list.ID, false, view); err != nil {
			return err
		}
		return SetGroups(ctx, tx, list.ID, true, managers)
	})
	if err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.wl.logger.InfoContext(ctx, "watchlist saved", "watchlist", list.ID, "locked", locked, "view", view, "managers", managers,
		"by", web.ViewerFrom(ctx).AccountID)
	h.srv.AddFlash(r, "success", "watchlists.admin.saved")
	web.SeeOther(w, r, "/admin/watchlists")
}

func (h *handlers) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	list, _, ok := h.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	entities, err := Entities(r.Context(), h.wl.db, list.ID)
	if err != nil {
		h.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question:     i18n.M("watchlists.admin.delete_question", "Name", list.Name),
		Consequences: []i18n.Message{i18n.M("watchlists.admin.delete_entities", "N", len(entities))},
		Button:       i18n.M("watchlists.admin.delete"),
		Back:         "/admin/watchlists",
	}, true
}

func (h *handlers) delete(w http.ResponseWriter, r *http.Request) {
	list, _, ok := h.load(w, r)
	if !ok {
		return
	}
	if err := Delete(r.Context(), h.wl.db, list.ID); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.wl.logger.InfoContext(r.Context(), "watchlist deleted", "watchlist", list.ID, "by", web.ViewerFrom(r.Context()).AccountID)
	h.srv.AddFlash(r, "success", "watchlists.admin.deleted")
	web.SeeOther(w, r, "/admin/watchlists")
}
