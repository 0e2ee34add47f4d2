package tokencheck_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	simesi "github.com/keepstar/keepstar/internal/evesim/esi"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/tokencheck"
)

// each runs fn on a whole site (the serve process on a fresh database and
// the simulated EVE), once per engine.
func each(t *testing.T, fn func(t *testing.T, site *sitetest.Site)) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			// core.tracking's tokens are checked as a member tracking
			// feature will have them.
			fn(t, sitetest.Start(t, sitetest.Options{Dialect: d, Features: []app.Constructor{sitetest.TokenLogins}}))
		})
	}
}

// configure changes run-time settings in the site's database. Tests do it
// before anything reads the settings, whose snapshot lives five seconds.
func configure(t *testing.T, site *sitetest.Site, values map[string]string) {
	t.Helper()
	st := settings.NewStore(site.DB, settings.NewRegistry(access.Settings, tokencheck.Settings), nil, 0)
	if err := st.Set(context.Background(), values); err != nil {
		t.Fatal(err)
	}
}

func exec(t *testing.T, site *sitetest.Site, query string, args ...any) {
	t.Helper()
	if _, err := site.DB.Exec(context.Background(), query, args...); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, site *sitetest.Site, query string, args ...any) int {
	t.Helper()
	var n int
	if err := site.DB.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// control calls the simulator's control API, as a test of any language
// would.
func control(t *testing.T, site *sitetest.Site, path, body string) {
	t.Helper()
	res, err := http.Post(site.SimURL+"/control/"+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := sitetest.Body(t, res); res.StatusCode != http.StatusOK {
		t.Fatalf("control %s: %d %s", path, res.StatusCode, b)
	}
}

// row is what a test reads of a stored token, without this code's help.
type row struct {
	version      int64
	checkedAt    time.Time
	valid        bool
	invalidSince *time.Time
	hasRoles     *bool
}

func rows(t *testing.T, site *sitetest.Site) map[tokens.Key]row {
	t.Helper()
	rs, err := site.DB.Query(context.Background(), `SELECT character_id, login, version, checked_at, validity, invalid_since, has_roles FROM eve_tokens`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[tokens.Key]row{}
	for rs.Next() {
		var k tokens.Key
		var r row
		var validity string
		if err := rs.Scan(&k.CharacterID, &k.Login, &r.version, &r.checkedAt, &validity, &r.invalidSince, &r.hasRoles); err != nil {
			t.Fatal(err)
		}
		r.valid = validity == "valid"
		out[k] = r
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// refreshed lists, sorted, the tokens refreshed between two readings,
// failing when one was refreshed more than once (a refresh is a claim and
// a write: two versions) or changed otherwise.
func refreshed(t *testing.T, before, after map[tokens.Key]row) []tokens.Key {
	t.Helper()
	var out []tokens.Key
	for k, b := range before {
		a, ok := after[k]
		switch {
		case !ok || a.version == b.version:
		case a.version == b.version+2 && a.valid && a.checkedAt.After(b.checkedAt):
			out = append(out, k)
		default:
			t.Fatalf("token %v: version %d → %d, valid %t → %t", k, b.version, a.version, b.valid, a.valid)
		}
	}
	slices.SortFunc(out, func(x, y tokens.Key) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
	return out
}

func keysOf(ids []int32) []tokens.Key {
	var out []tokens.Key
	for _, id := range ids {
		out = append(out, tokens.Key{CharacterID: id, Login: "core.default"})
	}
	slices.SortFunc(out, func(x, y tokens.Key) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
	return out
}

// logIn logs in the first character and adds the others.
func logIn(t *testing.T, site *sitetest.Site, ids []int32) *sitetest.Browser {
	t.Helper()
	b := site.NewBrowser(t)
	b.LogIn(t, ids[0])
	for _, id := range ids[1:] {
		b.AddCharacter(t, id)
	}
	return b
}

// waitJob waits for a job to be in a state wanted, or fails.
func waitJob(t *testing.T, site *sitetest.Site, id int64, until func(*rivertype.JobRow) bool) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		job, err := site.Queue().Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if until(job) {
			return job
		}
		if job.FinalizedAt != nil || time.Now().After(deadline) {
			t.Fatalf("job %d is %s, errors %v", id, job.State, job.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A run asked for by hand (the schedule's on-demand arguments, as `keepstar
// jobs run` queues them) refreshes every token once; a scheduled run in the
// same period refreshes none. Once tokens are older than the period, a
// scheduled run checks its share, the oldest first: here six tokens over a
// one-hour period at one tick of ten minutes, twice 6 × 10 / 60 = 2.
func TestRunChecksEachTokenOnce(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		configure(t, site, map[string]string{"tokens.check_hours": "1"})
		a := site.AccountCharacters(t, 2)
		b := site.AccountCharacters(t, 2, a...)
		c := site.AccountCharacters(t, 2, slices.Concat(a, b)...)
		for _, ids := range [][]int32{a, b, c} {
			logIn(t, site, ids)
		}
		all := keysOf(slices.Concat(a, b, c))

		before := rows(t, site)
		id, _, err := site.Queue().RunNow(ctx, tokencheck.Args{}.Kind())
		if err != nil {
			t.Fatal(err)
		}
		job := waitJob(t, site, id, func(j *rivertype.JobRow) bool { return j.State == rivertype.JobStateCompleted })
		var args tokencheck.Args
		if err := json.Unmarshal(job.EncodedArgs, &args); err != nil || !args.All {
			t.Fatalf("the run by hand had the arguments %s (%v)", job.EncodedArgs, err)
		}
		after := rows(t, site)
		if got := refreshed(t, before, after); !slices.Equal(got, all) {
			t.Fatalf("the run by hand refreshed %v, want every token %v", got, all)
		}

		site.RunJob(t, tokencheck.Args{})
		if got := refreshed(t, after, rows(t, site)); len(got) != 0 {
			t.Fatalf("a scheduled run in the same period refreshed %v", got)
		}

		// Two hours later, in the database's eyes, the tokens' checks
		// spread over the last minutes of that.
		past := time.Now().Add(-2 * time.Hour)
		for i, k := range all {
			exec(t, site, `UPDATE eve_tokens SET checked_at = $3 WHERE character_id = $1 AND login = $2`,
				k.CharacterID, k.Login, past.Add(time.Duration(i)*time.Minute))
		}
		for turn := range 3 {
			before := rows(t, site)
			site.RunJob(t, tokencheck.Args{})
			if got, want := refreshed(t, before, rows(t, site)), all[2*turn:2*turn+2]; !slices.Equal(got, want) {
				t.Fatalf("scheduled run %d refreshed %v, want the two oldest %v", turn, got, want)
			}
		}
		if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE validity <> 'valid'`); n != 0 {
			t.Errorf("%d tokens invalid", n)
		}
	})
}

// A refresh token revoked at the simulator (a password change) makes the
// token invalid at the next check. With Neucore's group deactivation on,
// the account is "soon" deactivated at once, without waiting for the hourly
// recomputation, and "yes" once the delay has passed.
func TestRevokedTokenDeactivatesGroups(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		configure(t, site, map[string]string{"groups.deactivation": "true", "groups.deactivation_delay_hours": "24"})
		a := site.AccountCharacters(t, 2)
		b := logIn(t, site, a)
		deactivation := func() string {
			t.Helper()
			var d string
			if err := site.DB.QueryRow(context.Background(), `SELECT groups_deactivated FROM accounts a JOIN characters c ON c.account_id = a.id WHERE c.id = $1`, a[0]).Scan(&d); err != nil {
				t.Fatal(err)
			}
			return d
		}
		site.RunJob(t, access.RecomputeArgs{Force: true})
		if d := deactivation(); d != "no" {
			t.Fatalf("deactivation %q before the check, want no", d)
		}
		if p := b.Get(t, "/dashboard"); strings.Contains(p.Body, `id="deactivated"`) {
			t.Fatal("the dashboard warns of a deactivation before any token is invalid")
		}

		control(t, site, fmt.Sprintf("characters/%d/invalidate-tokens", a[1]), "")
		started := time.Now()
		site.RunJob(t, tokencheck.Args{All: true})
		got := rows(t, site)
		alt, main := got[tokens.Key{CharacterID: a[1], Login: "core.default"}], got[tokens.Key{CharacterID: a[0], Login: "core.default"}]
		if alt.valid || alt.invalidSince == nil || alt.invalidSince.Before(started.Add(-time.Second)) || !main.valid {
			t.Fatalf("after the check: alt valid %t since %v, main valid %t", alt.valid, alt.invalidSince, main.valid)
		}
		if d := deactivation(); d != "soon" {
			t.Fatalf("deactivation %q after the check, want soon", d)
		}
		b.Expect(t, "member", "/dashboard", nil, http.StatusOK, `id="deactivated"`, "or your groups will be deactivated")

		// A day and an hour later: the hourly recomputation deactivates.
		exec(t, site, `UPDATE eve_tokens SET invalid_since = $2 WHERE character_id = $1`, a[1], time.Now().Add(-25*time.Hour))
		site.RunJob(t, access.RecomputeArgs{Force: true})
		if d := deactivation(); d != "yes" {
			t.Fatalf("deactivation %q after the delay, want yes", d)
		}
		b.Expect(t, "member", "/dashboard", nil, http.StatusOK, `id="deactivated"`, "Your groups are deactivated for apps and services")
	})
}

// The SSO down for the whole check: no token is marked invalid, the run
// fails (recorded in job_kinds), and River runs it again; once the SSO is
// back, the same job checks every token.
func TestSSODownForTheWholeCheck(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 2)
		logIn(t, site, a)
		before := rows(t, site)
		site.SSODown(true)
		res, err := site.Queue().Insert(ctx, tokencheck.Args{All: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		job := waitJob(t, site, res.Job.ID, func(j *rivertype.JobRow) bool { return len(j.Errors) > 0 })
		if msg := job.Errors[0].Error; !strings.Contains(msg, "unavailable") {
			t.Errorf("the run failed with %q", msg)
		}
		for k, r := range rows(t, site) {
			if !r.valid || r.invalidSince != nil || !r.checkedAt.Equal(before[k].checkedAt) {
				t.Fatalf("token %v after the failed run: valid %t, checked %s (before %s)", k, r.valid, r.checkedAt, before[k].checkedAt)
			}
		}
		statuses, err := jobs.Statuses(ctx, site.DB)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(statuses, func(s jobs.KindStatus) bool { return s.Kind == "tokens_check" })
		if i < 0 || statuses[i].LastOutcome != jobs.OutcomeFailed || !strings.Contains(statuses[i].LastError, "unavailable") {
			t.Fatalf("job_kinds after the failed run: %+v", statuses)
		}

		site.SSODown(false)
		waitJob(t, site, res.Job.ID, func(j *rivertype.JobRow) bool { return j.State == rivertype.JobStateCompleted })
		for k, r := range rows(t, site) {
			if !r.valid || !r.checkedAt.After(before[k].checkedAt) {
				t.Fatalf("token %v after the retry: valid %t, checked %s (before %s)", k, r.valid, r.checkedAt, before[k].checkedAt)
			}
		}
	})
}

// A Director's core.tracking token: while ESI fails (every route), the
// check still refreshes the tokens, marks none invalid and leaves has_roles
// as it was though the Director lost the role; once ESI answers, the next
// check records that the role is gone.
func TestRolesFollowTheCheckButNotESIFailures(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		a := site.AccountCharacters(t, 2)
		if err := site.Sim.Universe.SetRoles(a[0], []string{"Director"}); err != nil {
			t.Fatal(err)
		}
		b := logIn(t, site, a)
		if p := b.Flow(t, "/sso/login/core.tracking", a[0]); p.Status != http.StatusOK {
			t.Fatalf("core.tracking login: %d", p.Status)
		}
		tracking := tokens.Key{CharacterID: a[0], Login: "core.tracking"}
		if r := rows(t, site)[tracking]; r.hasRoles == nil || !*r.hasRoles {
			t.Fatalf("core.tracking token stored without its roles: %+v", r)
		}
		if err := site.Sim.Universe.SetRoles(a[0], nil); err != nil {
			t.Fatal(err)
		}
		// An hour later: ESI's cached answer of the login has expired.
		exec(t, site, `UPDATE esi_cache SET expires = $1`, time.Now().Add(-time.Minute))

		if err := site.Sim.ESI.FailNext(simesi.AllRoutes, http.StatusServiceUnavailable, 1000); err != nil {
			t.Fatal(err)
		}
		before := rows(t, site)
		site.RunJob(t, tokencheck.Args{All: true})
		after := rows(t, site)
		want := append(keysOf(a), tracking)
		slices.SortFunc(want, func(x, y tokens.Key) int { return strings.Compare(fmt.Sprint(x), fmt.Sprint(y)) })
		if got := refreshed(t, before, after); !slices.Equal(got, want) {
			t.Fatalf("with ESI down the check refreshed %v, want %v", got, want)
		}
		if r := after[tracking]; r.hasRoles == nil || !*r.hasRoles {
			t.Fatalf("has_roles changed while ESI was down: %v", r.hasRoles)
		}

		site.Sim.ESI.ClearFaults()
		site.RunJob(t, tokencheck.Args{All: true})
		if r := rows(t, site)[tracking]; r.hasRoles == nil || *r.hasRoles || !r.valid {
			t.Fatalf("after the Director lost the role: has_roles %v, valid %t", r.hasRoles, r.valid)
		}
	})
}

// A character sold with its tokens alive refreshes into a new owner hash:
// the check removes it from its account (deleted-owner-changed, recorded,
// its tokens deleted). A character biomassed has its token refused; the
// lookup of its affiliation then finds it in Doomheim and removes it
// (deleted-biomassed). A character sold as EVE does it today, its tokens
// killed, only has its token marked invalid: the new owner's login moves
// it (internal/accounts), or the lost-access rule removes it after its
// notices (lostaccess_test.go).
func TestSoldAndBiomassedCharactersLeave(t *testing.T) {
	each(t, func(t *testing.T, site *sitetest.Site) {
		ctx := context.Background()
		a := site.AccountCharacters(t, 3)
		other := site.AccountCharacters(t, 2, a...)
		logIn(t, site, a)
		logIn(t, site, other)
		sold, biomassed, soldDead := a[1], a[2], other[1]
		control(t, site, fmt.Sprintf("characters/%d/transfer", sold), `{"keep_tokens": true}`)
		control(t, site, fmt.Sprintf("characters/%d/biomass", biomassed), "")
		control(t, site, fmt.Sprintf("characters/%d/transfer", soldDead), "")

		site.RunJob(t, tokencheck.Args{All: true})
		acc := site.Accounts()
		for id, reason := range map[int32]accounts.Reason{sold: accounts.DeletedOwnerChanged, biomassed: accounts.DeletedBiomassed} {
			removals, err := acc.RemovalsOfCharacter(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(removals) != 1 || removals[0].Reason != reason {
				t.Errorf("character %d: removals %+v, want one %s", id, removals, reason)
			}
			if _, err := acc.Character(ctx, id); err == nil {
				t.Errorf("character %d is still on an account", id)
			}
			if n := count(t, site, `SELECT count(*) FROM eve_tokens WHERE character_id = $1`, id); n != 0 {
				t.Errorf("character %d keeps %d tokens", id, n)
			}
		}
		main, err := acc.Character(ctx, a[0])
		if err != nil || !main.Main {
			t.Fatalf("the main after the removals: %+v, %v", main, err)
		}
		if n := count(t, site, `SELECT count(*) FROM notifications WHERE account_id = $1`, main.AccountID); n != 2 {
			t.Errorf("%d notifications, want one per removal", n)
		}
		got := rows(t, site)
		if r := got[tokens.Key{CharacterID: soldDead, Login: "core.default"}]; r.valid || r.invalidSince == nil {
			t.Errorf("the token of the character sold with its tokens killed: valid %t", r.valid)
		}
		if removals, err := acc.RemovalsOfCharacter(ctx, soldDead); err != nil || len(removals) != 0 {
			t.Errorf("the character sold with its tokens killed was removed: %+v, %v", removals, err)
		}
		if !got[tokens.Key{CharacterID: a[0], Login: "core.default"}].valid || !got[tokens.Key{CharacterID: other[0], Login: "core.default"}].valid {
			t.Error("the mains' tokens are not valid")
		}
	})
}
