package hr_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

var applicationURL = regexp.MustCompile(`/hr/mine/(\d+)$`)

// applied sends an application and gives its id, read from the page the
// site answers with.
func applied(t *testing.T, m *sitetest.Member, form int64, answers url.Values) int64 {
	t.Helper()
	p := m.Browser.Post(t, "/hr/apply/"+strconv.FormatInt(form, 10), answers)
	sub := applicationURL.FindStringSubmatch(p.URL)
	if p.Status != http.StatusOK || sub == nil || !strings.Contains(p.Body, `data-status="pending"`) {
		t.Fatalf("apply: %d at %s", p.Status, p.URL)
	}
	id, _ := strconv.ParseInt(sub[1], 10, 64)
	return id
}

// The whole flow on a site: a form manager makes the form of a
// corporation with a free text and a multiple choice question; a Guest
// applies (bad answers refused with a message, a second pending
// application refused), sees only their own; a recruiter of another
// corporation sees nothing of it, the corporation's recruiter sees the
// applicant's characters and state, comments, cannot decide before
// claiming, claims (another reviewer then cannot decide) and approves; the
// applicant is notified and sees the status; a superuser rejects a
// second application without claiming it; a pending one is withdrawn.
func TestApplyReviewDecideOnSite(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		site := sitetest.Start(t, sitetest.Options{Dialect: d})
		manager, applicant, other := site.NewMember(t), site.NewMember(t), site.NewMember(t)
		recruiter, outsider, global, root := site.NewMember(t), site.NewMember(t), site.NewMember(t), site.NewMember(t)
		if outsider.Corporation == recruiter.Corporation {
			t.Skip("the simulated members share a corporation")
		}
		grant := func(m *sitetest.Member, perms ...string) {
			t.Helper()
			if err := site.Accounts().SetPermissions(ctx, m.AccountID, perms); err != nil {
				t.Fatal(err)
			}
		}
		grant(manager, hr.PermissionManage.Name)
		grant(recruiter, hr.PermissionReview.Name)
		grant(outsider, hr.PermissionReview.Name)
		grant(global, hr.PermissionReviewAll.Name)
		if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(root.Character))); err != nil {
			t.Fatal(err)
		}
		var guest bool
		if err := site.DB.QueryRow(ctx, `SELECT s.guest FROM accounts a JOIN states s ON s.id = a.state_id WHERE a.id = $1`,
			applicant.AccountID).Scan(&guest); err != nil || !guest {
			t.Fatalf("the applicant is not a Guest: %v %v", guest, err)
		}

		// Forms: one per corporation Keepstar knows; questions checked.
		for _, who := range []*sitetest.Member{applicant, recruiter} {
			who.Browser.Expect(t, "no manager", "/hr/forms", nil, http.StatusForbidden)
			who.Browser.Expect(t, "no manager", "/hr/forms", url.Values{"corporation": {"1"}}, http.StatusForbidden)
		}
		manager.Browser.Expect(t, "manager", "/hr/forms", url.Values{"corporation": {"x"}}, http.StatusUnprocessableEntity, "Give the ID of a corporation")
		manager.Browser.Expect(t, "manager", "/hr/forms", url.Values{"corporation": {"1"}}, http.StatusUnprocessableEntity, "Give the ID of a corporation")
		corp := strconv.Itoa(int(recruiter.Corporation))
		p := manager.Browser.Post(t, "/hr/forms", url.Values{"corporation": {corp}, "description": {"Fly with us."}})
		m := regexp.MustCompile(`/hr/forms/(\d+)$`).FindStringSubmatch(p.URL)
		if p.Status != http.StatusOK || m == nil {
			t.Fatalf("create form: %d at %s", p.Status, p.URL)
		}
		form, _ := strconv.ParseInt(m[1], 10, 64)
		formPath := "/hr/forms/" + m[1]
		manager.Browser.Expect(t, "manager", "/hr/forms", url.Values{"corporation": {corp}}, http.StatusConflict, "one per corporation")
		manager.Browser.Expect(t, "manager", formPath+"/questions", url.Values{"title": {" "}}, http.StatusUnprocessableEntity, "Write the question")
		manager.Browser.Expect(t, "manager", formPath+"/questions", url.Values{"title": {"Q"}, "choices": {"Only one"}},
			http.StatusUnprocessableEntity, "2 to 20")
		manager.Browser.Expect(t, "manager", formPath+"/questions", url.Values{"title": {"Q"}, "position": {"x"}},
			http.StatusUnprocessableEntity, "whole number")
		manager.Browser.Expect(t, "manager", "/hr/forms/999999/questions", url.Values{"title": {"Q"}}, http.StatusNotFound)
		// Before any question, nobody can apply.
		applicant.Browser.Expect(t, "applicant", "/hr/apply/"+m[1], nil, http.StatusNotFound)
		manager.Browser.Expect(t, "manager", formPath+"/questions", url.Values{"title": {"Timezone?"}, "choices": {"EU\nUS\n\nAU"},
			"position": {"2"}}, http.StatusOK, "EU · US · AU")
		manager.Browser.Expect(t, "manager", formPath+"/questions", url.Values{"title": {"Why us?"}, "position": {"1"}},
			http.StatusOK, "Why us?")
		var qs []int64
		rows, err := site.DB.Query(ctx, `SELECT id FROM hr_questions WHERE form_id = $1 ORDER BY position`, form)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			qs = append(qs, id)
		}
		rows.Close()
		why, tz := "q"+strconv.FormatInt(qs[0], 10), "q"+strconv.FormatInt(qs[1], 10)

		// A Guest applies; bad answers refused with a message.
		body := applicant.Browser.Expect(t, "applicant", "/hr", nil, http.StatusOK, `href="/hr/apply/`+m[1]+`"`)
		if !strings.Contains(body, `id="hr-no-applications"`) {
			t.Error("the applicant's list is not empty")
		}
		applicant.Browser.Expect(t, "applicant", "/hr/apply/"+m[1], url.Values{why: {"Fun"}}, http.StatusUnprocessableEntity, "Answer the question “Timezone?”")
		applicant.Browser.Expect(t, "applicant", "/hr/apply/"+m[1], url.Values{why: {"Fun"}, tz: {"Mars"}}, http.StatusUnprocessableEntity,
			"Choose one of the answers")
		applicant.Browser.Expect(t, "applicant", "/hr/apply/999999", url.Values{why: {"Fun"}, tz: {"EU"}}, http.StatusNotFound)
		answers := url.Values{why: {"Good <b>fights</b>"}, tz: {"EU"}}
		app := applied(t, applicant, form, answers)
		appPath := "/hr/review/" + strconv.FormatInt(app, 10)
		applicant.Browser.Expect(t, "applicant again", "/hr/apply/"+m[1], answers, http.StatusConflict, "pending application")
		applicant.Browser.Expect(t, "applicant", "/hr", nil, http.StatusOK, `data-application="`+strconv.FormatInt(app, 10)+`"`)
		// Another account sees neither the application nor its answers.
		other.Browser.Expect(t, "another member", "/hr/mine/"+strconv.FormatInt(app, 10), nil, http.StatusNotFound)
		other.Browser.Expect(t, "another member", "/hr/mine/"+strconv.FormatInt(app, 10)+"/withdraw", url.Values{}, http.StatusConflict)
		if body := other.Browser.Expect(t, "another member", "/hr", nil, http.StatusOK); strings.Contains(body, `data-application=`) {
			t.Error("another member sees an application")
		}
		other.Browser.Expect(t, "no recruiter", "/hr/review", nil, http.StatusForbidden)
		other.Browser.Expect(t, "no recruiter", appPath, nil, http.StatusForbidden)
		applicant.Browser.Expect(t, "the applicant", appPath, nil, http.StatusForbidden)

		// A recruiter of another corporation sees nothing of it.
		if body := outsider.Browser.Expect(t, "outsider", "/hr/review", nil, http.StatusOK); strings.Contains(body, `data-application=`) {
			t.Error("a recruiter of another corporation lists the application")
		}
		outsider.Browser.Expect(t, "outsider", appPath, nil, http.StatusNotFound)
		outsider.Browser.Expect(t, "outsider", appPath+"/claim", url.Values{}, http.StatusNotFound)
		outsider.Browser.Expect(t, "outsider", appPath+"/comment", url.Values{"text": {"hi"}}, http.StatusNotFound)

		// The applicant's character moved in game: the recruiter sees the
		// move in its corporation history from ESI, the newest first.
		moved := recruiter.Corporation
		if moved == applicant.Corporation {
			moved = outsider.Corporation
		}
		if err := site.Sim.Universe.MoveCharacter(applicant.Character, moved); err != nil {
			t.Fatal(err)
		}
		history := `<li data-corporation="` + strconv.Itoa(int(moved)) + `">`
		history2 := `<li data-corporation="` + strconv.Itoa(int(applicant.Corporation)) + `">`

		// The corporation's recruiter reviews it.
		recruiter.Browser.Expect(t, "recruiter", "/hr/review", nil, http.StatusOK, `data-application="`+strconv.FormatInt(app, 10)+`"`)
		body = recruiter.Browser.Expect(t, "recruiter", appPath, nil, http.StatusOK, `data-character="`+strconv.Itoa(int(applicant.Character))+`"`,
			"Good &lt;b&gt;fights&lt;/b&gt;", `id="hr-state"`, `id="hr-claim"`, history, history2)
		if strings.Index(body, history) > strings.Index(body, history2) {
			t.Error("the corporation history is not the newest first")
		}
		if strings.Contains(body, `id="hr-approve"`) {
			t.Error("an unclaimed application offers the decision")
		}
		recruiter.Browser.Expect(t, "recruiter", appPath+"/comment", url.Values{"text": {" "}}, http.StatusUnprocessableEntity, "Write the comment")
		recruiter.Browser.Expect(t, "recruiter", appPath+"/comment", url.Values{"text": {"Knows the area."}}, http.StatusOK, "Knows the area.")
		recruiter.Browser.Expect(t, "recruiter before claiming", appPath+"/approve", url.Values{}, http.StatusConflict, "claim it first")
		recruiter.Browser.Expect(t, "recruiter", appPath+"/claim", url.Values{}, http.StatusOK, `id="hr-approve"`)
		global.Browser.Expect(t, "another reviewer", appPath+"/claim", url.Values{}, http.StatusConflict)
		global.Browser.Expect(t, "another reviewer", appPath+"/reject", url.Values{}, http.StatusConflict)
		if body := applicant.Browser.Get(t, "/hr/mine/"+strconv.FormatInt(app, 10)).Body; strings.Contains(body, "Knows the area.") {
			t.Error("the applicant sees the recruiters' comment")
		}
		recruiter.Browser.Expect(t, "recruiter", appPath+"/approve", url.Values{}, http.StatusOK, `data-status="approved"`)
		recruiter.Browser.Expect(t, "recruiter again", appPath+"/reject", url.Values{}, http.StatusConflict)
		applicant.Browser.Expect(t, "applicant", "/hr", nil, http.StatusOK, `data-status="approved"`)
		var corpName string
		if err := site.DB.QueryRow(ctx, `SELECT corporation_name FROM hr_forms WHERE id = $1`, form).Scan(&corpName); err != nil {
			t.Fatal(err)
		}
		applicant.Browser.Expect(t, "applicant", "/notifications", nil, http.StatusOK, "Your application to "+corpName+" was approved.")

		// A superuser decides without claiming; the applicant is told.
		second := applied(t, applicant, form, answers)
		root.Browser.Expect(t, "superuser", "/hr/review/"+strconv.FormatInt(second, 10)+"/reject", url.Values{}, http.StatusOK, `data-status="rejected"`)
		var keys []string
		rows, err = site.DB.Query(ctx, `SELECT message_key FROM notifications WHERE account_id = $1 AND message_key LIKE 'hr.%' ORDER BY id`, applicant.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if strings.Join(keys, " ") != "hr.notice.approved hr.notice.rejected" {
			t.Errorf("the applicant's notifications: %v", keys)
		}

		// Filters; a pending application withdrawn.
		third := applied(t, applicant, form, answers)
		for filter, want := range map[string][]int64{
			"status=approved": {app}, "status=rejected": {second}, "status=pending": {third},
			"name=" + url.QueryEscape(strings.ToLower(applicant.Name[:3])): {third, second, app}, "name=zzzzzz": nil,
		} {
			body := global.Browser.Expect(t, "global reviewer", "/hr/review?"+filter, nil, http.StatusOK)
			var got []int64
			for _, s := range regexp.MustCompile(`data-application="(\d+)"`).FindAllStringSubmatch(body, -1) {
				id, _ := strconv.ParseInt(s[1], 10, 64)
				got = append(got, id)
			}
			if strconv.Itoa(len(got)) != strconv.Itoa(len(want)) || (len(want) > 0 && got[0] != want[0]) {
				t.Errorf("filter %s: %v, want %v", filter, got, want)
			}
		}
		global.Browser.Expect(t, "global reviewer", "/hr/review?status=bogus", nil, http.StatusBadRequest, "Filter by pending")
		global.Browser.Expect(t, "global reviewer", "/hr/review?page=0", nil, http.StatusBadRequest)
		applicant.Browser.Expect(t, "applicant", "/hr/mine/"+strconv.FormatInt(third, 10)+"/withdraw", url.Values{}, http.StatusOK)
		applicant.Browser.Expect(t, "applicant again", "/hr/mine/"+strconv.FormatInt(third, 10)+"/withdraw", url.Values{}, http.StatusConflict)
		applicant.Browser.Expect(t, "applicant", "/hr/mine/"+strconv.FormatInt(app, 10)+"/withdraw", url.Values{}, http.StatusConflict)
	})
}
