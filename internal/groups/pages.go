package groups

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Characters finds the account of a character typed into a form
// (*accounts.Accounts).
type Characters interface {
	Character(ctx context.Context, id int32) (accounts.Character, error)
	CharacterByName(ctx context.Context, name string) (accounts.Character, error)
}

// PageDeps are what the groups pages use besides the Store.
type PageDeps struct {
	Characters Characters
}

// pages serves the members' groups pages and the managers' pages.
type pages struct {
	s     *Store
	srv   *web.Server
	deps  PageDeps
	pages *web.Pages
}

// manageMenuAccess shows the group management entry of the menu to those
// who manage a group, or all of them.
var manageMenuAccess = web.Allow("group managers", isManager)

// logLimit bounds the lines of a group's audit log a page shows.
const logLimit = 500

// Mount adds the members' groups pages and the managers' pages.
func (s *Store) Mount(srv *web.Server, deps PageDeps) error {
	ps, err := srv.ParsePages(templates, "templates/*.html", "templates/partials/*.html")
	if err != nil {
		return err
	}
	p := &pages{s: s, srv: srv, deps: deps, pages: ps}
	// The member's groups.
	srv.Handle("GET /groups", web.LoggedIn, http.HandlerFunc(p.list))
	srv.Handle("GET /groups/{id}", web.LoggedIn, http.HandlerFunc(p.group))
	srv.Handle("POST /groups/{id}/join", web.LoggedIn, http.HandlerFunc(p.join))
	srv.Handle("POST /groups/{id}/leave", web.LoggedIn, http.HandlerFunc(p.leave))
	srv.Handle("POST /groups/{id}/cancel", web.LoggedIn, http.HandlerFunc(p.cancel))
	// The managers': every handler checks the viewer manages the group
	// (Store.CanManage), and refuses anyone who manages none at once.
	srv.Handle("GET /groups/manage", web.LoggedIn, http.HandlerFunc(p.manage))
	srv.Handle("POST /groups/requests/{id}/accept", web.LoggedIn, p.decide(true))
	srv.Handle("POST /groups/requests/{id}/reject", web.LoggedIn, p.decide(false))
	srv.Handle("GET /groups/{id}/members", web.LoggedIn, http.HandlerFunc(p.members))
	srv.Handle("POST /groups/{id}/members/add", web.LoggedIn, http.HandlerFunc(p.addMember))
	srv.Handle("POST /groups/{id}/members/{account}/remove", web.LoggedIn, http.HandlerFunc(p.removeMember))
	srv.Handle("GET /groups/{id}/log", web.LoggedIn, http.HandlerFunc(p.log))

	return nil
}

// actorOf is the viewer as the Store knows who acts.
func actorOf(v *web.Viewer) Actor {
	return Actor{AccountID: v.AccountID, Name: v.Name, Superuser: v.Superuser, ManageAll: v.Has(access.PermissionManageGroups.Name)}
}

// isManager reports whether the viewer manages any group.
func isManager(v *web.Viewer) bool {
	return v.HasRole(access.RoleGroupManager) || v.Has(access.PermissionManageGroups.Name)
}

// item is what the group-item partial sees: the page (for its
// translations), one group as the member sees it, and where its forms
// come back to.
type item struct {
	*web.Page
	Offer Offer
	Back  string
}

// items makes the group-item partial's data; pages embed it.
type items struct{ Back string }

// Item gives the partial's data for one group: {{template "group-item" ($.Data.Item $ .)}}.
func (m items) Item(p *web.Page, o Offer) item { return item{Page: p, Offer: o, Back: m.Back} }

// groupsPage is the data of groups.html.
type groupsPage struct {
	items
	State         string
	Yours, Others []Offer
	Manager       bool
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	offers, err := p.s.ForMember(r.Context(), actorOf(v))
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := groupsPage{items: items{Back: "/groups"}, State: v.State, Manager: isManager(v)}
	for _, o := range offers {
		if o.Member {
			page.Yours = append(page.Yours, o)
		} else {
			page.Others = append(page.Others, o)
		}
	}
	p.srv.Render(w, r, p.pages, "groups.html", http.StatusOK, "groups.title", page)
}

// groupPage is the data of group.html.
type groupPage struct {
	items
	Offer Offer
}

// group shows one group, by its link: the only way to a hidden group.
func (p *pages) group(w http.ResponseWriter, r *http.Request) {
	id, ok := p.srv.PathID(w, r, "id", "web.error.not_found")
	if !ok {
		return
	}
	o, err := p.s.Hidden(r.Context(), actorOf(web.ViewerFrom(r.Context())), id)
	switch {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.Render(w, r, p.pages, "group.html", http.StatusOK, "groups.group_title",
			groupPage{items: items{Back: "/groups/" + strconv.FormatInt(id, 10)}, Offer: o})
	}
}

// memberForm reads the group of the path and the posted form of a
// member's action; ok is false when an answer was written.
func (p *pages) memberForm(w http.ResponseWriter, r *http.Request) (Group, bool) {
	g, ok := web.Load(p.srv, w, r, "id", p.s.Get, ErrNotFound, "groups.error.not_found")
	if !ok {
		return Group{}, false
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return Group{}, false
	}
	return g, true
}

// back is where a member's action returns: the page it was made on.
func back(r *http.Request) string { return web.LocalPath(r.PostForm.Get("back"), "/groups") }

// refusal translates why an account may not join a group.
func (p *pages) refusal(r *http.Request, reason access.Refusal) string {
	return p.srv.T(r, "groups.refusal."+string(reason))
}

func (p *pages) join(w http.ResponseWriter, r *http.Request) {
	g, ok := p.memberForm(w, r)
	if !ok {
		return
	}
	out, err := p.s.Join(r.Context(), actorOf(web.ViewerFrom(r.Context())), g.ID)
	var refused *RefusalError
	switch {
	case errors.As(err, &refused) && refused.Reason == access.RefusedInternal,
		errors.Is(err, ErrNotFound):
		// Internal groups are not there for members.
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case errors.As(err, &refused) && refused.Reason.Guarded():
		// No join button leads here (the page shows why): a forged form.
		p.srv.Fail(w, r, http.StatusForbidden, "groups.refused", "Group", g.Name, "Reason", p.refusal(r, refused.Reason))
	case errors.As(err, &refused):
		p.srv.AddFlash(r, "danger", "groups.refused", "Group", g.Name, "Reason", p.refusal(r, refused.Reason))
		web.SeeOther(w, r, back(r))
	case errors.Is(err, ErrMember):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.member")
	case errors.Is(err, ErrPending):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.pending")
	case err != nil:
		p.srv.Internal(w, r, err)
	case out == Joined:
		p.srv.AddFlash(r, "success", "groups.joined", "Group", g.Name)
		web.SeeOther(w, r, back(r))
	default:
		p.srv.AddFlash(r, "info", "groups.join_requested", "Group", g.Name)
		web.SeeOther(w, r, back(r))
	}
}

func (p *pages) leave(w http.ResponseWriter, r *http.Request) {
	g, ok := p.memberForm(w, r)
	if !ok {
		return
	}
	out, err := p.s.Leave(r.Context(), actorOf(web.ViewerFrom(r.Context())), g.ID)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNotMember) && g.Internal:
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case errors.Is(err, ErrNotMember):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.not_member")
	case errors.Is(err, ErrNotLeavable):
		p.srv.Fail(w, r, http.StatusForbidden, "groups.error.not_leavable")
	case errors.Is(err, ErrPending):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.pending")
	case err != nil:
		p.srv.Internal(w, r, err)
	case out == Left:
		p.srv.AddFlash(r, "success", "groups.left", "Group", g.Name)
		web.SeeOther(w, r, back(r))
	default:
		p.srv.AddFlash(r, "info", "groups.leave_requested", "Group", g.Name)
		web.SeeOther(w, r, back(r))
	}
}

func (p *pages) cancel(w http.ResponseWriter, r *http.Request) {
	g, ok := p.memberForm(w, r)
	if !ok {
		return
	}
	kind := r.PostForm.Get("kind")
	if kind != "join" && kind != "leave" {
		p.srv.Fail(w, r, http.StatusBadRequest, "groups.error.kind")
		return
	}
	err := p.s.Cancel(r.Context(), web.ViewerFrom(r.Context()).AccountID, g.ID, kind)
	switch {
	case errors.Is(err, ErrNoRequest) && g.Internal:
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case errors.Is(err, ErrNoRequest):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.no_request")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "info", "groups.cancelled", "Group", g.Name)
		web.SeeOther(w, r, back(r))
	}
}

// requestView is a pending request on the management page.
type requestView struct {
	Request
	// MayDecide: guarded groups' requests are for superusers (Guard says
	// why).
	MayDecide bool
}

// managePage is the data of manage.html.
type managePage struct {
	Requests []requestView
	Groups   []Group
}

// manager checks the viewer manages some group; ok is false when a 403
// was written.
func (p *pages) manager(w http.ResponseWriter, r *http.Request) (Actor, bool) {
	v := web.ViewerFrom(r.Context())
	if !isManager(v) {
		p.srv.Fail(w, r, http.StatusForbidden, "groups.error.managers_only")
		return Actor{}, false
	}
	return actorOf(v), true
}

func (p *pages) manage(w http.ResponseWriter, r *http.Request) {
	a, ok := p.manager(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	managed, err := p.s.Managed(ctx, a)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	pending, err := p.s.Pending(ctx, a)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := managePage{Groups: managed}
	for _, req := range pending {
		page.Requests = append(page.Requests, requestView{Request: req, MayDecide: a.Superuser || req.Guard == access.Unguarded})
	}
	p.srv.Render(w, r, p.pages, "manage.html", http.StatusOK, "groups.manage.title", page)
}

// decide answers a manager's accept or reject of a pending request.
func (p *pages) decide(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, ok := p.manager(w, r)
		if !ok {
			return
		}
		id, ok := p.srv.PathID(w, r, "id", "web.error.not_found")
		if !ok {
			return
		}
		ctx := r.Context()
		// The request's names, for the message; Decide tells whether it
		// may be decided.
		pending, err := p.s.Pending(ctx, a)
		if err != nil {
			p.srv.Internal(w, r, err)
			return
		}
		var req Request
		for _, q := range pending {
			if q.ID == id {
				req = q
			}
		}
		err = p.s.Decide(ctx, a, id, accept)
		var refused *RefusalError
		switch {
		case errors.Is(err, ErrNoRequest), errors.Is(err, ErrNotFound):
			p.srv.Fail(w, r, http.StatusNotFound, "groups.error.request_gone")
		case errors.Is(err, ErrNotManager):
			p.srv.Fail(w, r, http.StatusForbidden, "groups.error.not_manager")
		case errors.Is(err, ErrSuperuserOnly):
			p.locked(w, r, err)
		case errors.As(err, &refused):
			// The account's state or groups changed since it asked: the
			// request stays for a rejection.
			p.srv.AddFlash(r, "danger", "groups.cannot_accept", "Name", req.Name, "Group", req.GroupName,
				"Reason", p.refusal(r, refused.Reason))
			web.SeeOther(w, r, "/groups/manage")
		case err != nil:
			p.srv.Internal(w, r, err)
		default:
			msg := "groups.rejected"
			if accept {
				msg = "groups.accepted"
			}
			p.srv.AddFlash(r, "success", msg, "Name", req.Name, "Group", req.GroupName, "Kind", p.srv.T(r, "groups.kind."+req.Kind))
			web.SeeOther(w, r, "/groups/manage")
		}
	}
}

// managed reads the group of the path and checks the viewer manages it;
// ok is false when an answer was written.
func (p *pages) managed(w http.ResponseWriter, r *http.Request) (Group, Actor, bool) {
	a, ok := p.manager(w, r)
	if !ok {
		return Group{}, Actor{}, false
	}
	g, ok := web.Load(p.srv, w, r, "id", p.s.Get, ErrNotFound, "groups.error.not_found")
	if !ok {
		return Group{}, Actor{}, false
	}
	yes, err := p.s.CanManage(r.Context(), a, g.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return Group{}, Actor{}, false
	}
	if !yes {
		p.srv.Fail(w, r, http.StatusForbidden, "groups.error.not_manager")
		return Group{}, Actor{}, false
	}
	return g, a, true
}

// locked answers a change of a guarded group refused to a manager who is no
// superuser, saying why.
func (p *pages) locked(w http.ResponseWriter, r *http.Request, err error) {
	p.srv.Fail(w, r, http.StatusForbidden, lockedMessage(GuardOf(err)))
}

// lockedMessage is the message id saying why only superusers change a
// group's members: groups.locked.<guard>.
func lockedMessage(g access.Guard) string {
	if g == access.Unguarded {
		g = access.GuardRestricted
	}
	return "groups.locked." + string(g)
}

// membersPage is the data of members.html.
type membersPage struct {
	Group   Group
	Members []Member
	// Locked: a guarded group, and the viewer no superuser; Note says
	// why.
	Locked bool
	Note   string
	// Character is what was typed into the add form; Problem why it
	// was not added.
	Character string
	Problem   string
}

func (p *pages) members(w http.ResponseWriter, r *http.Request) {
	g, a, ok := p.managed(w, r)
	if !ok {
		return
	}
	p.renderMembers(w, r, g, a, http.StatusOK, "", "")
}

func (p *pages) renderMembers(w http.ResponseWriter, r *http.Request, g Group, a Actor, status int, typed, problem string) {
	ms, err := p.s.Members(r.Context(), g.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "members.html", status, "groups.members.title", membersPage{
		Group: g, Members: ms, Locked: g.Guard() != access.Unguarded && !a.Superuser, Note: lockedMessage(g.Guard()),
		Character: typed, Problem: problem,
	})
}

// maxCharacterInput bounds what the add form takes: EVE names are at most
// 37 characters.
const maxCharacterInput = 100

func (p *pages) addMember(w http.ResponseWriter, r *http.Request) {
	g, a, ok := p.managed(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	ctx := r.Context()
	typed := strings.TrimSpace(r.PostForm.Get("character"))
	if typed == "" || len(typed) > maxCharacterInput {
		p.renderMembers(w, r, g, a, http.StatusBadRequest, typed, p.srv.T(r, "groups.error.character_required"))
		return
	}
	var c accounts.Character
	var err error
	if n, perr := strconv.ParseInt(typed, 10, 32); perr == nil && n > 0 {
		c, err = p.deps.Characters.Character(ctx, int32(n))
	} else {
		c, err = p.deps.Characters.CharacterByName(ctx, typed)
	}
	if errors.Is(err, accounts.ErrNotFound) {
		p.renderMembers(w, r, g, a, http.StatusNotFound, typed, p.srv.T(r, "groups.error.no_character", "Name", typed))
		return
	}
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	err = p.s.Add(ctx, a, g.ID, c.AccountID)
	var refused *RefusalError
	switch {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case errors.Is(err, ErrNotManager):
		p.srv.Fail(w, r, http.StatusForbidden, "groups.error.not_manager")
	case errors.Is(err, ErrSuperuserOnly):
		p.locked(w, r, err)
	case errors.Is(err, ErrMember):
		p.renderMembers(w, r, g, a, http.StatusConflict, typed, p.srv.T(r, "groups.error.already_member", "Name", c.Name))
	case errors.As(err, &refused):
		p.renderMembers(w, r, g, a, http.StatusConflict, typed,
			p.srv.T(r, "groups.error.cannot_add", "Name", c.Name, "Reason", p.refusal(r, refused.Reason)))
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "groups.member_added", "Name", c.Name, "Group", g.Name)
		web.SeeOther(w, r, "/groups/"+strconv.FormatInt(g.ID, 10)+"/members")
	}
}

func (p *pages) removeMember(w http.ResponseWriter, r *http.Request) {
	g, a, ok := p.managed(w, r)
	if !ok {
		return
	}
	accountID, ok := p.srv.PathID(w, r, "account", "web.error.not_found")
	if !ok {
		return
	}
	ctx := r.Context()
	if g.Default {
		// The engine gives default groups back to every standard
		// account at once: a removal would not last.
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.default")
		return
	}
	ms, err := p.s.Members(ctx, g.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	name := ""
	for _, m := range ms {
		if m.AccountID == accountID {
			name = m.Name
		}
	}
	err = p.s.Remove(ctx, a, g.ID, accountID)
	switch {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_found")
	case errors.Is(err, ErrNotManager):
		p.srv.Fail(w, r, http.StatusForbidden, "groups.error.not_manager")
	case errors.Is(err, ErrSuperuserOnly):
		p.locked(w, r, err)
	case errors.Is(err, ErrNotLeavable):
		p.srv.Fail(w, r, http.StatusConflict, "groups.error.automatic")
	case errors.Is(err, ErrNotMember):
		p.srv.Fail(w, r, http.StatusNotFound, "groups.error.not_in_group")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "groups.member_removed", "Name", name, "Group", g.Name)
		web.SeeOther(w, r, "/groups/"+strconv.FormatInt(g.ID, 10)+"/members")
	}
}

// logPage is the data of log.html.
type logPage struct {
	Group   Group
	Entries []LogEntry
	Limited bool
}

func (p *pages) log(w http.ResponseWriter, r *http.Request) {
	g, _, ok := p.managed(w, r)
	if !ok {
		return
	}
	entries, err := p.s.Log(r.Context(), g.ID, logLimit+1)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := logPage{Group: g, Entries: entries}
	if len(entries) > logLimit {
		page.Entries, page.Limited = entries[:logLimit], true
	}
	p.srv.Render(w, r, p.pages, "log.html", http.StatusOK, "groups.log.title", page)
}
