package teamspeak3

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/teamspeaksim"
)

// resyncWorld is a server with members clients already found: every one
// wants Member and Capitals; every other one has Member already, every
// tenth has Old, which it must lose.
type resyncWorld struct {
	accts              []services.Account
	adds, removes      int
	want               services.Want
	capitals, old, mem int
}

func newResyncWorld(t testing.TB, s *sim, members int) *resyncWorld {
	t.Helper()
	w := &resyncWorld{want: services.Want{Groups: []string{"Capitals", "Member"}}}
	w.mem = s.AddGroup("Member", teamspeaksim.GroupRegular)
	w.capitals = s.AddGroup("Capitals", teamspeaksim.GroupRegular)
	w.old = s.AddGroup("Old", teamspeaksim.GroupRegular)
	for i := range members {
		dbid, _ := s.AddClient(fmt.Sprintf("pilot %d", i))
		w.adds++ // Capitals
		if i%2 == 0 {
			if err := s.SetClientGroup(dbid, w.mem, true); err != nil {
				t.Fatal(err)
			}
		} else {
			w.adds++
		}
		if i%10 == 0 {
			if err := s.SetClientGroup(dbid, w.old, true); err != nil {
				t.Fatal(err)
			}
			w.removes++
		}
		w.accts = append(w.accts, services.Account{ExternalID: fmt.Sprint("ks", i), State: state{CLDBID: dbid}.String()})
	}
	return w
}

// setupCommands are a session's login, use and clientupdate, and the
// group list's servergrouplist and serverinfo.
const setupCommands = 5

// A resync of 5,000 members within the default anti-flood rule: never
// refused, exactly one read per member plus the changes needed, and it
// takes exactly the time the rule allows for that many commands (on the
// shared test clock, which the limiter's waits move).
func TestResync5000WithinFloodRule(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, teamspeaksim.Options{})
	w := newResyncWorld(t, s, 5000)
	k := open(t, s, Options{}, nil)
	start := s.clk.Now()
	for _, a := range w.accts {
		if _, err := k.Apply(ctx, a, w.want); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Floods != 0 || st.Bans != 0 {
		t.Fatalf("%d floods, %d bans", st.Floods, st.Bans)
	}
	took := s.clk.Now().Sub(start)
	// The group list is read at the start and again each time it is
	// older than groupsMaxAge (two commands each time): over the hour
	// the rule makes this resync last, a handful.
	lists := st.Commands["servergrouplist"]
	if lists < 1 || lists > 1+int(took/groupsMaxAge) || st.Commands["serverinfo"] != lists {
		t.Fatalf("the group list read %d times in %s", lists, took)
	}
	floor := setupCommands + len(w.accts) + w.adds + w.removes
	if st.Total() != floor+2*(lists-1) {
		t.Fatalf("%d commands, the floor is %d and %d list reads: %v", st.Total(), floor, lists, st.Commands)
	}
	if len(st.Adds) != w.adds || len(st.Removes) != w.removes {
		t.Fatalf("%d adds, %d removes applied; want %d, %d", len(st.Adds), len(st.Removes), w.adds, w.removes)
	}
	if allowed := time.Duration((st.Total()-1)/FloodCommands) * FloodWindow; took != allowed {
		t.Fatalf("%d commands took %s; the rule allows them in %s", st.Total(), took, allowed)
	}
	t.Logf("%d members: %d commands (floor %d: %d reads, %d adds, %d removes, %d setup; %d list reads), %s on the rule's clock",
		len(w.accts), st.Total(), floor, len(w.accts), w.adds, w.removes, setupCommands, lists, took)
}

// BenchmarkResync5000 resyncs 5,000 members in real time against the
// simulated server with the anti-flood rule scaled down 300 times (10
// commands per 10 ms instead of per 3 s: the same ratio, so the same
// count of windows), with the limiter on. It reports the commands sent
// and the wall time as a ratio of what the rule allows for them.
//
//	go test -p 1 -run '^$' -bench Resync5000 -benchtime 1x ./internal/services/teamspeak3/
func BenchmarkResync5000(b *testing.B) {
	const window = 10 * time.Millisecond
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		clk := time.Now
		s := startSim(b, teamspeaksim.Options{Now: clk, FloodWindow: window})
		w := newResyncWorld(b, s, 5000)
		k := open(b, s, Options{Now: clk, FloodCommands: FloodCommands, FloodWindow: window}, nil)
		b.StartTimer()
		start := time.Now()
		for _, a := range w.accts {
			if _, err := k.Apply(ctx, a, w.want); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		b.StopTimer()
		st := s.Stats()
		if st.Floods != 0 || st.Bans != 0 {
			b.Fatalf("%d floods, %d bans", st.Floods, st.Bans)
		}
		floor := setupCommands + len(w.accts) + w.adds + w.removes
		if st.Total() != floor {
			b.Fatalf("%d commands, the floor is %d: %v", st.Total(), floor, st.Commands)
		}
		allowed := time.Duration((st.Total()-1)/FloodCommands) * window
		b.ReportMetric(float64(st.Total()), "commands")
		b.ReportMetric(float64(floor), "floor")
		b.ReportMetric(took.Seconds()/allowed.Seconds(), "x-allowed")
		b.ReportMetric(allowed.Seconds()*300/60, "real-rule-min")
		_ = k.Close()
		b.StartTimer()
	}
}
