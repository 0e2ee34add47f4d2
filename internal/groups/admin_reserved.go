package groups

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/keepstar/keepstar/internal/web"
)

// adminReserved is a reserved name with its path, escaped (a name may
// hold a slash).
type adminReserved struct {
	Reserved
	Path string
}

type adminReservedPage struct {
	Names        []adminReserved
	Name, Reason string
	Problems     web.FormProblems
}

func (a *adminPages) renderReserved(w http.ResponseWriter, r *http.Request, status int, page adminReservedPage) {
	names, err := a.st.ReservedNames(r.Context())
	if err != nil {
		a.srv.Internal(w, r, err)
		return
	}
	for _, n := range names {
		page.Names = append(page.Names, adminReserved{Reserved: n, Path: "/admin/reserved-names/" + url.PathEscape(n.Name) + "/delete"})
	}
	a.srv.Render(w, r, a.pages, "admin_reserved.html", status, "groups.admin.reserved.title", page)
}

func (a *adminPages) reserved(w http.ResponseWriter, r *http.Request) {
	a.renderReserved(w, r, http.StatusOK, adminReservedPage{})
}

func (a *adminPages) reserve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		a.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	page := adminReservedPage{Name: strings.TrimSpace(r.PostForm.Get("name")), Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	problem := func(status int, ps ...web.FormProblem) {
		page.Problems = append(page.Problems, ps...)
		a.renderReserved(w, r, status, page)
	}
	if ps := ValidateReserved(page.Name, page.Reason); len(ps) > 0 {
		problem(http.StatusUnprocessableEntity, a.srv.Problems(r, ps)...)
		return
	}
	switch err := a.st.Reserve(r.Context(), page.Name, page.Reason, web.ViewerFrom(r.Context()).AccountID); {
	case errors.Is(err, ErrInvalid):
		problem(http.StatusUnprocessableEntity, a.problemsOf(r, err, ErrInvalid)...)
	case errors.Is(err, ErrNameTaken):
		problem(http.StatusConflict, a.srv.Problem(r, "name", "groups.admin.reserved.error.group_exists", "Name", page.Name))
	case errors.Is(err, ErrReservedExists):
		problem(http.StatusConflict, a.srv.Problem(r, "name", "groups.admin.reserved.error.exists", "Name", page.Name))
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "groups.admin.reserved.added", "Name", strings.ToLower(page.Name))
		web.SeeOther(w, r, "/admin/reserved-names")
	}
}

func (a *adminPages) unreserve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	switch err := a.st.Unreserve(r.Context(), name); {
	case errors.Is(err, ErrNotFound):
		a.srv.Fail(w, r, http.StatusNotFound, "groups.admin.reserved.error.not_found")
	case err != nil:
		a.srv.Internal(w, r, err)
	default:
		a.srv.AddFlash(r, "success", "groups.admin.reserved.removed", "Name", name)
		web.SeeOther(w, r, "/admin/reserved-names")
	}
}
