package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// processes opens n handles on one fresh, migrated database of engine d,
// each standing for a Keepstar process (its own connections).
func processes(t testing.TB, d config.Dialect, n int) []*store.DB {
	t.Helper()
	dbc := storetest.Database(t, d)
	var dbs []*store.DB
	for range n {
		db, err := store.Open(context.Background(), dbc, 5)
		if err != nil {
			t.Fatalf("open %s: %v", d, err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	if _, err := dbs[0].MigrateSchema(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dbs
}

// eachEngine runs fn on SQLite and, when it is set up, PostgreSQL.
func eachEngine(t *testing.T, fn func(t *testing.T, d config.Dialect)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

func TestDBLimiterPassesTheClientsLimitTests(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		db := processes(t, d, 1)[0]
		// Each test its own bot: their clocks all start at the same instant.
		world := func(t *testing.T) *world {
			return newWorldWith(t, Options{}, func(now func() time.Time, sleep func(context.Context, time.Duration) error) Limiter {
				return NewDBLimiter(db, t.Name(), DBLimiterOptions{Now: now, Sleep: sleep})
			})
		}
		t.Run("burst", func(t *testing.T) { burstWaitsForBucketReset(t, world(t)) })
		t.Run("global", func(t *testing.T) { globalGateHoldsFiftyPerSecond(t, world(t)) })
		t.Run("forced429", func(t *testing.T) { forced429IsWaitedOut(t, world(t)) })
	})
}

// fleet is one simulated Discord called by several Keepstar processes,
// each a Client over its own DBLimiter and database handle, on one
// simulated clock; the simulator's wrapper records when each request
// arrived and from which process.
type fleet struct {
	clk     *simClock
	sim     *discordsim.Server
	srv     *httptest.Server
	guilds  []discordsim.Guild
	users   []discordsim.User
	clients []*Client
	mu      sync.Mutex
	hits    []time.Time
	by      map[string]int // requests by process and route
}

func newFleet(t *testing.T, limiters []Limiter, clk *simClock) *fleet {
	f := &fleet{clk: clk, by: map[string]int{}}
	f.sim = discordsim.New(discordsim.Options{BotToken: botToken, ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{callback}, Now: clk.now})
	f.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v10/") {
			process := strings.TrimSuffix(strings.TrimPrefix(r.UserAgent(), "DiscordBot (https://keepstar.example, "), ")")
			kind := "guild"
			switch {
			case strings.Contains(r.URL.Path, "/members/"):
				kind = "member"
			case strings.HasSuffix(r.URL.Path, "/roles"):
				kind = "roles"
			}
			route := r.Method + " " + kind
			f.mu.Lock()
			f.hits = append(f.hits, clk.now())
			f.by[process+" "+route]++
			f.mu.Unlock()
		}
		f.sim.ServeHTTP(rw, r)
	}))
	t.Cleanup(f.srv.Close)
	owner := f.sim.AddUser("owner")
	for i := range 5 {
		f.users = append(f.users, f.sim.AddUser(fmt.Sprintf("pilot%d", i)))
	}
	for i := range 2 {
		g := f.sim.AddGuild(fmt.Sprintf("Alliance %d", i), owner.ID)
		for _, u := range f.users {
			if err := f.sim.AddMember(g.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		f.guilds = append(f.guilds, g)
	}
	for i, l := range limiters {
		f.clients = append(f.clients, New(Options{BaseURL: f.srv.URL, BotToken: botToken, AppURL: "https://keepstar.example",
			Version: fmt.Sprintf("p%d", i), Limiter: l, Now: clk.now, Sleep: clk.sleep}))
	}
	return f
}

// maxPerSecond is the most requests any one-second window (sliding, half
// open) saw.
func (f *fleet) maxPerSecond() int {
	f.mu.Lock()
	hits := slices.Clone(f.hits)
	f.mu.Unlock()
	slices.SortFunc(hits, func(a, b time.Time) int { return a.Compare(b) })
	most, j := 0, 0
	for i := range hits {
		for hits[i].Sub(hits[j]) >= time.Second {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// load has every process send, from workers goroutines each, per guild:
// patches member PATCHes (bucket: 10 per 10 s), gets member GETs (5 per
// second) and roles role lists (only the global limit). It returns the
// calls' errors and how long the load took in simulated time.
func (f *fleet) load(workers, patches, gets, roles int) ([]error, time.Duration) {
	ctx := context.Background()
	start := f.clk.now()
	f.clk.join(workers * len(f.clients))
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for p, c := range f.clients {
		// Each process's workers begin with PATCHes of the first guild:
		// together more at once than its bucket allows, before any answer
		// told the bucket. Then guild after guild for each request, so the
		// workers waiting for one guild's buckets leave work for the other's.
		var first, jobs []func() error
		for i := range max(patches, gets, roles) {
			for gi, g := range f.guilds {
				u := f.users[i%len(f.users)]
				if i < patches {
					nick := fmt.Sprintf("p%d-%d", p, i)
					job := func() error { _, err := c.UpdateMember(ctx, g.ID, u.ID, nil, &nick); return err }
					if gi == 0 && i < workers {
						first = append(first, job)
					} else {
						jobs = append(jobs, job)
					}
				}
				if i < gets {
					jobs = append(jobs, func() error { _, err := c.Member(ctx, g.ID, u.ID); return err })
				}
				if i < roles {
					jobs = append(jobs, func() error { _, err := c.Roles(ctx, g.ID); return err })
				}
			}
		}
		jobs = append(first, jobs...)
		queue := make(chan func() error, len(jobs))
		for _, j := range jobs {
			queue <- j
		}
		close(queue)
		for range workers {
			wg.Go(func() {
				defer f.clk.leave()
				for job := range queue {
					if err := job(); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	return errs, f.clk.now().Sub(start)
}

// TestDBLimiterSharesLimitsAcrossProcesses: two processes (two database
// handles, two Clients, two DBLimiters for one bot) send at once 200 member
// PATCHes, 200 member GETs and 400 role lists over two guilds. Discord's
// simulator, as strict as Discord, serves no 429, and no second sees more
// than 50 requests. The same load through two MemoryLimiters, each
// knowing only its own requests, runs into 429s: the simulator would tell.
func TestDBLimiterSharesLimitsAcrossProcesses(t *testing.T) {
	const workers, patches, gets, roles = 8, 50, 50, 100
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		dbs := processes(t, d, 2)
		clk := newSimClock()
		var limiters []Limiter
		for _, db := range dbs {
			limiters = append(limiters, NewDBLimiter(db, clientID, DBLimiterOptions{Now: clk.now, Sleep: clk.sleep}))
		}
		f := newFleet(t, limiters, clk)
		errs, took := f.load(workers, patches, gets, roles)
		if len(errs) > 0 {
			t.Fatalf("%d calls failed, the first: %v", len(errs), errs[0])
		}
		if n := f.sim.Served429(); n != 0 {
			t.Errorf("the simulator served %d 429s", n)
		}
		if n := f.maxPerSecond(); n > discordsim.GlobalLimit {
			t.Errorf("a second saw %d requests", n)
		}
		total := 2 * len(f.guilds)
		for route, want := range map[string]int{"member modify": total * patches, "member get": total * gets, "roles list": total * roles} {
			if got := f.sim.Requests(route); got != want {
				t.Errorf("%s: %d requests, want %d", route, got, want)
			}
		}
		for _, p := range []string{"p0", "p1"} {
			for _, route := range []string{"PATCH member", "GET member", "GET roles"} {
				if f.by[p+" "+route] == 0 {
					t.Errorf("process %s sent no %s: %v", p, route, f.by)
				}
			}
		}
		// Each guild's 100 PATCHes need 10 windows of 10 s: at least 90 s
		// of simulated time. A limiter much slower than that wastes them.
		floor := time.Duration(2*patches/10-1) * 10 * time.Second
		t.Logf("%s: took %v of simulated time (floor %v), at most %d requests in a second", d, took, floor, f.maxPerSecond())
		if took < floor || took > floor+floor/5 {
			t.Errorf("took %v, want a little over %v", took, floor)
		}
	})
	t.Run("memory", func(t *testing.T) {
		clk := newSimClock()
		f := newFleet(t, []Limiter{NewMemoryLimiter(clk.now, clk.sleep, 0), NewMemoryLimiter(clk.now, clk.sleep, 0)}, clk)
		f.load(workers, patches, gets, roles)
		if f.sim.Served429() == 0 {
			t.Fatal("two unshared limiters met no 429: the test could not tell a shared limiter from them")
		}
	})
}

// TestDBLimiterForced429HoldsTheOtherProcess: a 429 (scope shared, no
// bucket) answered to one process holds the route for the other too.
func TestDBLimiterForced429HoldsTheOtherProcess(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		dbs := processes(t, d, 2)
		clk := newSimClock()
		f := newFleet(t, []Limiter{
			NewDBLimiter(dbs[0], clientID, DBLimiterOptions{Now: clk.now, Sleep: clk.sleep}),
			NewDBLimiter(dbs[1], clientID, DBLimiterOptions{Now: clk.now, Sleep: clk.sleep}),
		}, clk)
		ctx := context.Background()
		g := f.guilds[0].ID
		// Process 0 meets four 429s in a row: its retries wait them out and
		// the last is its answer, holding the route 3 s past it.
		f.sim.Force429(4, 3*time.Second)
		if _, err := f.clients[0].Guild(ctx, g); !errors.Is(err, ErrRateLimited) {
			t.Fatalf("process 0: %v", err)
		}
		last := f.lastHit()
		if _, err := f.clients[1].Guild(ctx, g); err != nil {
			t.Fatalf("process 1: %v", err)
		}
		if sent := f.lastHit(); sent.Sub(last) < 3*time.Second {
			t.Fatalf("process 1 sent %v after process 0's 429, before its retry_after of 3 s", sent.Sub(last))
		}
		if n := f.sim.Served429(); n != 4 {
			t.Fatalf("%d 429s served, want the 4 forced", n)
		}
	})
}

func (f *fleet) lastHit() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[len(f.hits)-1]
}

// limiterPair is two DBLimiters for one bot over two handles of one
// database, and a third for another bot, on a simulated clock.
type limiterPair struct {
	clk      *simClock
	a, b     *DBLimiter
	otherBot *DBLimiter
	dbs      []*store.DB
}

func newLimiterPair(t *testing.T, d config.Dialect) *limiterPair {
	dbs := processes(t, d, 2)
	clk := newSimClock()
	o := DBLimiterOptions{Now: clk.now, Sleep: clk.sleep}
	return &limiterPair{clk: clk, dbs: dbs, a: NewDBLimiter(dbs[0], "bot1", o), b: NewDBLimiter(dbs[1], "bot1", o),
		otherBot: NewDBLimiter(dbs[1], "bot2", o)}
}

func reserve(t *testing.T, l *DBLimiter, r Route) time.Duration {
	t.Helper()
	d, err := l.reserve(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func update(t *testing.T, l *DBLimiter, r Route, info RateInfo) {
	t.Helper()
	if err := l.Update(context.Background(), r, info); err != nil {
		t.Fatal(err)
	}
}

// TestDBLimiterRouteAndBucketAcrossProcesses: a route whose bucket is not
// known sends one request at a time from all processes; once learnt, the
// bucket is counted across them; answers out of order never raise what
// remains; another bot is not concerned.
func TestDBLimiterRouteAndBucketAcrossProcesses(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		p := newLimiterPair(t, d)
		patch := Route{Method: "PATCH", Template: tMember, Major: "1"}
		if w := reserve(t, p.a, patch); w != 0 {
			t.Fatalf("first request waits %v", w)
		}
		if w := reserve(t, p.b, patch); w <= 0 || w > DefaultPoll {
			t.Fatalf("second request of an unknown route waits %v, want up to a poll", w)
		}
		if w := reserve(t, p.otherBot, patch); w != 0 {
			t.Fatalf("another bot waits %v", w)
		}
		// The answer: bucket "m", 3 per 10 s, 2 left.
		update(t, p.a, patch, RateInfo{Status: 200, Bucket: "m", Limit: 3, HasRemaining: true, Remaining: 2, ResetAfter: 10 * time.Second})
		if w := reserve(t, p.b, patch); w != 0 {
			t.Fatalf("after the answer: waits %v", w)
		}
		if w := reserve(t, p.a, patch); w != 0 {
			t.Fatalf("last of the window: waits %v", w)
		}
		// The answers of those two, in the wrong order: 0 left, then 1.
		update(t, p.b, patch, RateInfo{Status: 200, Bucket: "m", Limit: 3, HasRemaining: true, Remaining: 0, ResetAfter: 10 * time.Second})
		update(t, p.a, patch, RateInfo{Status: 200, Bucket: "m", Limit: 3, HasRemaining: true, Remaining: 1, ResetAfter: 10 * time.Second})
		if w := reserve(t, p.b, patch); w != 10*time.Second+resetMargin {
			t.Fatalf("exhausted bucket: waits %v, want its reset", w)
		}
		// Another guild counts apart, once its bucket is learnt.
		other := Route{Method: "PATCH", Template: tMember, Major: "2"}
		if w := reserve(t, p.b, other); w != 0 {
			t.Fatalf("another guild waits %v", w)
		}
		// At the reset the window refills for all, and the first answer of
		// the new window tells its end.
		p.clk.sleep(context.Background(), 10*time.Second+resetMargin)
		for i := range 3 {
			if w := reserve(t, []*DBLimiter{p.a, p.b}[i%2], patch); w != 0 {
				t.Fatalf("new window, request %d waits %v", i, w)
			}
		}
		if w := reserve(t, p.a, patch); w <= 0 || w > DefaultPoll {
			t.Fatalf("refilled window spent before any answer: waits %v, want a poll", w)
		}
		// A late answer of the old window does not end the new one.
		update(t, p.b, patch, RateInfo{Status: 200, Bucket: "m", Limit: 3, HasRemaining: true, Remaining: 0, ResetAfter: 0})
		if w := reserve(t, p.a, patch); w <= 0 || w > DefaultPoll {
			t.Fatalf("after an old answer: waits %v, want a poll", w)
		}
		update(t, p.a, patch, RateInfo{Status: 200, Bucket: "m", Limit: 3, HasRemaining: true, Remaining: 2, ResetAfter: 10 * time.Second})
		if w := reserve(t, p.b, patch); w != 10*time.Second+resetMargin {
			t.Fatalf("new window told: waits %v, want its reset", w)
		}
	})
}

// TestDBLimiter429HoldsEveryProcess: a global 429 holds every route of
// the bot in every process, and no other bot; a bucket's 429 holds every
// route of the bucket; a route's (no bucket) only that route.
func TestDBLimiter429HoldsEveryProcess(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		p := newLimiterPair(t, d)
		guild := Route{Method: "GET", Template: tGuild, Major: "1"}
		roles := Route{Method: "GET", Template: tRoles, Major: "1"}
		update(t, p.a, guild, RateInfo{Status: 429, TooMany: true, Global: true, Scope: "global", RetryAfter: 1500 * time.Millisecond})
		if w := reserve(t, p.b, roles); w != 1500*time.Millisecond {
			t.Fatalf("after a global 429: waits %v", w)
		}
		if w := reserve(t, p.otherBot, roles); w != 0 {
			t.Fatalf("another bot waits %v", w)
		}
		p.clk.sleep(context.Background(), 1500*time.Millisecond)

		add := Route{Method: "PUT", Template: tMemberRole, Major: "1"}
		del := Route{Method: "DELETE", Template: tMemberRole, Major: "1"}
		update(t, p.a, add, RateInfo{Status: 200, Bucket: "r", Limit: 10, HasRemaining: true, Remaining: 9, ResetAfter: 2 * time.Second})
		update(t, p.b, del, RateInfo{Status: 200, Bucket: "r", Limit: 10, HasRemaining: true, Remaining: 8, ResetAfter: 2 * time.Second})
		update(t, p.a, add, RateInfo{Status: 429, Bucket: "r", Limit: 10, HasRemaining: true, Remaining: 0, ResetAfter: 2 * time.Second,
			TooMany: true, Scope: "user", RetryAfter: 2 * time.Second})
		if w := reserve(t, p.b, del); w < 2*time.Second || w > 2*time.Second+resetMargin {
			t.Fatalf("after the bucket's 429: waits %v", w)
		}

		update(t, p.b, guild, RateInfo{Status: 429, TooMany: true, Scope: "shared", RetryAfter: 3 * time.Second})
		if w := reserve(t, p.a, guild); w != 3*time.Second {
			t.Fatalf("after a route's 429: waits %v", w)
		}
		if w := reserve(t, p.a, roles); w != 0 {
			t.Fatalf("another route waits %v", w)
		}
	})
}

// TestDBLimiterGlobalWindowAcrossProcesses: two processes together never
// reserve more than the budget in a sliding second, and the table keeps
// no more than two seconds' worth of requests.
func TestDBLimiterGlobalWindowAcrossProcesses(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		p := newLimiterPair(t, d)
		roles := Route{Method: "GET", Template: tRoles, Major: "1"}
		update(t, p.a, roles, RateInfo{Status: 200})
		var sent []time.Time
		for i := range 3 * GlobalPerSecond {
			l := []*DBLimiter{p.a, p.b}[i%2]
			if err := l.Wait(context.Background(), roles); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, p.clk.now())
			// A request every 5 ms: twice the budget.
			p.clk.sleep(context.Background(), 5*time.Millisecond)
		}
		for i := GlobalPerSecond; i < len(sent); i++ {
			if gap := sent[i].Sub(sent[i-GlobalPerSecond]); gap < time.Second {
				t.Fatalf("requests %d and %d only %v apart", i-GlobalPerSecond, i, gap)
			}
		}
		var rows int
		if err := p.dbs[0].QueryRow(context.Background(), `SELECT COUNT(*) FROM service_limit_sends`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows > 2*GlobalPerSecond {
			t.Fatalf("%d rows of sends kept", rows)
		}
		if err := p.a.Forget(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := p.dbs[0].QueryRow(context.Background(),
			`SELECT (SELECT COUNT(*) FROM service_limit_sends) + (SELECT COUNT(*) FROM service_limits)`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Fatalf("%d rows left after Forget", rows)
		}
	})
}

// TestDBLimiterForgetsUnusedRows: a route unused for a day is learnt again.
func TestDBLimiterForgetsUnusedRows(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		p := newLimiterPair(t, d)
		get := Route{Method: "GET", Template: tMember, Major: "1"}
		roles := Route{Method: "GET", Template: tRoles, Major: "1"}
		update(t, p.a, get, RateInfo{Status: 200, Bucket: "g", Limit: 5, HasRemaining: true, Remaining: 4, ResetAfter: time.Second})
		update(t, p.a, roles, RateInfo{Status: 200})
		reserve(t, p.a, roles)
		count := func() int {
			var n int
			if err := p.dbs[0].QueryRow(context.Background(), `SELECT COUNT(*) FROM service_limits`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 4 {
			t.Fatalf("%d rows, want the bot's, two routes' and a bucket's", n)
		}
		p.clk.sleep(context.Background(), staleAfter+cleanEvery)
		update(t, p.a, roles, RateInfo{Status: 200})
		reserve(t, p.a, roles)
		if n := count(); n != 2 {
			t.Fatalf("%d rows a day later, want the bot's and the route in use", n)
		}
	})
}

// TestDBLimiterCancelledWaitReturns: cancelling a wait (real sleep, an
// hour's global hold) returns at once with the context's error.
func TestDBLimiterCancelledWaitReturns(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		dbs := processes(t, d, 2)
		sleeping := make(chan struct{}, 1)
		a := NewDBLimiter(dbs[0], "bot", DBLimiterOptions{})
		b := NewDBLimiter(dbs[1], "bot", DBLimiterOptions{Sleep: func(ctx context.Context, d time.Duration) error {
			sleeping <- struct{}{}
			return realSleep(ctx, d)
		}})
		route := Route{Method: "GET", Template: tGuild, Major: "1"}
		if err := a.Update(context.Background(), route, RateInfo{Status: 429, TooMany: true, Global: true, RetryAfter: time.Hour}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- b.Wait(ctx, route) }()
		<-sleeping
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: %v", err)
		}
		if err := b.Wait(ctx, route); !errors.Is(err, context.Canceled) {
			t.Fatalf("wait on a cancelled context: %v", err)
		}
	})
}

// BenchmarkDBLimiterWait is the cost of one reservation (a request's
// Wait, on a route whose bucket is known and far from spent) and of one
// request's whole share of the limiter (Wait, then Update with the
// answer's headers), on each engine. The clock moves 25 ms a call so the
// global window never makes it wait.
func BenchmarkDBLimiterWait(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			var ticks atomic.Int64
			t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			now := func() time.Time { return t0.Add(time.Duration(ticks.Add(1)) * 25 * time.Millisecond) }
			l := NewDBLimiter(db, "bench", DBLimiterOptions{Now: now})
			ctx := context.Background()
			route := Route{Method: "PATCH", Template: tMember, Major: "1"}
			info := RateInfo{Status: 200, Bucket: "m", Limit: 1 << 30, HasRemaining: true, Remaining: 1 << 30, ResetAfter: 1000 * time.Hour}
			if err := l.Update(ctx, route, info); err != nil {
				b.Fatal(err)
			}
			b.Run("reserve", func(b *testing.B) {
				for b.Loop() {
					if err := l.Wait(ctx, route); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("reserve+update", func(b *testing.B) {
				for b.Loop() {
					if err := l.Wait(ctx, route); err != nil {
						b.Fatal(err)
					}
					if err := l.Update(ctx, route, info); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
