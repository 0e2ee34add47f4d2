package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/operations"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// dashboardSite is a web server over a database holding one account with n
// characters, spread over corporations and alliances, and the cookie of a
// session logged in to it. With service, the account also has an account
// on an enabled service, which shows as a card.
type dashboardSite struct {
	srv    *web.Server
	cookie *http.Cookie
}

func newDashboardSite(tb testing.TB, d config.Dialect, n int, service bool) *dashboardSite {
	tb.Helper()
	ctx := context.Background()
	db := storetest.Open(tb, d)
	env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz"}
	cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	p, err := build(cfg, db, logger, buildOptions{serviceTypes: []services.TypeConstructor{memoryservice.New().Type}})
	if err != nil {
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
	token := func(id int32) sso.Token {
		return sso.Token{AccessToken: "access", RefreshToken: "refresh", Expiry: time.Now().Add(20 * time.Minute),
			Claims: sso.Claims{CharacterID: id, Name: fmt.Sprintf("Pilot %d", id), Owner: "owner-hash", Scopes: []string{"publicData"}}}
	}
	const first = 90000001
	res, err := p.Accounts.Login(ctx, accounts.LoginRequest{Token: token(first), TokenLogin: logins.Default, AllowAltLogin: true})
	if err != nil {
		tb.Fatal(err)
	}
	affs := []esi.Affiliation{{CharacterID: first, CorporationID: 98000000, AllianceID: 99000000}}
	for i := 1; i < n; i++ {
		id := int32(first + i)
		if _, err := p.Accounts.AddCharacter(ctx, res.AccountID, token(id), logins.Default); err != nil {
			tb.Fatal(err)
		}
		affs = append(affs, esi.Affiliation{CharacterID: id, CorporationID: int32(98000000 + i%10), AllianceID: int32(99000000 + i%3)})
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i := range 10 {
			if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)`,
				98000000+i, fmt.Sprintf("Corporation %d", i), fmt.Sprintf("C%d", i), time.Now()); err != nil {
				return err
			}
		}
		for i := range 3 {
			if _, err := tx.Exec(ctx, `INSERT INTO eve_alliances (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)`,
				99000000+i, fmt.Sprintf("Alliance %d", i), fmt.Sprintf("A%d", i), time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := p.Accounts.ApplyAffiliations(ctx, affs); err != nil {
		tb.Fatal(err)
	}
	// A session logged in with the main, as the login flow leaves it.
	data, err := json.Marshal(sessions.Data{CharacterID: first, OwnerHash: "owner-hash"})
	if err != nil {
		tb.Fatal(err)
	}
	const tok = "dashboard-benchmark-session-token"
	now := time.Now()
	if err := sessions.NewStore(db).Insert(ctx, tok, sessions.Row{Data: data, CharacterID: first, Created: now,
		LastSeen: now, Expiry: now.Add(time.Hour)}); err != nil {
		tb.Fatal(err)
	}
	if service {
		// The link queues a sync: the job queue's tables are needed.
		if err := Migrate(ctx, db, logger); err != nil {
			tb.Fatal(err)
		}
		inst, err := p.Services.Create(ctx, services.Input{Slug: "chat", Type: memoryservice.TypeName, Name: "Chat"})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := p.Services.Update(ctx, inst.ID, services.Input{Name: "Chat", Enabled: true, MapByName: true}); err != nil {
			tb.Fatal(err)
		}
		if err := p.Accounts.SetPermissions(ctx, res.AccountID, []string{inst.Permission()}); err != nil {
			tb.Fatal(err)
		}
		if _, _, err := p.Services.Activate(ctx, "chat", res.AccountID); err != nil {
			tb.Fatal(err)
		}
	}
	return &dashboardSite{srv: srv, cookie: &http.Cookie{Name: srv.Sessions().CookieName(), Value: tok}}
}

// get serves GET /dashboard in-process and gives the status and the
// statements it ran.
func (s *dashboardSite) get(tb testing.TB) (int, int64) {
	ctx, queries := store.CountQueries(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/dashboard", nil)
	req.AddCookie(s.cookie)
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, req)
	return rec.Code, queries.Load()
}

// TestDashboardQueriesDoNotGrowWithCharacters: the dashboard of an account
// with 50 characters runs the same statements as one with a single
// character, on both engines: no query per character. So it does with a
// service's card on it.
func TestDashboardQueriesDoNotGrowWithCharacters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, service := range []bool{false, true} {
			one := newDashboardSite(t, db.Dialect(), 1, service)
			fifty := newDashboardSite(t, db.Dialect(), 50, service)
			one.get(t) // the settings are read once, then kept
			fifty.get(t)
			code1, q1 := one.get(t)
			code50, q50 := fifty.get(t)
			if code1 != 200 || code50 != 200 {
				t.Fatalf("service %v: dashboard answered %d and %d", service, code1, code50)
			}
			if q1 != q50 {
				t.Errorf("service %v: 1 character: %d statements; 50 characters: %d", service, q1, q50)
			}
			// Six of the page's own, and one asking whether any service
			// is enabled, for their cards.
			if !service && q50 > 7 {
				t.Errorf("the dashboard runs %d statements", q50)
			}
			t.Logf("dashboard, service %v: %d statements", service, q50)
		}
	})
}

// BenchmarkDashboard50Characters measures GET /dashboard for an account with
// 50 characters through every middleware (session, member, settings,
// rendering), in-process: the server's time. Target: under 5 ms.
func BenchmarkDashboard50Characters(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			s := newDashboardSite(b, d, 50, false)
			b.ReportAllocs()
			for b.Loop() {
				if code, _ := s.get(b); code != http.StatusOK {
					b.Fatal(code)
				}
			}
		})
	}
}
