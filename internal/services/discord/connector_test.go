package discord

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
)

// cworld is a simulated Discord and a connector of an instance on it,
// both on the world's fake clock.
type cworld struct {
	*world
	k       *connector
	metrics *services.Metrics
}

// newConn opens a connector on a fresh simulated guild; settings add to
// (or replace) the instance's.
func newConn(t *testing.T, settings map[string]string) *cworld {
	t.Helper()
	w := &cworld{world: newWorld(t, Options{}), metrics: services.NewMetrics()}
	w.k = w.open(settings)
	return w
}

func (w *cworld) open(settings map[string]string) *connector {
	w.t.Helper()
	set := map[string]string{SettingGuildID: w.guild.ID, SettingClientID: clientID, SettingClientSecret: secret,
		SettingBotToken: botToken, SettingAPIURL: w.srv.URL}
	for k, v := range settings {
		set[k] = v
	}
	k, err := open(services.Instance{Slug: "discord", Settings: set}, services.Env{Metrics: w.metrics},
		Options{Now: w.clk.now, Sleep: w.clk.sleep, Limiter: NewMemoryLimiter(w.clk.now, w.clk.sleep, 0)})
	if err != nil {
		w.t.Fatal(err)
	}
	return k
}

// prime reads the role list, so that counts of requests start after it.
func (w *cworld) prime() {
	w.t.Helper()
	if _, err := w.k.roles.current(context.Background(), rolesMaxAge); err != nil {
		w.t.Fatal(err)
	}
}

// member puts a user in the guild with roles and gives their Account as
// Keepstar would have it after applying name.
func (w *cworld) member(u discordsim.User, name string, roles ...discordsim.Role) services.Account {
	w.t.Helper()
	ids := []string{}
	for _, r := range roles {
		ids = append(ids, r.ID)
	}
	if err := w.sim.AddMember(w.guild.ID, u.ID, ids...); err != nil {
		w.t.Fatal(err)
	}
	return services.Account{ExternalID: u.ID, ExternalName: u.Username, Name: name, State: formatState(ids)}
}

// roleNames gives the names of a member's roles on the simulator, sorted.
func (w *cworld) roleNames(userID string) []string {
	w.t.Helper()
	m, ok := w.sim.Member(w.guild.ID, userID)
	if !ok {
		w.t.Fatalf("%s is not a member", userID)
	}
	byID := map[string]string{}
	for _, r := range w.sim.Roles(w.guild.ID) {
		byID[r.ID] = r.Name
	}
	var out []string
	for _, id := range m.Roles {
		out = append(out, byID[id])
	}
	slices.Sort(out)
	return out
}

func keep(names ...string) func(string) bool {
	return func(n string) bool { return slices.Contains(names, n) }
}

// Apply sends one request when something differs: the full role list
// (wanted roles, kept and managed ones) and the nick; none when nothing
// does, and never a read of the member.
func TestApplyIsOneRequest(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	a, friends := w.role("A"), w.role("Friends")
	w.role("B")
	// The bot's managed role stands for any role Discord manages (a
	// booster's): the member holds it, and the bot's highest is above.
	managed := w.sim.Roles(w.guild.ID)[len(w.sim.Roles(w.guild.ID))-1]
	top, _ := w.sim.AddRole(w.guild.ID, "Bot", true)
	w.sim.SetBotRole(w.guild.ID, top.ID)
	acct := w.member(w.user, "Old", a, friends, managed)
	want := services.Want{Name: "Pilot One", Groups: []string{"B"}, Keep: keep("Friends"), Reason: "group joined"}
	w.prime()
	n := w.hitCount()
	next, err := w.k.Apply(ctx, acct, want)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.requests(n); len(got) != 1 || got[0] != "PATCH /api/v10/guilds/"+w.guild.ID+"/members/"+w.user.ID {
		t.Fatalf("requests %v", got)
	}
	if got := w.lastHeader().Get("X-Audit-Log-Reason"); got != "Keepstar:%20group%20joined" {
		t.Fatalf("audit reason %q", got)
	}
	if names := w.roleNames(w.user.ID); !slices.Equal(names, []string{"B", "Friends", "Keepstar"}) {
		t.Fatalf("roles %v", names)
	}
	m, _ := w.sim.Member(w.guild.ID, w.user.ID)
	if m.Nick != "Pilot One" || next.State != formatState(m.Roles) || next.ExternalID != w.user.ID {
		t.Fatalf("member %+v, account %+v", m, next)
	}
	// What the reconciler stores, applied again: nothing to send.
	next.Name, next.Groups = want.Name, want.Groups
	n = w.hitCount()
	again, err := w.k.Apply(ctx, next, want)
	if err != nil || w.hitCount() != n || again.State != next.State {
		t.Fatalf("second apply: %d requests, %+v, %v", w.hitCount()-n, again, err)
	}
	// Only the nick differs: it alone is sent.
	want.Name = "Pilot Two"
	if _, err := w.k.Apply(ctx, next, want); err != nil || w.hitCount() != n+1 {
		t.Fatalf("nick: %d requests, %v", w.hitCount()-n, err)
	}
	if names := w.roleNames(w.user.ID); !slices.Equal(names, []string{"B", "Friends", "Keepstar"}) {
		t.Fatalf("roles %v", names)
	}
	// No groups wanted: every role Keepstar manages goes, the kept stay.
	want.Groups = nil
	if _, err := w.k.Apply(ctx, next, want); err != nil {
		t.Fatal(err)
	}
	if names := w.roleNames(w.user.ID); !slices.Equal(names, []string{"Friends", "Keepstar"}) {
		t.Fatalf("roles %v", names)
	}
}

// With keep_nicknames the nick is never sent; the guild's owner's never
// either (no bot may change it).
func TestApplyLeavesNicknames(t *testing.T) {
	w := newConn(t, map[string]string{SettingKeepNicknames: "true"})
	ctx := context.Background()
	w.role("A")
	acct := w.member(w.user, "")
	if _, err := w.k.Apply(ctx, acct, services.Want{Name: "Pilot", Groups: []string{"A"}}); err != nil {
		t.Fatal(err)
	}
	if m, _ := w.sim.Member(w.guild.ID, w.user.ID); m.Nick != "" || len(m.Roles) != 1 {
		t.Fatalf("member %+v", m)
	}
	owner := w.open(nil)
	acct = services.Account{ExternalID: w.guild.OwnerID, State: "[]"}
	if _, err := owner.Apply(ctx, acct, services.Want{Name: "Boss", Groups: []string{"A"}}); err != nil {
		t.Fatalf("owner: %v", err)
	}
	if m, _ := w.sim.Member(w.guild.ID, w.guild.OwnerID); m.Nick != "" || len(m.Roles) != 1 {
		t.Fatalf("owner %+v", m)
	}
}

// An account without a State (linked before one was kept) is read once.
func TestApplyWithoutStateReadsTheMember(t *testing.T) {
	w := newConn(t, nil)
	old, friends := w.role("Old"), w.role("Friends")
	acct := w.member(w.user, "x", old, friends)
	acct.State = ""
	w.prime()
	n := w.hitCount()
	next, err := w.k.Apply(context.Background(), acct, services.Want{Name: "x", Groups: []string{"Friends"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.requests(n); len(got) != 2 || !strings.HasPrefix(got[0], "GET ") || !strings.HasPrefix(got[1], "PATCH ") {
		t.Fatalf("requests %v", got)
	}
	if next.State != formatState([]string{friends.ID}) {
		t.Fatalf("state %s", next.State)
	}
}

// A member gone from the guild is services.ErrGone; kicking one is no
// error.
func TestApplyGoneAndRemove(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	acct := w.member(w.user, "x")
	if err := w.k.Remove(ctx, acct); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.sim.Member(w.guild.ID, w.user.ID); ok {
		t.Fatal("not kicked")
	}
	if err := w.k.Remove(ctx, acct); err != nil {
		t.Fatalf("kicking one gone: %v", err)
	}
	_, err := w.k.Apply(ctx, acct, services.Want{Name: "y"})
	if !errors.Is(err, services.ErrGone) || !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("err %v", err)
	}
}

// A role deleted on Discord after the list was read is made again; with
// role creation off, that is an error for the admins.
func TestApplyRoleDeletedOnDiscord(t *testing.T) {
	for _, noCreate := range []bool{false, true} {
		set := map[string]string{}
		if noCreate {
			set[SettingNoRoleCreation] = "true"
		}
		w := newConn(t, set)
		ctx := context.Background()
		member := w.role("Member")
		acct := w.member(w.user, "x")
		w.prime()
		if err := w.c.DeleteRole(ctx, w.guild.ID, member.ID); err != nil {
			t.Fatal(err)
		}
		_, err := w.k.Apply(ctx, acct, services.Want{Name: "x", Groups: []string{"Member"}})
		if noCreate {
			if !errors.Is(err, errRoleSetup) || !strings.Contains(err.Error(), "role creation is off") {
				t.Fatalf("no creation: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if names := w.roleNames(w.user.ID); !slices.Equal(names, []string{"Member"}) {
			t.Fatalf("roles %v", names)
		}
		if n := w.sim.Requests("role create"); n != 1 {
			t.Fatalf("%d roles created", n)
		}
	}
}

// Of roles sharing a name the oldest (lowest id) is used; a member holding
// a younger one is moved to it.
func TestApplyDuplicateNames(t *testing.T) {
	w := newConn(t, nil)
	first, second := w.role("Member"), w.role("Member")
	acct := w.member(w.user, "x", second)
	next, err := w.k.Apply(context.Background(), acct, services.Want{Name: "x", Groups: []string{"Member"}})
	if err != nil {
		t.Fatal(err)
	}
	if next.State != formatState([]string{first.ID}) {
		t.Fatalf("state %s, want the older role %s", next.State, first.ID)
	}
	groups, err := w.k.Groups(context.Background())
	if err != nil || !slices.Equal(groups, []string{"Member"}) {
		t.Fatalf("groups %v, %v", groups, err)
	}
}

// A missing role is made once: a second connector (another process) with
// a stale list reads the list again before making it, and when two make
// one at the same moment, the younger is deleted.
func TestRoleCreationMakesNoDuplicates(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	other := w.open(nil)
	w.prime()
	if _, err := other.roles.current(ctx, rolesMaxAge); err != nil {
		t.Fatal(err)
	}
	acct := w.member(w.user, "x")
	if _, err := w.k.Apply(ctx, acct, services.Want{Name: "x", Groups: []string{"Fleet"}}); err != nil {
		t.Fatal(err)
	}
	u := w.sim.AddUser("second")
	acct2 := w.member(u, "y")
	if _, err := other.Apply(ctx, acct2, services.Want{Name: "y", Groups: []string{"Fleet"}}); err != nil {
		t.Fatal(err)
	}
	count := func(name string) int {
		n := 0
		for _, r := range w.sim.Roles(w.guild.ID) {
			if r.Name == name {
				n++
			}
		}
		return n
	}
	if count("Fleet") != 1 || w.sim.Requests("role create") != 1 {
		t.Fatalf("%d roles Fleet, %d created", count("Fleet"), w.sim.Requests("role create"))
	}
	// Another process makes "Wing" just as this one does.
	var made discordsim.Role
	w.mu.Lock()
	w.before = func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/roles") && made.ID == "" {
			made, _ = w.sim.AddRole(w.guild.ID, "Wing", false)
		}
	}
	w.mu.Unlock()
	next, err := w.k.Apply(ctx, acct, services.Want{Name: "x", Groups: []string{"Fleet", "Wing"}})
	if err != nil {
		t.Fatal(err)
	}
	if count("Wing") != 1 || !strings.Contains(next.State, made.ID) {
		t.Fatalf("%d roles Wing; state %s, want %s", count("Wing"), next.State, made.ID)
	}
}

// A role Discord manages cannot be wanted.
func TestApplyManagedRoleWanted(t *testing.T) {
	w := newConn(t, nil)
	acct := w.member(w.user, "x")
	_, err := w.k.Apply(context.Background(), acct, services.Want{Name: "x", Groups: []string{"Keepstar"}})
	if !errors.Is(err, errRoleSetup) || !strings.Contains(err.Error(), "Discord manages") {
		t.Fatalf("err %v", err)
	}
	if n := w.sim.Requests("role create"); n != 0 {
		t.Fatalf("%d roles created", n)
	}
}

// Refusals say what an admin must fix; outages and limits are
// services.ErrUnavailable, a RetryAfter when Discord said when.
func TestApplyErrors(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	top, _ := w.sim.AddRole(w.guild.ID, "Director", true)
	acct := w.member(w.user, "x", top)
	_, err := w.k.Apply(ctx, acct, services.Want{Name: "x"})
	if !errors.Is(err, ErrMissingPermissions) || !strings.Contains(err.Error(), "missing permissions (50013)") ||
		errors.Is(err, services.ErrUnavailable) {
		t.Fatalf("50013: %v", err)
	}
	w.sim.SetOutage(http.StatusServiceUnavailable)
	_, err = w.k.Apply(ctx, acct, services.Want{Name: "y"})
	var after *services.RetryAfter
	if !errors.Is(err, services.ErrUnavailable) || !errors.Is(err, ErrUnavailable) || errors.As(err, &after) {
		t.Fatalf("outage: %v", err)
	}
	w.sim.SetOutage(0)
	// A 429 for longer than a job waits: its time comes back.
	w.sim.Force429(1, 2*time.Minute)
	_, err = w.k.Apply(ctx, acct, services.Want{Name: "y"})
	if !errors.As(err, &after) || after.After != 2*time.Minute || !errors.Is(err, services.ErrUnavailable) {
		t.Fatalf("429: %v", err)
	}
	// A 429 still answered after the client's retries.
	w.clk.advance(3 * time.Minute)
	w.sim.Force429(4, time.Second)
	_, err = w.k.Apply(ctx, acct, services.Want{Name: "y"})
	if !errors.As(err, &after) || after.After != time.Second || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("429 after retries: %v", err)
	}
	// Nothing listens: unavailable.
	gone := w.open(map[string]string{SettingAPIURL: "http://127.0.0.1:1"})
	_, err = gone.Apply(ctx, acct, services.Want{Name: "y"})
	if !errors.Is(err, services.ErrUnavailable) {
		t.Fatalf("unreachable: %v", err)
	}
	// An invalid nick (the type's Sanitize was skipped) is 50035.
	_, err = w.k.Apply(ctx, services.Account{ExternalID: w.guild.OwnerID, State: "[]"}, services.Want{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	acct2 := w.member(w.sim.AddUser("other"), "")
	_, err = w.k.Apply(ctx, acct2, services.Want{Name: strings.Repeat("n", 33)})
	if !errors.Is(err, ErrInvalidFormBody) || !strings.Contains(err.Error(), "nick") {
		t.Fatalf("50035: %v", err)
	}
}

// Waits for rate limits are counted in the metrics, on the limiter's
// clock: eleven changes in a row meet the member bucket's 10 per 10 s.
func TestApplyWaitsAreMeasured(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	acct := w.member(w.user, "")
	for i := 0; i < 11; i++ {
		if _, err := w.k.Apply(ctx, acct, services.Want{Name: strings.Repeat("n", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	if w.sim.Served429() != 0 || w.clk.slept == 0 {
		t.Fatalf("%d 429s, slept %v", w.sim.Served429(), w.clk.slept)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(w.metrics)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var waited float64
	for _, f := range families {
		if f.GetName() == "keepstar_services_rate_limit_wait_seconds_total" {
			for _, m := range f.GetMetric() {
				if m.GetLabel()[0].GetValue() == "discord" {
					waited = m.GetCounter().GetValue()
				}
			}
		}
	}
	if waited != w.clk.slept.Seconds() {
		t.Fatalf("metrics say %v s waited, the clock %v", waited, w.clk.slept)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"  Pilot One  ":                    "Pilot One",
		strings.Repeat("語", 40):            strings.Repeat("語", 32),
		strings.Repeat("a", 31) + " bcdef": strings.Repeat("a", 31),
		"":                                 "",
		"[CORP] Émile Zola":                "[CORP] Émile Zola",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if n := len([]rune(Sanitize(strings.Repeat("é", 100)))); n != MaxNick {
		t.Fatalf("%d runes", n)
	}
}

func TestType(t *testing.T) {
	ty := Type()
	if ty.Name != "discord" || ty.DefaultNameFormat != "{character_name}" || ty.Open == nil || ty.Locales == nil ||
		ty.Capabilities != (services.Capabilities{OAuthLink: true, Groups: true, Nickname: true, Bulk: true}) {
		t.Fatalf("type %+v", ty)
	}
	checks := map[string]map[string]bool{ // setting: value: accepted
		SettingGuildID:      {"1234567890123456789": true, "12a": false, "-1": false, "012": false, "99999999999999999999": false},
		SettingClientID:     {"111": true, " 111": false},
		SettingBotToken:     {"MTEx.abc.def": true, "Bot MTEx.abc.def": false, "a b": false},
		SettingClientSecret: {"s3cret-_": true, "s3cret\n": false},
		SettingAPIURL: {"https://discord.com": true, "http://127.0.0.1:8082/": true, "https://discord.com/api": false,
			"discord.com": false, "ftp://discord.com": false, "https://u:p@discord.com": false},
	}
	for _, s := range ty.Settings {
		if s.Label == "" || s.Help == "" {
			t.Errorf("%s has no label or help", s.Key)
		}
		for v, ok := range checks[s.Key] {
			if err := s.Check(v); (err == nil) != ok {
				t.Errorf("%s: Check(%q) = %v", s.Key, v, err)
			}
		}
		delete(checks, s.Key)
		if secret := s.Key == SettingBotToken || s.Key == SettingClientSecret; s.Secret != secret {
			t.Errorf("%s: secret %v", s.Key, s.Secret)
		}
	}
	if len(checks) != 0 {
		t.Errorf("settings missing: %v", checks)
	}
	// Open needs a guild and a bot token, and refuses a bad address.
	for _, set := range []map[string]string{{SettingBotToken: "t"}, {SettingGuildID: "1"},
		{SettingGuildID: "1", SettingBotToken: "t", SettingAPIURL: "https://discord.com/api"}} {
		if _, err := ty.Open(context.Background(), services.Instance{Settings: set}, services.Env{}); err == nil {
			t.Errorf("opened with %v", set)
		}
	}
	conn, err := ty.Open(context.Background(), services.Instance{Settings: map[string]string{SettingGuildID: "1", SettingBotToken: "t"}},
		services.Env{})
	if err != nil || conn.(*connector).apiURL != DefaultAPIURL {
		t.Fatalf("open: %v", err)
	}
}

// Jobs sharing a connector and wanting the same missing role make it once.
func TestConcurrentAppliesMakeOneRole(t *testing.T) {
	w := newConn(t, nil)
	ctx := context.Background()
	var accts []services.Account
	for i := 0; i < 8; i++ {
		accts = append(accts, w.member(w.sim.AddUser("u"+strings.Repeat("x", i)), "n"))
	}
	errs := make(chan error, len(accts))
	for _, a := range accts {
		go func() {
			_, err := w.k.Apply(ctx, a, services.Want{Name: "n", Groups: []string{"Fleet"}})
			errs <- err
		}()
	}
	for range accts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := w.sim.Requests("role create"); n != 1 {
		t.Fatalf("%d roles created", n)
	}
	for _, a := range accts {
		if names := w.roleNames(a.ExternalID); !slices.Equal(names, []string{"Fleet"}) {
			t.Fatalf("%s has %v", a.ExternalID, names)
		}
	}
}
