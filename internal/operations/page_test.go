package operations_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/version"
)

func TestOperationsPage(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			testOperationsPage(t, sitetest.Start(t, sitetest.Options{Dialect: d,
				Env: map[string]string{"KEEPSTAR_JOB_SCHEDULES": "sessions_cleanup=off,access_recompute=2h"}}))
		})
	}
}

// testOperationsPage is a superuser watching the site's jobs: a run of the
// affiliations job shows with its outcome and in the last day's counts,
// ESI's limits show what the gate learnt, Run now queues the job once (a
// second press finds it running), River UI's API cancels it, and an
// unknown job is refused. Members and visitors get none of it.
func testOperationsPage(t *testing.T, site *sitetest.Site) {
	ctx := context.Background()
	chars := site.AccountCharacters(t, 1)
	admin := site.NewBrowser(t)
	admin.LogIn(t, chars[0])
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(chars[0]))); err != nil {
		t.Fatal(err)
	}
	member := site.NewBrowser(t)
	member.LogIn(t, site.AccountCharacters(t, 1, chars[0])[0])

	// Refused to all but superusers: members are told so, visitors sent
	// to log in first.
	member.Expect(t, "member", "/admin/operations", nil, http.StatusForbidden)
	member.Expect(t, "member", "/admin/operations/run/affiliations_sync", url.Values{}, http.StatusForbidden)
	member.Expect(t, "member", "/admin/jobs/", nil, http.StatusForbidden)
	if p := site.NewBrowser(t).Get(t, "/admin/operations"); !strings.Contains(p.URL, "/?next=%2Fadmin%2Foperations") {
		t.Errorf("a visitor ends at %s, want the login page", p.URL)
	}
	if strings.Contains(member.Get(t, "/dashboard").Body, `href="/admin/operations"`) {
		t.Error("the menu offers Operations to a member")
	}

	// River UI alone may apply inline styles (its app inserts <style>
	// elements); scripts stay the site's own everywhere, and a refusal
	// under /admin/jobs/ is a page of the site's strict policy.
	strict, relaxed := "script-src 'self'; style-src 'self';", "script-src 'self'; style-src 'self' 'unsafe-inline';"
	for _, c := range []struct {
		b          *sitetest.Browser
		path, want string
	}{{admin, "/admin/jobs/", relaxed}, {admin, "/admin/jobs/api/states", relaxed}, {admin, "/admin/operations", strict},
		{member, "/admin/jobs/", strict}} {
		if p := c.b.Get(t, c.path); !strings.Contains(p.Header.Get("Content-Security-Policy"), c.want) {
			t.Errorf("%s: policy %q, want %s in it", c.path, p.Header.Get("Content-Security-Policy"), c.want)
		}
	}

	// Before the affiliations job ran: a schedule that never ran.
	body := admin.Expect(t, "superuser", "/dashboard", nil, 200, `href="/admin/operations"`)
	body = admin.Expect(t, "superuser", "/admin/operations", nil, 200, `id="run-affiliations_sync"`, `href="/admin/jobs/"`)
	row := jobRow(t, body, "affiliations_sync")
	for _, want := range []string{`data-scheduled="true"`, `data-outcome=""`, `data-every="1h"`, `data-field="last-run">never`} {
		if !strings.Contains(row, want) {
			t.Errorf("affiliations_sync before it ran lacks %s:\n%s", want, row)
		}
	}

	// Intervals as configured, beside the defaults.
	if row := jobRow(t, body, "sessions_cleanup"); !strings.Contains(row, `data-field="interval">off <span class="text-body-secondary">(default 1h)</span>`) ||
		strings.Contains(row, "next-run") {
		t.Errorf("sessions_cleanup, turned off, shows:\n%s", row)
	}
	if row := jobRow(t, body, "access_recompute"); !strings.Contains(row, `data-field="interval">2h <span class="text-body-secondary">(default 1h)</span>`) {
		t.Errorf("access_recompute, every 2h, shows:\n%s", row)
	}

	// A run, and what ESI told the gate meanwhile. A second client over
	// the site's database, as another Keepstar process would, reads a
	// bucketed route and meets a 429.
	site.RunJob(t, affiliations.SyncArgs{})
	other, err := esi.New(esi.Config{BaseURL: site.SimURL, UserAgent: "Keepstar/test", Cache: esi.NewCache(site.DB, 0),
		Gate: esi.NewGate(site.DB, esi.GateOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Get(ctx, esi.Request{Route: "GET /status", Path: "/status"}); err != nil {
		t.Fatal(err)
	}
	if err := site.Sim.ESI.ThrottleNext("GET /alliances/{alliance_id}", 1, time.Hour); err != nil {
		t.Fatal(err)
	}
	var limited *esi.LimitedError // an alliance the site never asked for, so not in the cache
	if _, err := other.Alliance(ctx, 99999999); !errors.As(err, &limited) {
		t.Fatalf("a throttled call: %v, want a LimitedError", err)
	}

	body = admin.Expect(t, "superuser", "/admin/operations", nil, 200)
	row = jobRow(t, body, "affiliations_sync")
	for _, want := range []string{`data-outcome="completed"`, `data-running="false"`, `href="/admin/jobs/jobs/`,
		"Look up every character"} {
		if !strings.Contains(row, want) {
			t.Errorf("affiliations_sync after a run lacks %s:\n%s", want, row)
		}
	}
	if strings.Contains(jobRow(t, body, "affiliations_sync"), `data-field="last-success">never`) {
		t.Error("affiliations_sync completed but shows no last success")
	}
	if got := cell(t, body, "day", "affiliations_sync", "completed"); got != "1" {
		t.Errorf("affiliations_sync completed %q times in the last day, want 1", got)
	}
	if !regexp.MustCompile(`id="esi-errors" data-remaining="[0-9]+" data-reset-in="[0-9]+"`).MatchString(body) {
		t.Errorf("the page shows no error limit:\n%s", section(body, `id="esi"`))
	}
	for _, want := range []string{`data-route="GET /alliances/{alliance_id}"`, `data-group="status" data-remaining="598" data-max="600"`,
		`598 / 600</td><td class="text-end">15m</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the ESI limits lack %s:\n%s", want, section(body, `id="esi"`))
		}
	}
	versions := section(body, `id="versions"`)
	// A test binary records no module versions; a built keepstar does.
	river, riverUI := cmp.Or(jobs.RiverVersion(), "unknown"), cmp.Or(jobs.RiverUIVersion(), "unknown")
	for _, want := range []string{`data-field="database">` + string(site.Config.Database.Dialect) + " ", `data-field="go">go1.`,
		`data-field="river">` + river, `data-field="river-ui">` + riverUI, `data-field="keepstar">` + version.String()} {
		if !strings.Contains(versions, want) {
			t.Errorf("the versions lack %s:\n%s", want, versions)
		}
	}
	current, target, err := site.DB.SchemaVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`data-field="schema">%d (this Keepstar needs %d)`, current, target); !strings.Contains(versions, want) {
		t.Errorf("the versions lack %s:\n%s", want, versions)
	}

	// Run now, while ESI holds the job's call: the job runs (and stays
	// running), and a second press finds it so.
	if err := site.Sim.ESI.SetLatency("POST /characters/affiliation", time.Hour); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, the call held is let go before the site stops.
	t.Cleanup(site.Sim.ESI.ClearFaults)
	body = admin.Expect(t, "superuser", "/admin/operations/run/affiliations_sync", url.Values{}, 200, "affiliations_sync is queued (job ")
	id := regexp.MustCompile(`affiliations_sync is queued \(job ([0-9]+)\)`).FindStringSubmatch(body)[1]
	body = waitFor(t, admin, func(body string) bool {
		return strings.Contains(jobRow(t, body, "affiliations_sync"), `data-running="true"`)
	})
	if got := cell(t, body, "queue", "affiliations_sync", "running"); got != "1" {
		t.Errorf("%q affiliations_sync running in the queue, want 1", got)
	}
	admin.Expect(t, "superuser", "/admin/operations/run/affiliations_sync", url.Values{}, 200,
		"affiliations_sync is already waiting or running (job "+id+")")

	// River UI's API cancels it: not for members; for the superuser, the
	// job ends cancelled.
	if status, _ := postJSON(t, site, member, "/admin/jobs/api/jobs/cancel", `{"ids":["`+id+`"]}`); status != http.StatusForbidden {
		t.Errorf("a member cancelling a job: %d, want 403", status)
	}
	if status, answer := postJSON(t, site, admin, "/admin/jobs/api/jobs/cancel", `{"ids":["`+id+`"]}`); status != http.StatusOK {
		t.Fatalf("cancelling job %s: %d %s", id, status, answer)
	}
	waitFor(t, admin, func(body string) bool { return cell(t, body, "day", "affiliations_sync", "cancelled") == "1" })
	site.Sim.ESI.ClearFaults()

	// No such job.
	admin.Expect(t, "superuser", "/admin/operations/run/no_such_job", url.Values{}, http.StatusNotFound,
		"There is no scheduled job called “no_such_job”")

	// A running job's progress, as jobs.Progress records it (no job of
	// the site reports progress yet).
	if _, err := site.DB.Exec(ctx, `INSERT INTO job_progress (job_id, kind, done, total, updated_at) VALUES ($1, $2, $3, $4, $5)`,
		987654, "access_recompute", 3, 8, time.Now()); err != nil {
		t.Fatal(err)
	}
	body = admin.Expect(t, "superuser", "/admin/operations", nil, 200)
	if row := jobRow(t, body, "access_recompute"); !strings.Contains(row, `<progress class="align-middle me-2" value="3" max="8"></progress>3 / 8`) ||
		!strings.Contains(row, `href="/admin/jobs/jobs/987654"`) {
		t.Errorf("access_recompute shows no progress of 3 / 8:\n%s", row)
	}
}

// jobRow gives the part of the page showing one kind of job.
func jobRow(t *testing.T, body, kind string) string {
	t.Helper()
	i := strings.Index(body, `id="job-`+kind+`"`)
	if i < 0 {
		t.Fatalf("the page lists no job %s:\n%s", kind, section(body, `id="schedules"`))
	}
	row := body[i:]
	if j := strings.Index(row[1:], `<div class="list-group-item"`); j >= 0 {
		row = row[:j+1]
	}
	return row
}

// cell gives the count of a kind in a state in the table with the id; ""
// when the table has no such row.
func cell(t *testing.T, body, table, kind, state string) string {
	t.Helper()
	tb := section(body, `id="`+table+`"`)
	re := regexp.MustCompile(`<tr data-kind="` + regexp.QuoteMeta(kind) + `">.*?</tr>`)
	row := re.FindString(tb)
	m := regexp.MustCompile(`data-state="` + state + `">([0-9]*)<`).FindStringSubmatch(row)
	if m == nil {
		return ""
	}
	return m[1]
}

// section gives the page from the element with attr to the next heading.
func section(body, attr string) string {
	i := strings.Index(body, attr)
	if i < 0 {
		return ""
	}
	s := body[i:]
	if j := strings.Index(s, "<h2"); j >= 0 {
		s = s[:j]
	}
	return s
}

// waitFor reloads the operations page until ok says it shows what the
// test waits for, and gives it. A job is worked in the background: the
// page shows it once a worker has taken it up.
func waitFor(t *testing.T, b *sitetest.Browser, ok func(body string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := b.Get(t, "/admin/operations")
		if p.Status == 200 && ok(p.Body) {
			return p.Body
		}
		if time.Now().After(deadline) {
			t.Fatalf("the operations page never showed what was awaited:\n%s", section(p.Body, `id="schedules"`))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postJSON posts a JSON body as River UI's pages do (fetch from the
// site's own page).
func postJSON(t *testing.T, site *sitetest.Site, b *sitetest.Browser, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, site.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", site.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, sitetest.Body(t, res)
}
