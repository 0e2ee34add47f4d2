package app_test

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/hr"
)

// hrRows are the rows of HR applications: the group admin holds
// hr.manage_forms, the settings admin hr.review_all; superusers hold both.
// The member applied to the form of their own corporation: every account
// sees the applicant's pages, only the member their application (404 for
// the others, superusers included); the superuser reviews it. Empty forms are refused with a message (422), unknown
// ids with 404, withdrawing what is not one's pending application with 409.
func hrRows(t *testing.T, e *matrixEnv) map[string][]check {
	ctx := context.Background()
	e.addPermissions(t, groupAdmin, hr.PermissionManage.Name)
	e.addPermissions(t, settingsAdmin, hr.PermissionReviewAll.Name)
	var corp int32
	if err := e.site.DB.QueryRow(ctx, `SELECT corporation_id FROM characters WHERE id = $1`, e.ids[member]).Scan(&corp); err != nil {
		t.Fatal(err)
	}
	h := hr.NewHR(hr.Deps{DB: e.site.DB})
	f, err := h.CreateForm(ctx, corp, "Matrix")
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.AddQuestion(ctx, f.ID, hr.QuestionInput{Title: "Why?"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := h.Apply(ctx, f.ID, e.accounts[member], map[int64]string{q.ID: "Because."})
	if err != nil {
		t.Fatal(err)
	}
	form := "/hr/forms/" + strconv.FormatInt(f.ID, 10)
	app := strconv.FormatInt(a, 10)
	managers := func(status int) [visitors]int { return [visitors]int{login, 403, 403, 403, status, status} }
	reviewers := func(status int) [visitors]int { return [visitors]int{login, 403, 403, status, 403, status} }
	return map[string][]check{
		"GET /hr": {{"GET", "/hr", nil, members(200)}},
		"GET /hr/apply/{id}": {{"GET", "/hr/apply/" + strconv.FormatInt(f.ID, 10), nil, members(200)},
			{"GET", "/hr/apply/0", nil, members(404)}},
		"POST /hr/apply/{id}":           {{"POST", "/hr/apply/" + strconv.FormatInt(f.ID, 10), url.Values{}, members(422)}},
		"GET /hr/mine/{id}":             {{"GET", "/hr/mine/" + app, nil, [visitors]int{login, 200, 404, 404, 404, 404}}},
		"POST /hr/mine/{id}/withdraw":   {{"POST", "/hr/mine/999999/withdraw", url.Values{}, members(409)}},
		"GET /hr/forms":                 {{"GET", "/hr/forms", nil, managers(200)}},
		"POST /hr/forms":                {{"POST", "/hr/forms", url.Values{}, managers(422)}},
		"GET /hr/forms/{id}":            {{"GET", form, nil, managers(200)}, {"GET", "/hr/forms/999999", nil, managers(404)}},
		"POST /hr/forms/{id}/questions": {{"POST", form + "/questions", url.Values{"title": {""}}, managers(422)}},
		"POST /hr/forms/{id}/questions/{question}/delete": {
			{"POST", form + "/questions/999999/delete", url.Values{}, managers(404)}},
		"GET /hr/review":               {{"GET", "/hr/review", nil, reviewers(200)}, {"GET", "/hr/review?status=x", nil, reviewers(400)}},
		"GET /hr/review/{id}":          {{"GET", "/hr/review/" + app, nil, reviewers(200)}, {"GET", "/hr/review/999999", nil, reviewers(404)}},
		"POST /hr/review/{id}/comment": {{"POST", "/hr/review/" + app + "/comment", url.Values{"text": {""}}, reviewers(422)}},
		"POST /hr/review/{id}/claim":   {{"POST", "/hr/review/999999/claim", url.Values{}, reviewers(404)}},
		"POST /hr/review/{id}/approve": {{"POST", "/hr/review/999999/approve", url.Values{}, reviewers(404)}},
		"POST /hr/review/{id}/reject":  {{"POST", "/hr/review/999999/reject", url.Values{}, reviewers(404)}},
	}
}

func init() { rowsets = append(rowsets, hrRows) }
