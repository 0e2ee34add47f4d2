package accounts

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/web"
)

func jsonTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

type searchPage struct {
	Query   string
	Results []SearchResult
	Limited bool
}

// searchLimit bounds the accounts one search lists.
const searchLimit = 50

func (p *pages) adminSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 100 {
		p.srv.Fail(w, r, http.StatusBadRequest, "accounts.admin.error.query")
		return
	}
	results, err := p.a.Search(r.Context(), q, searchLimit+1)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := searchPage{Query: q, Results: results}
	if len(results) > searchLimit {
		page.Results, page.Limited = results[:searchLimit], true
	}
	p.srv.Render(w, r, p.pages, "admin_accounts.html", http.StatusOK, "accounts.admin.title", page)
}

type adminAccountPage struct {
	Account  Account
	Tokens   tokensPage
	Removals []Removal
	Owners   []Owner
	Roles    []string
	// Followed are the roles given and taken with a relation (the app
	// managers'), shown but not changed here.
	Followed []string
	// Access: the state, groups and permissions the engine gave.
	State       string
	Groups      []access.NamedGroup
	Deactivated access.Deactivated
	Effective   []string
	Direct      []string
	Catalogue   []access.Permission
	// MayChange: the admin may act on this account (only superusers act
	// on superusers' accounts, and nobody deactivates themselves).
	MayChange     bool
	Self          bool
	SuperuserView bool
}

// account reads the account of the path, answering 404 itself.
func (p *pages) account(w http.ResponseWriter, r *http.Request) (Account, bool) {
	return web.Load(p.srv, w, r, "id", p.a.Get, ErrNotFound, "accounts.admin.error.not_found")
}

func (p *pages) adminAccount(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	acc, ok := p.account(w, r)
	if !ok {
		return
	}
	cs, err := p.a.Characters(ctx, acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	grid, err := p.tokenGrid(ctx, cs, v)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	removals, err := p.a.Removals(ctx, acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	owners, err := p.a.Owners(ctx, acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := adminAccountPage{
		Account: acc, Tokens: grid, Removals: removals, Owners: owners, Roles: p.deps.Roles.Offered(), Followed: access.Followed,
		MayChange: mayChange(v, acc), Self: v.AccountID == acc.ID, SuperuserView: v.Superuser,
	}
	if page.Groups, page.Deactivated, err = access.GroupsOf(ctx, p.deps.DB, acc.ID); err == nil {
		page.State, page.Direct, page.Effective, err = p.a.accessOf(ctx, acc.ID)
	}
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if p.deps.Permissions != nil {
		page.Catalogue = p.deps.Permissions.All(ctx)
	}
	p.srv.Render(w, r, p.pages, "admin_account.html", http.StatusOK, "accounts.admin.account.title", page)
}

// mayChange reports whether an admin may act on an account: superusers'
// accounts are for superusers.
func mayChange(v *web.Viewer, acc Account) bool { return v.Superuser || !acc.Superuser }

// guarded reads the path's account and checks the admin may change it.
func (p *pages) guarded(w http.ResponseWriter, r *http.Request) (Account, bool) {
	acc, ok := p.account(w, r)
	if !ok {
		return Account{}, false
	}
	if !mayChange(web.ViewerFrom(r.Context()), acc) {
		p.srv.Fail(w, r, http.StatusForbidden, "accounts.admin.account.error.superuser")
		return Account{}, false
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return Account{}, false
	}
	return acc, true
}

// adminSetActive activates an account (active=true) or, confirmed,
// deactivates it (active=false, as /deactivate does): a deactivation
// posted unconfirmed shows its confirmation, refused (400).
func (p *pages) adminSetActive(w http.ResponseWriter, r *http.Request) {
	switch r.PostFormValue("active") {
	case "true":
	case "false":
		if web.Confirmed(r) {
			p.deactivate(w, r)
		} else if c, ok := p.askDeactivate(w, r); ok {
			p.srv.Confirm(w, r, http.StatusBadRequest, c, true)
		}
		return
	default:
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	acc, ok := p.guarded(w, r)
	if !ok {
		return
	}
	if err := p.a.SetActive(r.Context(), acc.ID, true, web.ViewerFrom(r.Context()).AccountID); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "accounts.admin.account.activated")
	web.SeeOther(w, r, "/admin/accounts/"+r.PathValue("id"))
}

func (p *pages) adminSetStatus(w http.ResponseWriter, r *http.Request) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return
	}
	switch err := p.a.SetStatus(r.Context(), acc.ID, Status(r.PostForm.Get("status"))); {
	case errors.Is(err, ErrBadStatus):
		p.srv.Fail(w, r, http.StatusBadRequest, "accounts.admin.account.error.status")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "accounts.admin.account.status_changed")
		web.SeeOther(w, r, "/admin/accounts/"+r.PathValue("id"))
	}
}

func (p *pages) adminDeleteCharacter(w http.ResponseWriter, r *http.Request) {
	acc, c, ok := p.accountCharacter(w, r)
	if !ok {
		return
	}
	switch err := p.a.DeleteByAdmin(r.Context(), acc.ID, c.ID, web.ViewerFrom(r.Context()).AccountID); {
	case errors.Is(err, ErrNotOnAccount):
		p.srv.Fail(w, r, http.StatusNotFound, "accounts.admin.account.error.not_on_account")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		p.srv.AddFlash(r, "success", "accounts.admin.account.character_deleted")
		web.SeeOther(w, r, "/admin/accounts/"+r.PathValue("id"))
	}
}

func (p *pages) adminSetRoles(w http.ResponseWriter, r *http.Request) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return
	}
	roles := r.PostForm["role"]
	for _, role := range roles {
		if !p.deps.Roles.Has(role) {
			p.srv.Fail(w, r, http.StatusBadRequest, "accounts.admin.account.error.role", "Role", role)
			return
		}
	}
	// A role the page does not offer (of a feature not built) stays as
	// the account holds it.
	for _, role := range acc.Roles {
		if !p.deps.Roles.Has(role) && !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	superuser := r.PostForm.Get("superuser") == "on"
	if acc.ID == web.ViewerFrom(r.Context()).AccountID && !superuser {
		p.srv.Fail(w, r, http.StatusConflict, "accounts.admin.account.error.self_superuser")
		return
	}
	if err := p.a.SetRoles(r.Context(), acc.ID, roles, superuser); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "accounts.admin.account.roles_changed")
	web.SeeOther(w, r, "/admin/accounts/"+r.PathValue("id"))
}

func (p *pages) adminSetPermissions(w http.ResponseWriter, r *http.Request) {
	acc, ok := p.guarded(w, r)
	if !ok {
		return
	}
	perms := r.PostForm["permission"]
	if p.deps.Permissions != nil {
		if err := p.deps.Permissions.Check(perms); err != nil {
			p.srv.Fail(w, r, http.StatusBadRequest, "accounts.admin.account.error.permission")
			return
		}
	}
	if err := p.a.SetPermissions(r.Context(), acc.ID, perms); err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "accounts.admin.account.permissions_changed")
	web.SeeOther(w, r, "/admin/accounts/"+r.PathValue("id"))
}

// RemovalJSON is a removal record in Keepstar's JSON answers.
type RemovalJSON struct {
	CharacterID   int32  `json:"characterId"`
	CharacterName string `json:"characterName"`
	AccountID     int64  `json:"accountId"`
	NewAccountID  int64  `json:"newAccountId,omitempty"`
	Reason        Reason `json:"reason"`
	RemovedAt     string `json:"removedAt"`
	RemovedBy     int64  `json:"removedBy,omitempty"`
}

// adminAccountJSON answers GET /api/admin/accounts/{id}.
func (p *pages) adminAccountJSON(w http.ResponseWriter, r *http.Request) {
	acc, ok := p.account(w, r)
	if !ok {
		return
	}
	out, err := p.accountJSON(r.Context(), acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	removals, err := p.a.Removals(r.Context(), acc.ID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	list := []RemovalJSON{}
	for _, rm := range removals {
		list = append(list, RemovalJSON{CharacterID: rm.CharacterID, CharacterName: rm.CharacterName, AccountID: rm.AccountID,
			NewAccountID: rm.NewAccountID, Reason: rm.Reason, RemovedAt: jsonTime(rm.RemovedAt), RemovedBy: rm.RemovedBy})
	}
	web.WriteJSON(w, http.StatusOK, struct {
		AccountJSON
		Removals []RemovalJSON `json:"removals"`
	}{out, list})
}
