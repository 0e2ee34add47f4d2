package affiliations_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// The changes a benchmark run meets, besides KEEPSTAR_BENCH_MOVES
// characters moving: corporations new to Keepstar, corporations that joined
// another alliance, alliances new to Keepstar, characters biomassed.
const (
	benchNewCorporations     = 100
	benchChangedCorporations = 50
	benchNewAlliances        = 10
	benchBiomassed           = 30
)

// benchSize reads a size from the environment.
func benchSize(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkAffiliationSync measures the hourly affiliation job over a large
// site: KEEPSTAR_BENCH_CHARACTERS characters (default 300,000) known to the
// database and to the simulator, which answers every call after 20 ms.
// Before each sync, KEEPSTAR_BENCH_MOVES characters (default 1 %) move to
// other corporations, 100 corporations and 10 alliances are new to
// Keepstar, 50 corporations join another alliance and 30 characters are
// biomassed; the corporations and alliances Keepstar knows were read an
// hour before (ESI's answers have just expired).
//
// The job runs in a child process, as `keepstar serve` runs it (River, the
// ESI client with its limit gate and cache in the database, the account
// rules and the access recomputation of the accounts touched), so that its
// peak resident memory (VmHWM) is the sync's alone, not the simulator's.
// Reported: ESI calls made and their floor (one affiliation call per 1000
// characters and one per new or changed corporation or alliance), the
// job's time, and the child's peak memory. Run with -benchtime 1x.
func BenchmarkAffiliationSync(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) { benchmarkSync(b, d) })
	}
}

func benchmarkSync(b *testing.B, d config.Dialect) {
	ctx := context.Background()
	n := benchSize("KEEPSTAR_BENCH_CHARACTERS", 300_000)
	moves := benchSize("KEEPSTAR_BENCH_MOVES", max(n/100, 1))
	dbc := storetest.Database(b, d)
	db, err := store.Open(ctx, dbc, 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.MigrateSchema(ctx, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := jobs.Migrate(ctx, db, nil); err != nil {
		b.Fatal(err)
	}
	// The wall clock: the child's ESI client and Keepstar's entries follow it.
	s := newSimEVEOn(b, n, universe.NewClock(nil))
	u := s.Universe
	s.control(b, "/control/faults", map[string]string{"route": "*", "latency": "20ms"})
	addCharacters(b, db, u, u.CharacterIDs())
	storeEntities(b, db, u)
	spec := dbc.URL
	if d == config.SQLite {
		spec = "sqlite:" + dbc.Path
	}

	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		floor, moved, biomassed := changeForBench(b, db, u, i, moves)
		s.reset()
		b.StartTimer()
		out := runSyncChild(b, spec, s.url)
		b.StopTimer()
		affCalls, _ := s.counts("affiliation")
		corpCalls, _ := s.counts("corporation")
		allianceCalls, _ := s.counts("alliance")
		calls := affCalls + corpCalls + allianceCalls
		checkBenchSync(b, db, u, moved, biomassed)
		b.ReportMetric(float64(calls), "esi-calls")
		b.ReportMetric(float64(floor), "esi-floor")
		b.ReportMetric(float64(out.JobMS)/1000, "job-s")
		b.ReportMetric(float64(out.PeakKB)/1024, "peak-MB")
		b.Logf("%s, %d characters, %d moved: %d ESI calls (%d affiliation, %d corporation, %d alliance), floor %d (+%.1f %%); "+
			"job %.1f s, %.1f s from queueing to its end; child's peak resident memory %.1f MB",
			d, n, moves, calls, affCalls, corpCalls, allianceCalls, floor, 100*float64(calls-floor)/float64(floor),
			float64(out.JobMS)/1000, float64(out.WallMS)/1000, float64(out.PeakKB)/1024)
		if out.State != "completed" {
			b.Fatalf("the job ended %s", out.State)
		}
		b.StartTimer()
	}
}

// storeEntities stores every corporation and alliance of the universe as
// read an hour ago, their ESI answers expiring now.
func storeEntities(b *testing.B, db *store.DB, u *universe.Universe) {
	b.Helper()
	now := time.Now().UTC()
	read := now.Add(-time.Hour)
	var corps, alliances [][]any
	for _, id := range u.CorporationIDs() {
		c, _ := u.Corporation(id)
		corps = append(corps, []any{id, c.Name, c.Ticker, nullID(c.AllianceID), nullID(c.FactionID), read, now})
	}
	for _, id := range u.Alliances() {
		a, _ := u.Alliance(id)
		alliances = append(alliances, []any{id, a.Name, a.Ticker, read, now})
	}
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		if err := bulkInsert(tx, "eve_corporations", "id, name, ticker, alliance_id, faction_id, updated_at, expires_at", corps); err != nil {
			return err
		}
		return bulkInsert(tx, "eve_alliances", "id, name, ticker, updated_at, expires_at", alliances)
	})
	if err != nil {
		b.Fatal(err)
	}
	if db.Dialect() == config.Postgres {
		if _, err := db.Exec(context.Background(), `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}

// changeForBench makes the changes of run i in the universe and in what
// Keepstar knows, and gives the floor of ESI calls of the sync that
// follows, the characters moved and those biomassed.
func changeForBench(b *testing.B, db *store.DB, u *universe.Universe, i, moves int) (floor int, moved, biomassed []int32) {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(uint64(i), 6))
	var count int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM characters`).Scan(&count); err != nil {
		b.Fatal(err)
	}
	// One affiliation call per 1000 characters of each chunk.
	floor = count/affiliations.DefaultChunk*((affiliations.DefaultChunk+999)/1000) + (count%affiliations.DefaultChunk+999)/1000

	ids := u.CharacterIDs()
	for len(biomassed) < benchBiomassed {
		if c, _ := u.Character(ids[r.IntN(len(ids))]); !c.Biomassed {
			if err := u.Biomass(c.ID); err != nil {
				b.Fatal(err)
			}
			biomassed = append(biomassed, c.ID)
		}
	}
	corps := playerCorporations(u)
	for len(moved) < moves {
		c, _ := u.Character(ids[r.IntN(len(ids))])
		to := corps[r.IntN(len(corps))]
		if c.Biomassed || to == c.CorporationID {
			continue
		}
		if err := u.MoveCharacter(c.ID, to); err != nil {
			b.Fatal(err)
		}
		moved = append(moved, c.ID)
	}

	// Alliances new to Keepstar, then corporations new to it, then
	// corporations (outside the new alliances) joining another alliance:
	// each with members, so that the affiliations name it.
	alliances := u.Alliances()
	r.Shuffle(len(alliances), func(i, j int) { alliances[i], alliances[j] = alliances[j], alliances[i] })
	newAlliances := map[int32]bool{}
	for _, a := range alliances {
		if len(newAlliances) == benchNewAlliances {
			break
		}
		members := 0
		acs, _ := u.AllianceCorporations(a)
		for _, c := range acs {
			members += u.MemberCount(c)
		}
		if members > 0 {
			newAlliances[a] = true
			if _, err := db.Exec(ctx, `DELETE FROM eve_alliances WHERE id = $1`, a); err != nil {
				b.Fatal(err)
			}
		}
	}
	r.Shuffle(len(corps), func(i, j int) { corps[i], corps[j] = corps[j], corps[i] })
	var newCorps, changedCorps int
	for _, id := range corps {
		c, _ := u.Corporation(id)
		if u.MemberCount(id) == 0 || newAlliances[c.AllianceID] {
			continue
		}
		switch {
		case newCorps < benchNewCorporations:
			newCorps++
			if _, err := db.Exec(ctx, `DELETE FROM eve_corporations WHERE id = $1`, id); err != nil {
				b.Fatal(err)
			}
		case changedCorps < benchChangedCorporations:
			to := alliances[r.IntN(len(alliances))]
			if to == c.AllianceID || newAlliances[to] {
				continue
			}
			changedCorps++
			if err := u.SetCorporationAlliance(id, to); err != nil {
				b.Fatal(err)
			}
		}
	}
	return floor + newCorps + changedCorps + len(newAlliances), moved, biomassed
}

// checkBenchSync checks that the sync applied the moves and removed the
// biomassed characters.
func checkBenchSync(b *testing.B, db *store.DB, u *universe.Universe, moved, biomassed []int32) {
	b.Helper()
	got := storedAffiliations(b, db)
	wrong := 0
	for _, id := range moved {
		if c, _ := u.Character(id); !c.Biomassed && got[id] != universeAffiliation(b, u, id) {
			wrong++
		}
	}
	for _, id := range biomassed {
		if _, found := got[id]; found {
			wrong++
		}
	}
	if wrong > 0 {
		b.Errorf("%d of %d moved or biomassed characters not as the universe has them", wrong, len(moved)+len(biomassed))
	}
}

// syncChildEnv carries the child's database and ESI, as JSON.
const syncChildEnv = "KEEPSTAR_BENCH_SYNC_CHILD"

type syncChildSpec struct {
	Database string `json:"database"`
	ESI      string `json:"esi"`
}

// syncChildOut is what the child reports.
type syncChildOut struct {
	State  string `json:"state"`
	JobMS  int64  `json:"job_ms"`
	WallMS int64  `json:"wall_ms"`
	PeakKB int64  `json:"peak_kb"`
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(syncChildEnv); spec != "" {
		if err := syncChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "sync child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runSyncChild runs the job in a child process (this test binary) and
// gives its report.
func runSyncChild(b *testing.B, database, esiURL string) syncChildOut {
	b.Helper()
	spec, err := json.Marshal(syncChildSpec{Database: database, ESI: esiURL})
	if err != nil {
		b.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), syncChildEnv+"="+string(spec))
	child.Stderr = os.Stderr
	stdout, err := child.Output()
	if err != nil {
		b.Fatalf("sync child: %v", err)
	}
	var out syncChildOut
	sc := bufio.NewScanner(strings.NewReader(string(stdout)))
	for sc.Scan() {
		if err := json.Unmarshal(sc.Bytes(), &out); err == nil && out.State != "" {
			return out
		}
	}
	b.Fatalf("sync child said nothing of its run: %q", stdout)
	return out
}

// syncChild wires the job as the serve process does, runs it once, and
// prints its report as JSON.
func syncChild(specJSON string) error {
	ctx := context.Background()
	var spec syncChildSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return err
	}
	dbc, err := config.ParseDatabaseURL(spec.Database)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dbc, 10)
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	client, err := esi.New(esi.Config{BaseURL: spec.ESI, UserAgent: "keepstar-bench", Cache: esi.NewCache(db, 0),
		Gate: esi.NewGate(db, esi.GateOptions{}), Logger: logger})
	if err != nil {
		return err
	}
	box, err := secrets.New([]byte("a benchmark key of at least thirty-two bytes"), tokens.SecretPurpose)
	if err != nil {
		return err
	}
	st := settings.NewStore(db, settings.NewRegistry(accounts.Settings, notifications.Settings, access.Settings), nil, 0)
	recomputer := access.NewRecomputer(db, st, nil)
	acc := accounts.New(db, accounts.Options{Tokens: tokens.NewStore(db, box, nil), Notifier: notifications.NewStore(db, st, nil),
		Changed: func(ctx context.Context, ids []int64) {
			if _, err := recomputer.Accounts(ctx, ids); err != nil {
				logger.ErrorContext(ctx, "recompute", "error", err)
			}
		}})
	reg := jobs.NewRegistry()
	affiliations.Register(reg, affiliations.New(db, client, nil, 0), acc, time.Hour, logger)
	q, err := jobs.New(ctx, db, reg, jobs.Options{Workers: 1, JobTimeout: time.Hour, PollInterval: 100 * time.Millisecond,
		NoSchedules: true, Logger: logger})
	if err != nil {
		return err
	}
	if err := q.Start(ctx); err != nil {
		return err
	}
	defer q.Stop(ctx)
	started := time.Now()
	id, _, err := q.RunNow(ctx, (affiliations.SyncArgs{}).Kind())
	if err != nil {
		return err
	}
	row, err := q.Wait(ctx, id, 20*time.Millisecond, nil)
	if err != nil {
		return err
	}
	out := syncChildOut{State: string(row.State), WallMS: time.Since(started).Milliseconds()}
	statuses, err := jobs.Statuses(ctx, db)
	if err != nil {
		return err
	}
	for _, s := range statuses {
		if s.Kind == (affiliations.SyncArgs{}).Kind() {
			out.JobMS = s.LastDuration.Milliseconds()
		}
	}
	if out.PeakKB, err = peakResident(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// peakResident reads the process's peak resident memory (VmHWM), in kB.
func peakResident() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}
