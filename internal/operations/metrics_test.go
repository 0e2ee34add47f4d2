package operations_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestMetricsOfARunningSite scrapes /metrics of a site, as Prometheus does
// with the metrics token, after a member logged in and the affiliations
// job ran: every job metric and every ESI metric is there, with the
// samples that run and its ESI calls made.
func TestMetricsOfARunningSite(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			const token = "metrics-token-for-the-test"
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{"KEEPSTAR_METRICS_TOKEN": token}})
			site.NewBrowser(t).LogIn(t, site.AccountCharacters(t, 1)[0])
			site.RunJob(t, affiliations.SyncArgs{})
			// A bucketed route, read through the site's shared limit gate.
			other, err := esi.New(esi.Config{BaseURL: site.SimURL, UserAgent: "Keepstar/test", Cache: esi.NewCache(site.DB, 0),
				Gate: esi.NewGate(site.DB, esi.GateOptions{})})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.Get(context.Background(), esi.Request{Route: "GET /status", Path: "/status"}); err != nil {
				t.Fatal(err)
			}

			if status, _ := scrape(t, site.URL+"/metrics", ""); status != http.StatusForbidden {
				t.Errorf("/metrics without the token: %d, want 403", status)
			}
			status, body := scrape(t, site.URL+"/metrics", token)
			if status != http.StatusOK {
				t.Fatalf("/metrics with the token: %d", status)
			}
			for _, name := range []string{
				"keepstar_jobs", "keepstar_job_runs_total", "keepstar_job_duration_seconds_bucket",
				"keepstar_job_last_success_timestamp_seconds", "keepstar_job_next_run_timestamp_seconds", "keepstar_job_last_run_failed",
				"keepstar_esi_requests_total", "keepstar_esi_error_limit_remaining", "keepstar_esi_error_limit_reset_seconds",
				"keepstar_esi_error_limit_blocked_seconds", "keepstar_esi_routes_blocked", "keepstar_esi_bucket_tokens_remaining",
				"keepstar_esi_bucket_tokens_max", "keepstar_esi_buckets_blocked",
			} {
				if !regexp.MustCompile(`(?m)^` + name + `[{ ]`).MatchString(body) {
					t.Errorf("/metrics has no %s", name)
				}
			}
			for _, sample := range []string{
				`keepstar_job_runs_total{kind="affiliations_sync",outcome="completed"} 1`,
				`keepstar_jobs{kind="affiliations_sync",state="completed"} 1`,
				`keepstar_job_last_run_failed{kind="affiliations_sync"} 0`,
				`keepstar_job_duration_seconds_count{kind="affiliations_sync"} 1`,
				`keepstar_esi_bucket_tokens_max{group="status"} 600`,
				`keepstar_esi_routes_blocked 0`,
			} {
				if !strings.Contains(body, sample+"\n") {
					t.Errorf("/metrics lacks %s", sample)
				}
			}
			for _, pattern := range []string{
				`keepstar_job_last_success_timestamp_seconds\{kind="affiliations_sync"\} [0-9.e+]+`,
				`keepstar_job_next_run_timestamp_seconds\{kind="affiliations_sync"\} [0-9.e+]+`,
				// The login and the job looked affiliations up.
				`keepstar_esi_requests_total\{route="POST /characters/affiliation",status="2xx"\} [1-9]`,
				`keepstar_esi_error_limit_remaining [0-9]+`,
			} {
				if !regexp.MustCompile(`(?m)^` + pattern + `$`).MatchString(body) {
					t.Errorf("/metrics has no sample matching %s", pattern)
				}
			}
			if t.Failed() {
				t.Logf("/metrics:\n%s", keepstarLines(body))
			}
		})
	}
}

// scrape gets url as Prometheus would, with the token when given.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, sitetest.Body(t, res)
}

// keepstarLines keeps Keepstar's own metrics of a scrape.
func keepstarLines(body string) string {
	var b strings.Builder
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "keepstar_") {
			b.WriteString(line)
		}
	}
	return b.String()
}
