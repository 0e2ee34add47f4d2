package discord

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The resync benchmark's site: resyncMembers accounts, each linked on one
// Discord instance and in the group Member (the role Member there); every
// twentieth also holds Friends, a role Keepstar leaves alone. Before each
// run, every tenth member joins the group Fleet (the next run: leaves it),
// whose role exists on Discord, and every hundredth of the others gets a
// new main character name, so a new nickname; the rest are right.
const (
	resyncMembers      = 5000
	resyncJoinEvery    = 10  // members i with i%10 == 0 join or leave Fleet
	resyncNickEvery    = 100 // members i with i%100 == resyncNickAt are renamed
	resyncNickAt       = 5
	resyncFriendsEvery = 20 // members i with i%20 == 3 hold Friends
)

// resyncHeapBound is the most the live heap (after a collection) may grow
// while a resync runs, at any sample and at its end. Nothing is kept per
// member between two syncs: a pass holds the ids of 100 pending accounts,
// the connector its role list and the limiter one entry per route and
// bucket, whatever the number of members. 512 KiB, about 100 bytes per
// member of the 5,000, leaves room for the noise of connection pools and
// statement caches while failing on anything kept per member: an Account
// (its strings and groups) alone is over 200 bytes.
const resyncHeapBound = 512 << 10

// The most statements a resync may run: per member, and per request to
// Discord (see the check).
const (
	resyncQueriesPerMember  = 5.1
	resyncQueriesPerRequest = 12
)

// resyncSlack is how far above the floor of Discord's limits the
// simulated time of a resync may be.
const resyncSlack = 0.10

// BenchmarkResyncFiveThousandMembers is "sync everyone" on a Discord
// instance of 5,000 linked members, of whom a tenth must get a new role
// and a hundredth a new nickname, worked by Services.Work against the
// simulated Discord with Discord's documented limits, on one simulated
// clock for the simulator and the client's limiter (the clock jumps when
// the only worker sleeps; nothing else moves it). ns/op is the real time
// of the run (Keepstar's CPU, the database and the simulator); sim-s/op is
// the time Discord's limits make it take. It fails unless the run sends
// the floor of requests (a PATCH per member that differs, no read of a
// member), meets no 429, takes at most 10 % longer than the limits allow,
// and keeps its live heap flat.
func BenchmarkResyncFiveThousandMembers(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skip("KEEPSTAR_TEST_POSTGRES_URL not set")
			}
			benchResync(b, newResyncSite(b, d))
		})
	}
}

func benchResync(b *testing.B, r *resyncSite) {
	ctx := context.Background()
	// A first resync with nothing changed: every account is already right,
	// so not one request is sent. It also warms what a running site has
	// warm (connections, prepared statements), so that the heap measured
	// next is the run's own.
	before := r.requests()
	r.resync(ctx, false)
	if sent := r.requests().since(before); len(sent) != 0 {
		b.Fatalf("a resync with nothing changed sent %v", sent)
	}
	var sim, floor time.Duration
	var patches, other, queries int
	var growth uint64
	var samples string
	runs := 0
	for b.Loop() {
		b.StopTimer()
		differ := r.change(ctx, runs)
		// Discord's bucket starts a new window: the runs do not share one.
		if err := r.clk.sleep(ctx, 10*time.Second); err != nil {
			b.Fatal(err)
		}
		before := r.requests()
		served := r.sim.Served429()
		heap := liveHeap()
		r.heap = r.heap[:0]
		counted, stmts := store.CountQueries(ctx)
		start := r.clk.now()
		r.resync(counted, true) // the timer runs during Work only
		took := r.clk.now().Sub(start)
		end := liveHeap()
		sent := r.requests().since(before)

		if got := sent["member modify"]; got != differ {
			b.Errorf("run %d: %d PATCHes for %d members that differ", runs, got, differ)
		}
		// The role list is read when the connector's copy is older than
		// rolesMaxAge, from the first Apply of the run on.
		if reads, most := sent["guild"], int(took/rolesMaxAge)+1; reads > most {
			b.Errorf("run %d: the guild read %d times in %v, at most %d", runs, reads, took, most)
		}
		for route, got := range sent {
			if route != "member modify" && route != "guild" {
				b.Errorf("run %d: %d requests to %q, none wanted", runs, got, route)
			}
		}
		if n := r.sim.Served429() - served; n != 0 {
			b.Errorf("run %d: the simulator answered %d 429s", runs, n)
		}
		low := resyncFloor(differ)
		if took < low || float64(took) > float64(low)*(1+resyncSlack) {
			b.Errorf("run %d: %v of simulated time for %d PATCHes; the limits allow %v, and %.0f %% more at most",
				runs, took, differ, low, resyncSlack*100)
		}
		grew := uint64(0)
		for _, h := range append(r.heap, end) {
			if h > heap && h-heap > grew {
				grew = h - heap
			}
		}
		if grew > resyncHeapBound {
			b.Errorf("run %d: the live heap grew by %d bytes (%d at the start, samples %v, %d at the end), more than %d",
				runs, grew, heap, r.heap, end, resyncHeapBound)
		}
		// The statements a sync costs: the account, its facts (three), and
		// the record of an account found right (one, in the batch's
		// transaction); a member that differs adds its record and audit
		// entry, and each request the limiter's statements (PostgreSQL).
		most := resyncQueriesPerMember*resyncMembers + resyncQueriesPerRequest*(sent["member modify"]+sent["guild"])
		if int(stmts.Load()) > most {
			b.Errorf("run %d: %d statements, more than %d", runs, stmts.Load(), most)
		}
		samples = fmt.Sprintf("%d at the start, %v every thousand members, %d at the end", heap, r.heap, end)
		r.check(ctx)
		if b.Failed() {
			b.FailNow()
		}
		sim += took
		floor += low
		patches += sent["member modify"]
		other += sent["guild"]
		queries += int(stmts.Load())
		growth = max(growth, grew)
		runs++
		b.StartTimer() // b.Loop wants it running
	}
	per := func(v float64) float64 { return v / float64(runs) }
	b.ReportMetric(per(sim.Seconds()), "sim-s/op")
	b.ReportMetric(per(floor.Seconds()), "floor-s/op")
	b.ReportMetric(per(float64(patches+other)), "requests/op")
	b.ReportMetric(per(float64(queries))/resyncMembers, "queries/member")
	b.ReportMetric(float64(growth)/resyncMembers, "heap-B/member")
	b.ReportMetric(float64(liveHeap())/(1<<20), "heap-MB")
	aa := aaRequests(resyncMembers, resyncMembers/resyncJoinEvery)
	b.ReportMetric(float64(aa), "aa-s/op")
	b.Logf("%d members, %d runs: %d PATCHes and %d role-list reads a run, %.0f s of Discord's time against a floor of %.0f s; "+
		"Alliance Auth's design: %d requests (a GET of every member, a PATCH of each whose roles differ, a nickname PATCH of every member) "+
		"at about 1 request/s = %d s (%.1f h)",
		resyncMembers, runs, patches/runs, other/runs, per(sim.Seconds()), per(floor.Seconds()), aa, aa, float64(aa)/3600)
	b.Logf("live heap of the last run, bytes: %s", samples)
}

// resyncFloor is the least time n member PATCHes take under Discord's
// member-modify bucket, 10 per 10 s per guild, whose window opens with the
// first: the k-th PATCH (from 0) waits for floor(k/10) windows, so the
// last is sent (ceil(n/10) - 1) × 10 s after the first. Nothing else the
// resync sends has a bucket of its own (the role list, read once in five
// minutes, has only the global 50/s), and its requests come far below the
// global gate.
func resyncFloor(n int) time.Duration {
	if n == 0 {
		return 0
	}
	return time.Duration((n+9)/10-1) * 10 * time.Second
}

// aaRequests is what Alliance Auth's design sends for the same work
// (../shared/reference/services/discord.md §1 and §3): its group sync of
// everyone (update_all_groups) reads every member (a GET) and PATCHes
// those whose roles differ; its nickname sync (update_all_nicknames, with
// DISCORD_SYNC_NAMES on) PATCHes every member, whether the nickname
// differs or not. Its own limiter lets 5 requests in 5 s through for the
// whole site, about one a second, so the count is also its time in
// seconds (the limiter's half-second contingency adds a tenth more).
func aaRequests(members, rolesDiffer int) int {
	return members + rolesDiffer + members
}

// resyncSite is the benchmark's site: the database, the Services with the
// Discord type on the simulated clock, the simulated guild.
type resyncSite struct {
	b     *testing.B
	db    *store.DB
	clk   *simClock
	sim   *discordsim.Server
	svc   *services.Services
	inst  services.Instance
	guild discordsim.Guild
	roles map[string]string // role id by name
	fleet int64             // the group Fleet

	accounts []int64  // member i's account
	users    []string // member i's Discord user
	names    []string // member i's main character's name, so nickname
	inFleet  bool     // whether the members of every tenth are in Fleet
	byUser   map[string]int

	// lastPatched is the index of the member the simulator last got a
	// PATCH for; the clock's sleeps sample the heap once every thousand
	// members (heap) while the timer runs.
	lastPatched atomic.Int64
	sampling    bool
	nextSample  int
	heap        []uint64
}

func newResyncSite(b *testing.B, d config.Dialect) *resyncSite {
	b.Helper()
	ctx := context.Background()
	r := &resyncSite{b: b, clk: newSimClock(), roles: map[string]string{}, byUser: map[string]int{}}
	r.sim = discordsim.New(discordsim.Options{BotToken: botToken, ClientID: clientID, ClientSecret: secret, Now: r.clk.now})
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	b.Cleanup(srv.Close)
	owner := r.sim.AddUser("owner")
	r.guild = r.sim.AddGuild("Alliance", owner.ID)
	for _, name := range []string{"Member", "Fleet", "Friends"} {
		role, err := r.sim.AddRole(r.guild.ID, name, false)
		if err != nil {
			b.Fatal(err)
		}
		r.roles[name] = role.ID
	}

	r.db = storetest.Open(b, d)
	if _, err := jobs.Migrate(ctx, r.db, nil); err != nil {
		b.Fatal(err)
	}
	q, err := jobs.New(ctx, r.db, jobs.NewRegistry(), jobs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	// The limiter the connector would have (newLimiter), on the simulated
	// clock: in the database on PostgreSQL, in memory on SQLite.
	var lim Limiter = NewMemoryLimiter(r.clk.now, r.sleep, 0)
	if d == config.Postgres {
		lim = NewDBLimiter(r.db, clientID, DBLimiterOptions{Now: r.clk.now, Sleep: r.sleep})
	}
	typ := Type()
	typ.Open = func(_ context.Context, inst services.Instance, env services.Env) (services.Connector, error) {
		return open(inst, env, Options{Now: r.clk.now, Sleep: r.sleep, Limiter: lim})
	}
	r.svc, err = services.New(services.Options{DB: r.db, Queue: q, SecretKey: []byte(strings.Repeat("k", 32)),
		Types: []services.Type{typ}, Env: services.Env{Shared: d == config.Postgres, HTTP: srv.Client()}, Now: r.clk.now})
	if err != nil {
		b.Fatal(err)
	}
	in := services.Input{Slug: "discord", Type: typ.Name, Name: "Discord", MapByName: true, Unmanaged: []string{"Friends"},
		Settings: map[string]string{SettingGuildID: r.guild.ID, SettingClientID: clientID, SettingClientSecret: secret,
			SettingBotToken: botToken, SettingAPIURL: srv.URL}}
	inst, err := r.svc.Create(ctx, in)
	if err != nil {
		b.Fatal(err)
	}
	in.Enabled = true
	if r.inst, err = r.svc.Update(ctx, inst.ID, in); err != nil {
		b.Fatal(err)
	}
	if err := r.db.InTx(ctx, r.populate); err != nil {
		b.Fatal(err)
	}
	return r
}

// populate makes the members, in the database and in the guild, each
// linked with what the guild has: its roles as the State, its nickname as
// the name applied.
func (r *resyncSite) populate(tx *store.Tx) error {
	ctx := context.Background()
	now := r.clk.now()
	var state, member int64
	if err := tx.QueryRow(ctx, `SELECT id FROM states WHERE name = 'Member'`).Scan(&state); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO state_permissions (state_id, permission) VALUES ($1, $2)`, state, r.inst.Permission()); err != nil {
		return err
	}
	for name, id := range map[string]*int64{"Member": &member, "Fleet": &r.fleet} {
		if err := tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
			created_at, updated_at) VALUES ($1, '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $2, $2) RETURNING id`, name, now).Scan(id); err != nil {
			return err
		}
	}
	const corp = 98000001
	if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, 'Keepstar Industries', 'KEEP', $2)`,
		corp, now); err != nil {
		return err
	}
	for i := range resyncMembers {
		name := fmt.Sprintf("Pilot %d", i)
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at, state_id)
			VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2, $3) RETURNING id`, name, now, state).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
			VALUES ($1, $2, $3, 'hash', TRUE, $4, $5)`, 90000000+i, id, name, corp, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, id, member, now); err != nil {
			return err
		}
		u := r.sim.AddUser(fmt.Sprintf("pilot%d", i))
		roles := []string{r.roles["Member"]}
		if i%resyncFriendsEvery == 3 {
			roles = append(roles, r.roles["Friends"])
		}
		if err := r.sim.AddMember(r.guild.ID, u.ID, roles...); err != nil {
			return err
		}
		if err := r.sim.SetNick(r.guild.ID, u.ID, name); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups, state,
			status, last_error, wanted, synced, reason, failures, last_sync_at, created_at)
			VALUES ($1, $2, $3, $4, $5, '["Member"]', $6, 'ok', '', 0, 0, '', 0, $7, $7)`,
			r.inst.ID, id, u.ID, u.Username, name, formatState(roles), now); err != nil {
			return err
		}
		r.accounts, r.users, r.names = append(r.accounts, id), append(r.users, u.ID), append(r.names, name)
		r.byUser[u.ID] = i
	}
	return nil
}

// change makes run k's differences and gives how many members differ:
// every tenth joins Fleet (odd runs: leaves it), every hundredth of the
// others is renamed.
func (r *resyncSite) change(ctx context.Context, k int) int {
	r.b.Helper()
	r.inFleet = k%2 == 0
	differ := 0
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		for i, id := range r.accounts {
			var err error
			switch {
			case i%resyncJoinEvery == 0 && r.inFleet:
				_, err = tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, id, r.fleet, r.clk.now())
			case i%resyncJoinEvery == 0:
				_, err = tx.Exec(ctx, `DELETE FROM group_members WHERE account_id = $1 AND group_id = $2`, id, r.fleet)
			case i%resyncNickEvery == resyncNickAt:
				r.names[i] = fmt.Sprintf("Pilot %d (%d)", i, k+1)
				_, err = tx.Exec(ctx, `UPDATE characters SET name = $1 WHERE account_id = $2 AND main`, r.names[i], id)
			default:
				continue
			}
			if err != nil {
				return err
			}
			differ++
		}
		return nil
	})
	if err != nil {
		r.b.Fatal(err)
	}
	return differ
}

// resync marks everyone for a sync and works them, as the instance's job
// would, in this goroutine. Timed, the benchmark's timer runs during Work
// only, and the heap is sampled.
func (r *resyncSite) resync(ctx context.Context, timed bool) {
	r.b.Helper()
	n, err := r.svc.SyncAll(context.Background(), r.inst.ID, "sync everyone")
	if err != nil || n != resyncMembers {
		r.b.Fatalf("sync everyone: %d marked, %v", n, err)
	}
	r.clk.join(1)
	if timed {
		r.sampling, r.nextSample = true, 1000
		r.b.StartTimer()
	}
	err = r.svc.Work(ctx, r.inst.ID)
	if timed {
		r.b.StopTimer()
		r.sampling = false
	}
	r.clk.leave()
	if err != nil {
		r.b.Fatal(err)
	}
}

// check compares the guild and the service accounts with what the run
// should have left.
func (r *resyncSite) check(ctx context.Context) {
	r.b.Helper()
	st, err := r.svc.StatusOf(ctx, r.inst.ID)
	if err != nil || st.Pending != 0 || st.Errors != 0 {
		r.b.Fatalf("after the resync: %+v, %v", st, err)
	}
	for i, u := range r.users {
		want := []string{r.roles["Member"]}
		if i%resyncJoinEvery == 0 && r.inFleet {
			want = append(want, r.roles["Fleet"])
		}
		if i%resyncFriendsEvery == 3 {
			want = append(want, r.roles["Friends"])
		}
		slices.Sort(want)
		m, ok := r.sim.Member(r.guild.ID, u)
		if !ok || !slices.Equal(m.Roles, want) || m.Nick != r.names[i] {
			r.b.Fatalf("member %d on Discord: %+v, want roles %v and nickname %q", i, m, want, r.names[i])
		}
	}
}

// serve passes requests to the simulator, noting whose member a PATCH was
// for.
func (r *resyncSite) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method == http.MethodPatch {
		if i, ok := r.byUser[path.Base(req.URL.Path)]; ok {
			r.lastPatched.Store(int64(i))
		}
	}
	r.sim.ServeHTTP(w, req)
}

// sleep is the connector's sleep on the simulated clock; while the timer
// runs, it first samples the live heap each time the PATCHes have passed
// another thousand members (the timer stopped meanwhile).
func (r *resyncSite) sleep(ctx context.Context, d time.Duration) error {
	if r.sampling && int(r.lastPatched.Load()) >= r.nextSample {
		r.b.StopTimer()
		r.heap = append(r.heap, liveHeap())
		r.nextSample += 1000
		r.b.StartTimer()
	}
	return r.clk.sleep(ctx, d)
}

// liveHeap is the heap's live bytes, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// resyncRoutes are the simulator's routes, by its names.
var resyncRoutes = []string{"users/@me", "guild", "members list", "member add", "member get", "member modify", "member remove",
	"member role add", "member role remove", "roles list", "role create", "role delete"}

// routeCounts are the simulator's requests by route.
type routeCounts map[string]int

func (r *resyncSite) requests() routeCounts {
	out := routeCounts{}
	for _, route := range resyncRoutes {
		out[route] = r.sim.Requests(route)
	}
	return out
}

// since gives the routes requested since before, with their counts.
func (c routeCounts) since(before routeCounts) routeCounts {
	out := routeCounts{}
	for route, n := range c {
		if d := n - before[route]; d != 0 {
			out[route] = d
		}
	}
	return out
}
