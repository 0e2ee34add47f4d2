package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestHRApplicationInABrowser is issue 20's HR applications, at a desktop
// and at a phone: a member applies to their corporation's form, answering
// its question; a recruiter opens the application, claims it and approves
// it; the applicant's page then shows it approved.
func TestHRApplicationInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testHRApplication)
}

func testHRApplication(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	chars := site.AccountCharacters(t, 2)
	recruiter, applicant := chars[0], chars[1]
	shots := t.ArtifactDir()

	pr := openBrowser(ctx, t, exe, site, vp)
	pr.visit("/")
	pr.logIn(recruiter)
	pa := pr.stranger()
	pa.visit("/")
	pa.logIn(applicant)
	rc, err := site.Accounts().Character(ctx, recruiter)
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Accounts().SetPermissions(ctx, rc.AccountID, []string{hr.PermissionReviewAll.Name}); err != nil {
		t.Fatal(err)
	}
	ac, err := site.Accounts().Character(ctx, applicant)
	if err != nil {
		t.Fatal(err)
	}
	h := hr.NewHR(hr.Deps{DB: site.DB})
	form, err := h.CreateForm(ctx, ac.CorporationID, "We fly together.")
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.AddQuestion(ctx, form.ID, hr.QuestionInput{Title: "Why do you want to join?"})
	if err != nil {
		t.Fatal(err)
	}

	pa.visit("/hr")
	pa.waitVisible("#hr-forms")
	pa.visit("/hr/apply/" + strconv.FormatInt(form.ID, 10))
	pa.waitVisible("#hr-apply-form")
	pa.do("answering", chromedp.SetValue(chromedp.CSS("#q"+strconv.FormatInt(q.ID, 10)), "For the fleets."))
	pa.follow("applying", pa.press(`#hr-apply-form button[type="submit"]`))
	pa.waitVisible("#hr-status")
	pa.wantText("#hr-status", "Pending")
	mine := pa.url().Path
	id, ok := strings.CutPrefix(mine, "/hr/mine/")
	if !ok {
		t.Fatalf("after applying: at %s", mine)
	}
	pa.fitsWidth()
	pa.screenshot(shots, "hr-applied")

	pr.visit("/hr/review")
	pr.waitVisible(`[data-application="` + id + `"]`)
	pr.visit("/hr/review/" + id)
	pr.wantText("#hr-answers", "For the fleets.")
	pr.follow("claiming", pr.press("#hr-claim"))
	pr.waitVisible("#hr-approve")
	pr.follow("approving", pr.press("#hr-approve"))
	pr.waitVisible("#hr-status")
	pr.wantText("#hr-status", "Approved")
	pr.fitsWidth()
	pr.screenshot(shots, "hr-approved")

	pa.visit("/hr")
	pa.waitVisible("#hr-mine")
	pa.wantText(`#hr-mine [data-application="`+id+`"]`, "Approved")
	pa.fitsWidth()
}
