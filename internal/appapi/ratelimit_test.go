package appapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// newApp makes an app with the app role and a secret, and gives its bearer
// header.
func newApp(t *testing.T, site *sitetest.Site, name string) (int64, string) {
	t.Helper()
	ctx := context.Background()
	st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
	a, err := st.Create(ctx, appapi.Input{Name: name, Roles: []string{appapi.RoleApp}})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := st.NewSecret(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID, bearer(a.ID, secret)
}

// setRateLimit stores the per-app rate limit's settings and restarts the
// site, whose snapshot of the settings would otherwise hold the old ones
// for a few seconds.
func setRateLimit(t *testing.T, site *sitetest.Site, mode string, max, seconds int) {
	t.Helper()
	st := settings.NewStore(site.DB, settings.NewRegistry(appapi.RateLimitSettings), nil, 0)
	if err := st.Set(context.Background(), map[string]string{
		appapi.SettingRateLimitMode.Name:   mode,
		appapi.SettingRateLimitMax.Name:    strconv.Itoa(max),
		appapi.SettingRateLimitWindow.Name: strconv.Itoa(seconds),
	}); err != nil {
		t.Fatal(err)
	}
	site.Restart()
}

// show calls showV1 on the site or process at url.
func show(t *testing.T, url, auth string) (*http.Response, string) {
	t.Helper()
	return request(t, http.MethodGet, url+"/api/app/v1/show", auth, "")
}

func remain(res *http.Response) string { return res.Header.Get(ratelimit.HeaderRemain) }

// metric reads one series of the site's /metrics.
func metric(t *testing.T, site *sitetest.Site, series string) string {
	t.Helper()
	res, err := http.Get(site.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(sitetest.Body(t, res), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// TestAppRateLimit: active, every answer tells how many requests remain and
// when the window resets, counting down per app; beyond the limit the
// answer is 429 with Neucore's text. In log mode nothing is refused nor
// shown; off, nothing is counted.
func TestAppRateLimit(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			id, auth := newApp(t, site, "Killboard")
			_, other := newApp(t, site, "Bot")
			setRateLimit(t, site, appapi.RateLimitActive, 3, 3600)

			for i, want := range []string{"2", "1", "0"} {
				res, body := show(t, site.URL, auth)
				if res.StatusCode != 200 || remain(res) != want {
					t.Fatalf("request %d: %s, remain %q; want 200 and %s (%s)", i+1, res.Status, remain(res), want, body)
				}
				if reset, err := strconv.ParseFloat(res.Header.Get(ratelimit.HeaderReset), 64); err != nil || reset <= 3500 || reset > 3600 {
					t.Errorf("request %d: reset %q, want the hour's window", i+1, res.Header.Get(ratelimit.HeaderReset))
				}
			}
			res, body := show(t, site.URL, auth)
			if res.StatusCode != 429 || remain(res) != "-1" ||
				!strings.HasPrefix(body, "Application rate limit exceeded with 4 requests in ") || !strings.HasSuffix(body, " seconds.") {
				t.Errorf("over the limit: %s %q, remain %q", res.Status, body, remain(res))
			}
			if res, _ := show(t, site.URL, auth); res.StatusCode != 429 || remain(res) != "-2" {
				t.Errorf("again: %s, remain %q", res.Status, remain(res))
			}
			// Each app counts on its own.
			if res, _ := show(t, site.URL, other); res.StatusCode != 200 || remain(res) != "2" {
				t.Errorf("another app: %s, remain %q; want 200 and 2", res.Status, remain(res))
			}
			// A request that is not an app's is neither counted nor told.
			if res, _ := show(t, site.URL, bearer(id, strings.Repeat("0", 64))); res.StatusCode != 401 || remain(res) != "" {
				t.Errorf("wrong secret: %s, remain %q; want 401 without the header", res.Status, remain(res))
			}
			if got := metric(t, site, `keepstar_rate_limited_total{action="refused",kind="app"}`); got != "2" {
				t.Errorf("refusals counted: %q, want 2", got)
			}

			// Log only: over the limit, let through without a header.
			setRateLimit(t, site, appapi.RateLimitLog, 1, 3600)
			for i := range 3 {
				if res, body := show(t, site.URL, other); res.StatusCode != 200 || remain(res) != "" {
					t.Errorf("log mode, request %d: %s, remain %q (%s)", i+1, res.Status, remain(res), body)
				}
			}
			if got := metric(t, site, `keepstar_rate_limited_total{action="logged",kind="app"}`); got == "" || got == "0" {
				t.Errorf("requests over the limit in log mode counted: %q", got)
			}

			// Off: nothing counted, nothing told.
			setRateLimit(t, site, appapi.RateLimitOff, 1, 3600)
			for range 3 {
				if res, _ := show(t, site.URL, auth); res.StatusCode != 200 || remain(res) != "" {
					t.Errorf("off: %s, remain %q", res.Status, remain(res))
				}
			}
		})
	}
}

// TestAppRateLimitWindowResets: with a one-second window, once the reset
// the 429 announced has passed, a new window begins with a full count.
func TestAppRateLimitWindowResets(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			_, auth := newApp(t, site, "Killboard")
			setRateLimit(t, site, appapi.RateLimitActive, 1, 1)
			// Two requests inside one second meet the limit; a loaded
			// machine may need a few tries.
			var refused *http.Response
			for range 20 {
				if res, _ := show(t, site.URL, auth); res.StatusCode == 429 {
					refused = res
					break
				}
			}
			if refused == nil {
				t.Fatal("no request refused in 20 tries with 1 request per second allowed")
			}
			reset, err := strconv.ParseFloat(refused.Header.Get(ratelimit.HeaderReset), 64)
			if err != nil || reset <= 0 || reset > 1 {
				t.Fatalf("reset %q, want within the second", refused.Header.Get(ratelimit.HeaderReset))
			}
			time.Sleep(time.Duration(reset*float64(time.Second)) + 10*time.Millisecond)
			if res, body := show(t, site.URL, auth); res.StatusCode != 200 || remain(res) != "0" {
				t.Errorf("after the reset: %s, remain %q (%s); want 200 and 0", res.Status, remain(res), body)
			}
		})
	}
}

// TestAddressAndAppLimitShowTheLower: under both the per-address and the
// per-app limit, the headers show the one with fewer requests left.
func TestAddressAndAppLimitShowTheLower(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{
				"KEEPSTAR_RATE_LIMIT_IP_MAX": "10", "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "1h"}})
			_, auth := newApp(t, site, "Killboard")
			setRateLimit(t, site, appapi.RateLimitActive, 3, 60)
			res, _ := show(t, site.URL, auth)
			if res.StatusCode != 200 || remain(res) != "2" {
				t.Errorf("app limit lower: %s, remain %q; want the app's 2", res.Status, remain(res))
			}
			if reset, _ := strconv.ParseFloat(res.Header.Get(ratelimit.HeaderReset), 64); reset > 60 {
				t.Errorf("reset %v: want the app's window of 60 s, not the address's hour", reset)
			}
			// The restart begins the address's count anew on SQLite
			// (memory); on PostgreSQL the site's count is kept in the
			// database, shared by every process.
			setRateLimit(t, site, appapi.RateLimitActive, 100, 60)
			res, _ = show(t, site.URL, auth)
			want := map[config.Dialect]string{config.SQLite: "9", config.Postgres: "8"}[d]
			if res.StatusCode != 200 || remain(res) != want {
				t.Errorf("address limit lower: %s, remain %q; want the address's %s", res.Status, remain(res), want)
			}
			if reset, _ := strconv.ParseFloat(res.Header.Get(ratelimit.HeaderReset), 64); reset <= 60 {
				t.Errorf("reset %v: want the address's hour", reset)
			}
			// Beyond the address's limit, its 429 and text.
			var last *http.Response
			var body string
			for range 10 {
				last, body = show(t, site.URL, auth)
			}
			if last.StatusCode != 429 || !strings.HasPrefix(body, "IP rate limit exceeded with 11 requests in ") {
				t.Errorf("over the address's limit: %s %q", last.Status, body)
			}
		})
	}
}

// TestRequestStatistics: each request of an app is counted in its hour,
// those refused by the rate limit too, those without a valid secret or the
// role not; the counts reach app_requests at the latest when the server
// stops.
func TestRequestStatistics(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			id, auth := newApp(t, site, "Killboard")
			setRateLimit(t, site, appapi.RateLimitActive, 2, 3600)
			before := time.Now()
			for range 3 {
				show(t, site.URL, auth) // the third is refused
			}
			show(t, site.URL, bearer(id, strings.Repeat("0", 64)))
			if got := metric(t, site, fmt.Sprintf(`keepstar_api_requests_total{app="%d"}`, id)); got != "3" {
				t.Errorf("keepstar_api_requests_total = %q, want 3", got)
			}
			site.Stop()
			rows, err := appapi.NewRequestCounts(site.DB, nil).Requests(context.Background(), id, before)
			if err != nil {
				t.Fatal(err)
			}
			var total int64
			for _, r := range rows {
				total += r.Requests
				if r.Hour.Before(before.Truncate(time.Hour)) || r.Hour.After(time.Now()) || r.Hour.Minute() != 0 {
					t.Errorf("row of hour %s", r.Hour)
				}
			}
			if total != 3 {
				t.Errorf("stored %d requests in %v, want 3", total, rows)
			}
		})
	}
}

// TestRequestCountsFlush: counts gathered in memory are added to the
// stored ones at each flush, from any number of counters (processes), per
// app and hour; a deleted app's are dropped.
func TestRequestCountsFlush(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := appapi.NewStore(db, testKey, nil)
		a, err := st.Create(ctx, appapi.Input{Name: "A"})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := st.Create(ctx, appapi.Input{Name: "Gone"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 30, 12, 59, 58, 0, time.UTC)
		clock := func() time.Time { return now }
		one, two := appapi.NewRequestCounts(db, clock), appapi.NewRequestCounts(db, clock)
		stored := func() string {
			t.Helper()
			rows, err := one.Requests(ctx, a.ID, now.Add(-24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, r := range rows {
				parts = append(parts, fmt.Sprintf("%s=%d", r.Hour.Format("15:04"), r.Requests))
			}
			return strings.Join(parts, " ")
		}
		one.Add(a.ID)
		one.Add(a.ID)
		if got := stored(); got != "" {
			t.Errorf("before a flush: %q, want nothing", got)
		}
		if err := one.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := stored(); got != "12:00=2" {
			t.Errorf("after a flush: %q", got)
		}
		// Another process adds to the same hour; a flush with nothing
		// new changes nothing.
		for range 3 {
			two.Add(a.ID)
		}
		two.Add(gone.ID)
		if err := st.Delete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*appapi.RequestCounts{two, one, two} {
			if err := c.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := stored(); got != "12:00=5" {
			t.Errorf("after the second process's flush: %q", got)
		}
		// The next hour has its own row.
		now = now.Add(3 * time.Second)
		one.Add(a.ID)
		if err := one.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := stored(); got != "12:00=5 13:00=1" {
			t.Errorf("across the hour: %q", got)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM app_requests WHERE app_id = $1`, gone.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("rows of the deleted app: %d %v", n, err)
		}
	})
}

// TestRateLimitSharedAcrossProcesses: two serve processes on one
// PostgreSQL database count an app's requests in the same window, and
// both add to the same statistics.
func TestRateLimitSharedAcrossProcesses(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.Postgres})
	id, auth := newApp(t, site, "Killboard")
	setRateLimit(t, site, appapi.RateLimitActive, 4, 3600)
	other := site.StartProcess(t, nil, app.Options{Mode: app.WebOnly})
	before := time.Now()
	for i, step := range []struct {
		url, remain string
		status      int
	}{
		{site.URL, "3", 200}, {other.URL, "2", 200}, {site.URL, "1", 200}, {other.URL, "0", 200},
		{site.URL, "-1", 429}, {other.URL, "-2", 429},
	} {
		if res, body := show(t, step.url, auth); res.StatusCode != step.status || remain(res) != step.remain {
			t.Errorf("request %d: %s, remain %q (%s); want %d and %s", i+1, res.Status, remain(res), body, step.status, step.remain)
		}
	}
	other.Stop()
	site.Stop()
	rows, err := appapi.NewRequestCounts(site.DB, nil).Requests(context.Background(), id, before)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, r := range rows {
		total += r.Requests
	}
	if total != 6 {
		t.Errorf("statistics of both processes: %d requests in %v, want 6", total, rows)
	}
}
