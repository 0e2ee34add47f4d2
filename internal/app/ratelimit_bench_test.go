package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// limitsCase is one set-up of the rate limits for the benchmark.
type limitsCase struct {
	name string
	// mode is the per-app limit's; ip sets the per-address limit too.
	mode string
	ip   bool
	// shared counts the app limit in the database even on SQLite, the
	// alternative ForDatabase does not take there.
	shared bool
}

var limitsCases = []limitsCase{
	{name: "off", mode: appapi.RateLimitOff},
	{name: "app", mode: appapi.RateLimitActive},
	{name: "app+ip", mode: appapi.RateLimitActive, ip: true},
	{name: "app-in-database", mode: appapi.RateLimitActive, shared: true},
}

// newGroupsAPIServer is a web server over a database with one account in
// three groups that an app with role app-groups may see, limited as lc
// says (limits high enough never to refuse), and the app's bearer header.
func newGroupsAPIServer(tb testing.TB, d config.Dialect, lc limitsCase) (*web.Server, string) {
	tb.Helper()
	ctx := context.Background()
	db := storetest.Open(tb, d)
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz"}
	if lc.ip {
		env["KEEPSTAR_RATE_LIMIT_IP_MAX"], env["KEEPSTAR_RATE_LIMIT_IP_WINDOW"] = "1000000000", "1h"
	}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	// The job queue's tables: a new group queues a recomputation.
	if err := Migrate(ctx, db, logger); err != nil {
		tb.Fatal(err)
	}
	var counter ratelimit.Counter
	if lc.shared {
		counter = ratelimit.NewShared(db)
	}
	p, err := build(cfg, db, logger, buildOptions{appRateLimits: counter})
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.Settings.Set(ctx, map[string]string{appapi.SettingRateLimitMode.Name: lc.mode,
		appapi.SettingRateLimitMax.Name: "1000000000", appapi.SettingRateLimitWindow.Name: "3600"}); err != nil {
		tb.Fatal(err)
	}
	if p.Queue.Q, err = jobs.New(ctx, db, p.jobs, jobs.Options{}); err != nil {
		tb.Fatal(err)
	}
	if p.jobsUI.h, err = p.Queue.Q.UIHandler(operations.UIPath, logger); err != nil {
		tb.Fatal(err)
	}
	srv, err := p.webServer(prometheus.NewRegistry(), func(context.Context) error { return nil })
	if err != nil {
		tb.Fatal(err)
	}
	const character = 90000001
	res, err := p.Accounts.Login(ctx, accounts.LoginRequest{TokenLogin: logins.Default, AllowAltLogin: true,
		Token: sso.Token{AccessToken: "access", RefreshToken: "refresh", Expiry: time.Now().Add(20 * time.Minute),
			Claims: sso.Claims{CharacterID: character, Name: "Pilot", Owner: "owner-hash", Scopes: []string{"publicData"}}}})
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		g, err := p.Groups.Create(ctx, groups.Input{Name: fmt.Sprintf("group-%d", i), Open: true})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, g.ID)
		if _, err := db.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`,
			res.AccountID, g.ID, time.Now()); err != nil {
			tb.Fatal(err)
		}
	}
	apps := appapi.NewStore(db, cfg.SecretKey, nil)
	a, err := apps.Create(ctx, appapi.Input{Name: "Bench", Roles: []string{appapi.RoleApp, appapi.RoleGroups}, Groups: ids})
	if err != nil {
		tb.Fatal(err)
	}
	secret, err := apps.NewSecret(ctx, a.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return srv, "Bearer " + base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(a.ID, 10)+":"+secret))
}

// BenchmarkGroupsAPIRateLimits serves GET /api/app/v2/groups/{cid} in
// process, from as many goroutines as cores, with the rate limits off, the
// app limit active, both limits active, and the app limit counted in the
// database (the choice ForDatabase makes on PostgreSQL only). The
// requests/s metric is the throughput of the whole server.
func BenchmarkGroupsAPIRateLimits(b *testing.B) {
	for _, d := range storetest.Dialects {
		for _, lc := range limitsCases {
			b.Run(string(d)+"/"+lc.name, func(b *testing.B) {
				srv, auth := newGroupsAPIServer(b, d, lc)
				// The first request checks the secret's argon2id hash.
				req := httptest.NewRequest(http.MethodGet, "/api/app/v2/groups/90000001", nil)
				req.Header.Set("Authorization", auth)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || (lc.mode == appapi.RateLimitActive) != (rec.Header().Get(ratelimit.HeaderRemain) != "") {
					b.Fatalf("%d, remain %q: %s", rec.Code, rec.Header().Get(ratelimit.HeaderRemain), rec.Body)
				}
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					req := httptest.NewRequest(http.MethodGet, "/api/app/v2/groups/90000001", nil)
					req.Header.Set("Authorization", auth)
					for pb.Next() {
						rec := httptest.NewRecorder()
						srv.ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Errorf("%d: %s", rec.Code, rec.Body)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "requests/s")
			})
		}
	}
}
