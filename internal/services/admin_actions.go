package services

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// syncAll queues a sync of every account linked on the instance ("sync
// everyone"): what it applies is what each should have, and nothing where
// it already has it.
func (a *adminPages) syncAll(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	if !inst.Enabled {
		a.srv.AddFlash(r, "warning", "services.admin.flash.disabled")
		web.SeeOther(w, r, instancePath(inst.Slug))
		return
	}
	v := web.ViewerFrom(r.Context())
	n, err := a.s.SyncAll(r.Context(), inst.ID, "sync everyone, asked by "+v.Name)
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	a.s.logger.InfoContext(r.Context(), "service: sync everyone", "service", inst.Slug, "queued", n, "by", v.AccountID)
	a.srv.AddFlash(r, "success", "services.admin.flash.synced", "Count", n)
	web.SeeOther(w, r, instancePath(inst.Slug))
}

// verify queues a verification of the instance ("verify now").
func (a *adminPages) verify(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	if !inst.Enabled {
		a.srv.AddFlash(r, "warning", "services.admin.flash.disabled")
		web.SeeOther(w, r, instancePath(inst.Slug))
		return
	}
	if err := a.s.QueueVerify(r.Context(), inst.ID); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	a.s.logger.InfoContext(r.Context(), "service: verify now", "service", inst.Slug, "by", web.ViewerFrom(r.Context()).AccountID)
	a.srv.AddFlash(r, "success", "services.admin.flash.verify")
	web.SeeOther(w, r, instancePath(inst.Slug))
}

// askDelete says what deleting an instance does: the accounts on the
// service stay as they are, unmanaged; its permission's grants go.
func (a *adminPages) askDelete(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	inst, ok := a.load(w, r)
	if !ok {
		return web.Confirmation{}, false
	}
	ctx := r.Context()
	st, err := a.s.StatusOf(ctx, inst.ID)
	if err != nil {
		a.srv.Internal(w, r, err)
		return web.Confirmation{}, false
	}
	var grants int
	err = a.s.db.QueryRow(ctx, `SELECT (SELECT count(*) FROM account_permissions WHERE permission = $1)
		+ (SELECT count(*) FROM state_permissions WHERE permission = $1) + (SELECT count(*) FROM group_permissions WHERE permission = $1)`,
		inst.Permission()).Scan(&grants)
	if err != nil {
		a.srv.Internal(w, r, fmt.Errorf("services: grants of %s: %w", inst.Permission(), err))
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question: i18n.M("services.admin.delete.question", "Name", inst.Name),
		Consequences: []i18n.Message{
			i18n.M("services.admin.delete.accounts", "Count", st.Accounts),
			i18n.M("services.admin.delete.grants", "Count", grants, "Permission", inst.Permission()),
			i18n.M("services.admin.delete.audit"),
		},
		Button: i18n.M("services.admin.delete.button"),
		Back:   instancePath(inst.Slug),
	}, true
}

func (a *adminPages) delete(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	if err := a.s.Delete(r.Context(), inst.ID); err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	a.s.logger.InfoContext(r.Context(), "service deleted by an admin", "service", inst.Slug, "by", web.ViewerFrom(r.Context()).AccountID)
	a.srv.AddFlash(r, "success", "services.admin.flash.deleted", "Name", inst.Name)
	web.SeeOther(w, r, "/admin/services")
}

// auditPage is how many lines of the audit log a page shows.
const auditPage = 100

// adminAuditPage is the data of admin_audit.html.
type adminAuditPage struct {
	Instance Instance
	Entries  []Entry
	// Account is the account filtered on (0: every account), Before the
	// page's start (0: the newest).
	Account, Before int64
	// Newest is the path of the first page, Older of the next page of
	// older lines ("": none).
	Newest, Older string
	// AccountLinks: the viewer may open the accounts' admin pages.
	AccountLinks bool
}

// audit shows the instance's audit log, newest first, a page at a time
// (?before=ID), for one account (?account=ID) or every one.
func (a *adminPages) audit(w http.ResponseWriter, r *http.Request) {
	inst, ok := a.load(w, r)
	if !ok {
		return
	}
	page := adminAuditPage{Instance: inst, AccountLinks: mayOpenAccounts(r)}
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		out  *int64
	}{{"account", &page.Account}, {"before", &page.Before}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			a.srv.Fail(w, r, http.StatusBadRequest, "services.admin.error.query")
			return
		}
		*p.out = n
	}
	entries, err := a.s.Audit(r.Context(), AuditFilter{InstanceID: inst.ID, AccountID: page.Account, Before: page.Before, Limit: auditPage + 1})
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	base := instancePath(inst.Slug) + "/audit"
	filter := url.Values{}
	if page.Account != 0 {
		filter.Set("account", strconv.FormatInt(page.Account, 10))
	}
	page.Newest = base
	if len(filter) > 0 {
		page.Newest += "?" + filter.Encode()
	}
	if len(entries) > auditPage {
		entries = entries[:auditPage]
		filter.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		page.Older = base + "?" + filter.Encode()
	}
	page.Entries = entries
	a.srv.Render(w, r, a.pages, "admin_audit.html", http.StatusOK, "services.admin.audit.title", page)
}
