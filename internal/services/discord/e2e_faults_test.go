package discord_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/discordsim"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
)

// members makes n members, each linked on the default instance.
func (w *world) members(t *testing.T, n int) []*member {
	t.Helper()
	out := make([]*member, n)
	for i := range out {
		out[i] = w.member(t)
		w.link(t, out[i], "discord")
	}
	w.settle(t)
	return out
}

// snoozes reads how many times River snoozed a job from its metadata.
func snoozes(t *testing.T, metadata []byte) int {
	t.Helper()
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	if err := json.Unmarshal(metadata, &m); err != nil {
		t.Fatal(err)
	}
	return m.Snoozes
}

// Discord down while several members join a group: the sync meets the
// outage, records it, and its job is snoozed (not failed, no attempt
// spent); once Discord is back, every change is applied.
func TestDiscordDownLosesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ms := w.members(t, 3)
		fleet := w.site.OpenGroup(t, "Fleet")
		w.sim.SetOutage(http.StatusServiceUnavailable)
		for _, m := range ms {
			m.b.JoinGroup(t, fleet)
		}
		sitetest.WaitFor(t, "the sync to meet the outage and be snoozed", func() bool {
			snoozed := false
			for _, j := range w.syncJobs(t) {
				snoozed = snoozed || snoozes(t, j.Metadata) > 0
			}
			failed := false
			for _, m := range ms {
				a, _ := w.account(t, w.inst, m)
				failed = failed || a.Status == services.StatusError
			}
			return snoozed && failed
		})
		for _, j := range w.syncJobs(t) {
			if len(j.Errors) > 0 || j.State == "discarded" {
				t.Errorf("sync job %d during the outage: %s, errors %v", j.ID, j.State, j.Errors)
			}
		}
		if p := ms[0].b.Get(t, "/services"); p.Status != http.StatusOK {
			t.Errorf("the Services page during the outage: %d", p.Status)
		}
		w.sim.SetOutage(0)
		w.settle(t)
		for _, m := range ms {
			if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet"}) {
				t.Errorf("%s after the outage: roles %q, want [Fleet]", m.discord.Username, got)
			}
			if a, _ := w.account(t, w.inst, m); a.Status != services.StatusOK {
				t.Errorf("%s after the outage: status %q (%s)", m.discord.Username, a.Status, a.LastError)
			}
		}
		for _, j := range w.syncJobs(t) {
			if j.State != "completed" || len(j.Errors) > 0 {
				t.Errorf("sync job %d: %s, errors %v, want completed without error", j.ID, j.State, j.Errors)
			}
		}
	})
}

// A storm of 429s with a retry_after: no request of a route limited
// reaches Discord before the retry_after has passed, none of them counts
// as invalid, and everything is applied after.
func TestA429StormIsWaitedOut(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ms := w.members(t, 3)
		fleet := w.site.OpenGroup(t, "Fleet")
		start := w.traffic.len()
		const retry = 400 * time.Millisecond
		// More than the client's retries of one request: the sync is
		// snoozed once on the way.
		const storm = 6
		w.sim.Force429(storm, retry)
		for _, m := range ms {
			m.b.JoinGroup(t, fleet)
		}
		w.settle(t)
		for _, m := range ms {
			if got := w.rolesOn(t, w.guild.ID, m); !slices.Equal(got, []string{"Fleet"}) {
				t.Errorf("%s after the storm: roles %q, want [Fleet]", m.discord.Username, got)
			}
		}
		reqs := w.traffic.since(start)
		limited := 0
		for i, r := range reqs {
			if r.status != http.StatusTooManyRequests {
				continue
			}
			limited++
			for _, next := range reqs[i+1:] {
				if next.route == r.route {
					if gap := next.at.Sub(r.at); gap < retry {
						t.Errorf("%s again %v after a 429 asking for %v", r.route, gap, retry)
					}
					break
				}
			}
		}
		if limited != storm {
			t.Errorf("%d 429s served, want %d", limited, storm)
		}
		if n := w.sim.InvalidRequests(); n != 0 {
			t.Errorf("%d invalid requests", n)
		}
	})
}

// Many members' roles change at once on six guilds of one bot ("sync
// everyone" on each instance), worked by two Keepstar processes on
// PostgreSQL (one on SQLite, whose instances share the bot all the same):
// Discord never has to refuse a request, and no second sees more requests
// of the bot than its global limit, though the work needs more than the
// buckets and the global limit allow at once.
func TestProcessesSharingABotKeepItsLimits(t *testing.T) {
	eachEngine(t, func(t *testing.T, d config.Dialect) {
		w := newWorld(t, d)
		ctx := context.Background()
		if d == config.Postgres {
			w.site.StartProcess(t, nil, app.Options{Mode: app.WorkerOnly})
		}
		// Ten members a guild, as many updates as the member bucket allows
		// in ten seconds; six guilds: more at once than the fifty requests
		// a second of the global limit.
		const guilds, perGuild = 6, 10
		now := time.Now()
		var fleet int64
		if err := w.site.DB.InTx(ctx, func(tx *store.Tx) error {
			return tx.QueryRow(ctx, `INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default,
				created_at, updated_at) VALUES ('Fleet', '', FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, $1, $1) RETURNING id`, now).Scan(&fleet)
		}); err != nil {
			t.Fatal(err)
		}
		type linked struct {
			guild string
			user  string
		}
		var all []linked
		var instances []services.Instance
		for g := range guilds {
			guild := w.sim.AddGuild(fmt.Sprintf("Wing %d", g), w.owner.ID)
			if _, err := w.sim.AddRole(guild.ID, "Fleet", false); err != nil {
				t.Fatal(err)
			}
			inst := w.instance(t, fmt.Sprintf("wing-%d", g), fmt.Sprintf("Wing %d", g), guild.ID, services.Input{MapByName: true})
			instances = append(instances, inst)
			err := w.site.DB.InTx(ctx, func(tx *store.Tx) error {
				for i := range perGuild {
					name := fmt.Sprintf("Pilot %d-%d", g, i)
					u := w.sim.AddUser(fmt.Sprintf("pilot-%d-%d", g, i))
					if err := w.sim.AddMember(guild.ID, u.ID); err != nil {
						return err
					}
					all = append(all, linked{guild: guild.ID, user: u.ID})
					var id int64
					if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, state_id, created_at, updated_at)
						VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $3, $3) RETURNING id`, name, w.guest, now).Scan(&id); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, id, fleet, now); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `INSERT INTO service_accounts (instance_id, account_id, external_id, external_name, name, groups, state,
						status, last_error, wanted, synced, reason, failures, last_sync_at, created_at)
						VALUES ($1, $2, $3, $4, $5, '[]', '[]', 'ok', '', 0, 0, '', 0, $6, $6)`, inst.ID, id, u.ID, u.Username, name, now); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Everyone gets the role, then loses it: two updates each, in two
		// waves, the second waiting for the buckets the first used up, in
		// whichever process works it.
		for wave, want := range [][]string{{"Fleet"}, {}} {
			if wave == 1 {
				if _, err := w.site.DB.Exec(ctx, `DELETE FROM group_members WHERE group_id = $1`, fleet); err != nil {
					t.Fatal(err)
				}
			}
			started := time.Now()
			for _, inst := range instances {
				if _, err := w.svc.SyncAll(ctx, inst.ID, "sync everyone"); err != nil {
					t.Fatal(err)
				}
			}
			w.settle(t)
			t.Logf("wave %d: %d members on %d guilds synced in %v", wave+1, len(all), guilds, time.Since(started).Round(time.Millisecond))
			for _, l := range all {
				if in, _, roles := w.on(l.guild, l.user); !in || !slices.Equal(roles, want) {
					t.Errorf("wave %d: %s on %s: in %t, roles %q, want %q", wave+1, l.user, l.guild, in, roles, want)
				}
			}
		}
		if n := w.sim.Served429(); n != 0 {
			t.Errorf("Discord served %d 429s", n)
			for _, r := range w.traffic.since(0) {
				if r.status == http.StatusTooManyRequests {
					t.Logf("429 at %s: %s, scope %s", r.at.Format("15:04:05.000000"), r.route, r.scope)
				}
			}
		}
		if n := w.sim.BusiestSecond(); n > discordsim.GlobalLimit {
			t.Errorf("%d requests of the bot in one second, over the global limit of %d", n, discordsim.GlobalLimit)
		}
		if n := w.sim.Requests("member modify"); n != 2*len(all) {
			t.Errorf("%d member updates for %d members, twice", n, len(all))
		}
		t.Logf("busiest second: %d requests", w.sim.BusiestSecond())
		workers := map[string]bool{}
		for _, j := range w.syncJobs(t) {
			for _, by := range j.AttemptedBy {
				workers[by] = true
			}
		}
		t.Logf("sync jobs worked by %d processes", len(workers))
	})
}
