package discord

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/discordsim"
)

func wantIs(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
	var api *APIError
	if target != ErrBreakerOpen && !errors.As(err, &api) {
		t.Fatalf("error %v is not an *APIError", err)
	}
}

func TestAddMemberTellsCreatedFromAlreadyMember(t *testing.T) {
	w := newWorld(t, Options{})
	ctx := context.Background()
	r := w.role("Member")
	tok := w.accessToken(w.user.ID)
	joined, added, err := w.c.AddMember(ctx, w.guild.ID, w.user.ID, tok, "Pilot One", []string{r.ID})
	if err != nil || !added || joined.User.ID != w.user.ID || joined.Nick != "Pilot One" || len(joined.Roles) != 1 {
		t.Fatalf("first join: added %v %+v, %v", added, joined, err)
	}
	h := w.lastHeader()
	if h.Get("Authorization") != "Bot "+botToken || h.Get("User-Agent") != "DiscordBot (https://keepstar.example, 1.2.3)" ||
		h.Get("X-Audit-Log-Reason") != "Keepstar" {
		t.Fatalf("headers %v", h)
	}
	m, ok := w.sim.Member(w.guild.ID, w.user.ID)
	if !ok || m.Nick != "Pilot One" || len(m.Roles) != 1 || m.Roles[0] != r.ID {
		t.Fatalf("member %+v %v", m, ok)
	}
	_, added, err = w.c.AddMember(ctx, w.guild.ID, w.user.ID, tok, "", nil)
	if err != nil || added {
		t.Fatalf("second join: added %v, %v", added, err)
	}
	_, _, err = w.c.AddMember(ctx, w.guild.ID, w.user.ID, "", "", nil)
	wantIs(t, err, ErrInvalidFormBody)
	var api *APIError
	if errors.As(err, &api); !strings.Contains(string(api.Errors), "access_token") {
		t.Fatalf("50035 errors %s do not name the field", api.Errors)
	}
	_, _, err = w.c.AddMember(ctx, "404404", w.user.ID, tok, "", nil)
	wantIs(t, err, ErrUnknownGuild)
}

func TestMemberUpdateAndRoles(t *testing.T) {
	w := newWorld(t, Options{})
	ctx := WithReason(context.Background(), "Keepstar: group sync é")
	a, b := w.role("A"), w.role("B")
	if _, err := w.c.Member(ctx, w.guild.ID, w.user.ID); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("absent member: %v", err)
	}
	if err := w.sim.AddMember(w.guild.ID, w.user.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	m, err := w.c.Member(ctx, w.guild.ID, w.user.ID)
	if err != nil || m.User.ID != w.user.ID || len(m.Roles) != 1 || m.User.Username != "pilot" {
		t.Fatalf("member %+v, %v", m, err)
	}
	nick := "Capsuleer"
	m, err = w.c.UpdateMember(ctx, w.guild.ID, w.user.ID, []string{b.ID}, &nick)
	if err != nil || m.Nick != nick || len(m.Roles) != 1 || m.Roles[0] != b.ID {
		t.Fatalf("patched %+v, %v", m, err)
	}
	if got := w.lastHeader().Get("X-Audit-Log-Reason"); got != "Keepstar:%20group%20sync%20%C3%A9" {
		t.Fatalf("audit reason %q", got)
	}
	long := strings.Repeat("x", 33)
	_, err = w.c.UpdateMember(ctx, w.guild.ID, w.user.ID, nil, &long)
	wantIs(t, err, ErrInvalidFormBody)
	_, err = w.c.UpdateMember(ctx, w.guild.ID, w.user.ID, []string{"999"}, nil)
	if err == nil {
		t.Fatal("unknown role id accepted")
	}
	if err := w.c.AddRole(ctx, w.guild.ID, w.user.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.c.RemoveRole(ctx, w.guild.ID, w.user.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if m, _ := w.sim.Member(w.guild.ID, w.user.ID); len(m.Roles) != 1 || m.Roles[0] != a.ID {
		t.Fatalf("roles after add/remove %v", m.Roles)
	}
	wantIs(t, w.c.AddRole(ctx, w.guild.ID, w.user.ID, "12345"), ErrUnknownRole)
	top, err := w.sim.AddRole(w.guild.ID, "Director", true)
	if err != nil {
		t.Fatal(err)
	}
	wantIs(t, w.c.AddRole(ctx, w.guild.ID, w.user.ID, top.ID), ErrMissingPermissions)
	if err := w.c.RemoveMember(ctx, w.guild.ID, w.user.ID); err != nil {
		t.Fatal(err)
	}
	wantIs(t, w.c.RemoveMember(ctx, w.guild.ID, w.user.ID), ErrUnknownMember)
	wantIs(t, w.c.AddRole(ctx, w.guild.ID, w.user.ID, a.ID), ErrUnknownMember)
}

func TestRolesGuildAndCurrentUser(t *testing.T) {
	w := newWorld(t, Options{})
	ctx := context.Background()
	r, err := w.c.CreateRole(ctx, w.guild.ID, "Fleet")
	if err != nil || r.ID == "" || r.Name != "Fleet" {
		t.Fatalf("created %+v, %v", r, err)
	}
	_, err = w.c.CreateRole(ctx, w.guild.ID, strings.Repeat("n", 101))
	wantIs(t, err, ErrInvalidFormBody)
	roles, err := w.c.Roles(ctx, w.guild.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range roles {
		found = found || x.ID == r.ID
	}
	if !found || len(roles) != 3 {
		t.Fatalf("roles %+v", roles)
	}
	g, err := w.c.Guild(ctx, w.guild.ID)
	if err != nil || g.Name != "Alliance" || g.ID != w.guild.ID {
		t.Fatalf("guild %+v, %v", g, err)
	}
	_, err = w.c.Guild(ctx, "77")
	wantIs(t, err, ErrUnknownGuild)
	w.sim.SetBotPermissions(w.guild.ID, 0)
	_, err = w.c.CreateRole(ctx, w.guild.ID, "Nope")
	wantIs(t, err, ErrMissingPermissions)
	u, err := w.c.CurrentUser(ctx, w.accessToken(w.user.ID))
	if err != nil || u.ID != w.user.ID || u.Username != "pilot" {
		t.Fatalf("me %+v, %v", u, err)
	}
	if w.lastHeader().Get("X-Audit-Log-Reason") != "" {
		t.Fatal("audit reason on a read")
	}
	_, err = w.c.CurrentUser(ctx, "stale")
	wantIs(t, err, ErrUnauthorized)
}

func TestBurstWaitsForBucketReset(t *testing.T) { burstWaitsForBucketReset(t, newWorld(t, Options{})) }

// The limits tests below run on the MemoryLimiter here and on the
// DBLimiter in dblimiter_test.go.
func burstWaitsForBucketReset(t *testing.T, w *world) {
	ctx := context.Background()
	if err := w.sim.AddMember(w.guild.ID, w.user.ID); err != nil {
		t.Fatal(err)
	}
	start := w.clk.now()
	// GET member allows 5 per second: the sixth must wait for the reset.
	for i := 0; i < 6; i++ {
		if _, err := w.c.Member(ctx, w.guild.ID, w.user.ID); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := w.sim.Served429(); n != 0 {
		t.Fatalf("served %d 429s", n)
	}
	// The DBLimiter adds a millisecond to each reset (Discord rounds them).
	if got := w.clk.now().Sub(start); got < time.Second || got > time.Second+resetMargin {
		t.Fatalf("clock advanced %v, want the bucket's 1s reset", got)
	}
	// A second guild has its own bucket: no wait.
	other := w.sim.AddGuild("Other", "")
	if err := w.sim.AddMember(other.ID, w.user.ID); err != nil {
		t.Fatal(err)
	}
	before := w.clk.now()
	for i := 0; i < 5; i++ {
		if _, err := w.c.Member(ctx, other.ID, w.user.ID); err != nil {
			t.Fatal(err)
		}
	}
	if w.clk.now() != before {
		t.Fatal("another guild's bucket waited")
	}
}

func TestGlobalGateHoldsFiftyPerSecond(t *testing.T) {
	globalGateHoldsFiftyPerSecond(t, newWorld(t, Options{}))
}

func globalGateHoldsFiftyPerSecond(t *testing.T, w *world) {
	ctx := context.Background()
	start := w.clk.now()
	// Roles has no bucket of its own: only the global gate applies.
	for i := 0; i < 2*discordsim.GlobalLimit+1; i++ {
		if _, err := w.c.Roles(ctx, w.guild.ID); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := w.sim.Served429(); n != 0 {
		t.Fatalf("served %d 429s", n)
	}
	// Each fifty wait out the global window: a second and the margin for
	// latencies (globalWindow).
	if got := w.clk.now().Sub(start); got != 2*globalWindow {
		t.Fatalf("clock advanced %v, want %v for 101 calls", got, 2*globalWindow)
	}
}

func TestForced429IsWaitedOut(t *testing.T) { forced429IsWaitedOut(t, newWorld(t, Options{})) }

func forced429IsWaitedOut(t *testing.T, w *world) {
	ctx := context.Background()
	w.sim.Force429(2, 2500*time.Millisecond)
	if _, err := w.c.Guild(ctx, w.guild.ID); err != nil {
		t.Fatal(err)
	}
	if n := w.hitCount(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	w.mu.Lock()
	hits := append([]time.Time{}, w.hits...)
	w.mu.Unlock()
	for i := 1; i < 3; i++ {
		if gap := hits[i].Sub(hits[i-1]); gap < 2500*time.Millisecond {
			t.Fatalf("retry %d sent %v after the 429, before retry_after 2.5s", i, gap)
		}
	}
	if w.c.InvalidResponses() != 0 {
		t.Fatal("shared 429s counted as invalid")
	}
	// Beyond the retries the 429 is the answer.
	w.sim.Force429(10, time.Second)
	_, err := w.c.Guild(ctx, w.guild.ID)
	wantIs(t, err, ErrRateLimited)
	if n := w.hitCount(); n != 3+4 {
		t.Fatalf("%d requests, want 1 + 3 retries more", n)
	}
}

func TestCancelledWhileWaiting(t *testing.T) {
	w := newWorld(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	w.sim.Force429(1, time.Minute)
	w.c.o.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	w.c.o.Limiter = NewMemoryLimiter(w.clk.now, w.c.o.Sleep, 0)
	if _, err := w.c.Guild(ctx, w.guild.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if n := w.hitCount(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

func TestOutageIsAnErrorWithoutRetries(t *testing.T) {
	w := newWorld(t, Options{})
	w.sim.SetOutage(http.StatusBadGateway)
	_, err := w.c.Guild(context.Background(), w.guild.ID)
	wantIs(t, err, ErrUnavailable)
	if n := w.hitCount(); n != 1 {
		t.Fatalf("%d requests during the outage", n)
	}
}

func TestBreakerTripsOnInvalidResponses(t *testing.T) {
	w := newWorld(t, Options{BotToken: "wrong", BreakerAt: 3})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := w.c.Guild(ctx, w.guild.ID)
		wantIs(t, err, ErrUnauthorized)
	}
	if n := w.c.InvalidResponses(); n != 3 {
		t.Fatalf("counted %d invalid responses", n)
	}
	_, err := w.c.Guild(ctx, w.guild.ID)
	if !errors.Is(err, ErrBreakerOpen) || w.hitCount() != 3 {
		t.Fatalf("err %v after %d requests", err, w.hitCount())
	}
	w.clk.advance(InvalidWindow + time.Second)
	if _, err := w.c.Guild(ctx, w.guild.ID); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("after the window: %v", err)
	}
	if w.sim.InvalidRequests() != 1 {
		t.Fatalf("simulator counted %d", w.sim.InvalidRequests())
	}
}

func TestDefaultsPinV10(t *testing.T) {
	c := New(Options{})
	if c.base != "https://discord.com/api/v10" || c.o.BreakerAt != 1000 || c.o.MaxRetries != 3 {
		t.Fatalf("defaults %q %+v", c.base, c.o)
	}
}
