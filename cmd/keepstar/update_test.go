package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// siteEnv gives the settings a command needs to work on a test site: its
// database, secret key and simulated EVE, as the site's own configuration
// has them.
func siteEnv(site *sitetest.Site, extra map[string]string) map[string]string {
	cfg := site.Config
	db := "sqlite:" + cfg.Database.Path
	if cfg.Database.Dialect == config.Postgres {
		db = cfg.Database.URL
	}
	env := map[string]string{
		"KEEPSTAR_SECRET_KEY":        string(cfg.SecretKey),
		"KEEPSTAR_DATABASE_URL":      db,
		"KEEPSTAR_BASE_URL":          cfg.BaseURL.String(),
		"KEEPSTAR_EVE_SSO_URL":       cfg.EVESSOURL.String(),
		"KEEPSTAR_ESI_URL":           cfg.ESIURL.String(),
		"KEEPSTAR_EVE_CLIENT_ID":     cfg.EVEClientID,
		"KEEPSTAR_EVE_CLIENT_SECRET": cfg.EVEClientSecret,
		"KEEPSTAR_SHUTDOWN_TIMEOUT":  "5s",
		"KEEPSTAR_LOG_LEVEL":         "warn",
	}
	maps.Copy(env, extra)
	return env
}

// access is what an account has: its state and its groups, the automatic
// ones named by their corporation ("corp:ID"), the others by id.
type accountAccess struct {
	state  string
	groups []string
}

func (a accountAccess) String() string { return a.state + " " + strings.Join(a.groups, ",") }

func accessOf(t *testing.T, site *sitetest.Site) map[int64]accountAccess {
	t.Helper()
	ctx := context.Background()
	out := map[int64]accountAccess{}
	rows, err := site.DB.Query(ctx, `SELECT a.id, COALESCE(s.name, '') FROM accounts a LEFT JOIN states s ON s.id = a.state_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		out[id] = accountAccess{state: state}
	}
	rows.Close()
	rows, err = site.DB.Query(ctx, `SELECT m.account_id, g.id, COALESCE(g.autogroup_kind, ''), COALESCE(g.autogroup_entity, 0)
		FROM group_members m JOIN groups g ON g.id = m.group_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var account, group, entity int64
		var kind string
		if err := rows.Scan(&account, &group, &kind, &entity); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("group:%d", group)
		if kind != "" {
			name = fmt.Sprintf("%s:%d", kind, entity)
		}
		a := out[account]
		a.groups = append(a.groups, name)
		out[account] = a
	}
	rows.Close()
	for id, a := range out {
		slices.Sort(a.groups)
		out[id] = a
	}
	return out
}

// TestUpdateAfterCharactersMoved is the show: 100 characters of
// accounts move to other corporations in EVE; `keepstar update`, run from
// the command line as cron would, brings the states, the group mapped to a
// corporation and the automatic corporation groups of exactly those
// accounts up to date, and leaves every other account as it was.
func TestUpdateAfterCharactersMoved(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			// The cron set-up: the server's schedules of the update jobs off.
			schedules := map[string]string{"KEEPSTAR_JOB_SCHEDULES": "affiliations_sync=off,access_recompute=off"}
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Characters: 400, Env: schedules})
			ctx := context.Background()
			u := site.Sim.Universe

			// 130 accounts, each logged in with the first character of a
			// simulated player.
			const accounts, movers = 130, 100
			var mains []int32
			for id := int32(1); id <= int32(u.Accounts()) && len(mains) < accounts; id++ {
				acct, _ := u.Account(id)
				if c, err := u.Character(acct.Characters[0]); err == nil && !c.Biomassed {
					mains = append(mains, c.ID)
				}
			}
			if len(mains) < accounts {
				t.Fatalf("%d simulated players, want %d", len(mains), accounts)
			}
			corpOf := map[int32]int32{}
			inCorp := map[int32][]int32{}
			for _, id := range mains {
				site.NewBrowser(t).LogIn(t, id)
				c, _ := u.Character(id)
				corpOf[id] = c.CorporationID
				inCorp[c.CorporationID] = append(inCorp[c.CorporationID], id)
			}
			// home is the corporation of most mains; the targets are player
			// corporations none of them is in.
			var home int32
			for corp, ids := range inCorp {
				if len(ids) > len(inCorp[home]) || len(ids) == len(inCorp[home]) && corp < home {
					home = corp
				}
			}
			var targets []int32
			for _, corp := range slices.Backward(u.CorporationIDs()) {
				if corp > 2000000 && len(inCorp[corp]) == 0 && len(targets) < 2 {
					targets = append(targets, corp)
				}
			}
			if len(inCorp[home]) < 4 || len(targets) < 2 {
				t.Fatalf("home corporation with %d mains, %d target corporations", len(inCorp[home]), len(targets))
			}

			// Member: the home and target corporations. A group mapped to
			// the first target. Automatic corporation groups for Members.
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := site.DB.Exec(ctx, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			var member int64
			if err := site.DB.QueryRow(ctx, `SELECT id FROM states WHERE name = 'Member'`).Scan(&member); err != nil {
				t.Fatal(err)
			}
			for _, corp := range []int32{home, targets[0], targets[1]} {
				exec(`INSERT INTO state_members (state_id, kind, entity_id) VALUES ($1, 'corporation', $2)`, member, corp)
			}
			now := time.Now()
			exec(`INSERT INTO groups (name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at)
				VALUES ('First target', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $1, $1)`, now)
			var mapped int64
			if err := site.DB.QueryRow(ctx, `SELECT id FROM groups WHERE name = 'First target'`).Scan(&mapped); err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO group_mappings (group_id, kind, entity_id) VALUES ($1, 'corporation', $2)`, mapped, targets[0])
			var autogroups int64
			err := site.DB.InTx(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, `INSERT INTO autogroup_configs (corporation_groups, alliance_groups, corporation_prefix,
						alliance_prefix, name_source, replace_spaces, replace_with, created_at, updated_at)
					VALUES (TRUE, FALSE, 'Corp ', '', 'name', FALSE, '', $1, $1) RETURNING id`, now).Scan(&autogroups)
			})
			if err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO autogroup_config_states (config_id, state_id) VALUES ($1, $2)`, autogroups, member)
			site.RunJob(t, access.RecomputeArgs{Force: true})
			before := accessOf(t, site)
			if a := before[accountOf(t, site, inCorp[home][0])]; a.state != "Member" || !slices.Contains(a.groups, fmt.Sprintf("corporation:%d", home)) {
				t.Fatalf("a main of the home corporation before the moves: %v", a)
			}

			// 100 mains move, half of the home corporation's among them:
			// the first half to the mapped target, the rest to the other.
			moved := map[int32]int32{}
			for _, id := range inCorp[home][:len(inCorp[home])/2] {
				moved[id] = 0
			}
			for _, id := range mains {
				if len(moved) < movers && corpOf[id] != home {
					moved[id] = 0
				}
			}
			i := 0
			for _, id := range mains {
				if _, ok := moved[id]; !ok {
					continue
				}
				moved[id] = targets[i%2]
				i++
				if err := u.MoveCharacter(id, moved[id]); err != nil {
					t.Fatal(err)
				}
			}

			code, out, errOut := run(t, siteEnv(site, schedules), "update")
			if code != exitOK || !strings.Contains(out, "affiliations_sync: completed") || !strings.Contains(out, "access_recompute: completed") {
				t.Fatalf("keepstar update: exit %d\n%s%s", code, out, errOut)
			}
			if strings.Contains(errOut, "level=ERROR") {
				t.Errorf("errors logged:\n%s", errOut)
			}

			after := accessOf(t, site)
			changed := 0
			for _, id := range mains {
				acc := accountOf(t, site, id)
				was, is := before[acc], after[acc]
				to, didMove := moved[id]
				if !didMove {
					if is.String() != was.String() {
						t.Errorf("account of %d did not move but changed: %v -> %v", id, was, is)
					}
					continue
				}
				changed++
				want := accountAccess{state: "Member"}
				for _, g := range was.groups {
					if !strings.HasPrefix(g, "corporation:") {
						want.groups = append(want.groups, g)
					}
				}
				want.groups = append(want.groups, fmt.Sprintf("corporation:%d", to))
				if to == targets[0] {
					want.groups = append(want.groups, fmt.Sprintf("group:%d", mapped))
				}
				slices.Sort(want.groups)
				if is.String() != want.String() {
					t.Errorf("account of %d moved from %d to %d: %v -> %v, want %v", id, corpOf[id], to, was, is, want)
				}
			}
			if changed != movers {
				t.Errorf("%d accounts moved, want %d", changed, movers)
			}
			for id, to := range moved {
				var corp int32
				if err := site.DB.QueryRow(ctx, `SELECT corporation_id FROM characters WHERE id = $1`, id).Scan(&corp); err != nil {
					t.Fatal(err)
				}
				if corp != to {
					t.Errorf("character %d recorded in %d, moved to %d", id, corp, to)
				}
			}
		})
	}
}

func accountOf(t *testing.T, site *sitetest.Site, character int32) int64 {
	t.Helper()
	var id int64
	if err := site.DB.QueryRow(context.Background(), `SELECT account_id FROM characters WHERE id = $1`, character).Scan(&id); err != nil {
		t.Fatalf("account of %d: %v", character, err)
	}
	return id
}

// cancelOn is stderr for a command that is interrupted (as by Ctrl-C) once
// it has written text.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (w *cancelOn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.text) {
		w.cancel()
	}
	return len(p), nil
}

func (w *cancelOn) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Ctrl-C during `keepstar update` stops it: the running job stops and is
// run again by the server's workers, the jobs after it are not run, and
// the exit code says the update did not finish.
func TestUpdateInterrupted(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			schedules := map[string]string{"KEEPSTAR_JOB_SCHEDULES": "affiliations_sync=off,access_recompute=off"}
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: schedules})
			site.NewBrowser(t).LogIn(t, site.AccountCharacters(t, 1)[0])
			// ESI slow to answer: the affiliations job is running when the
			// interrupt comes.
			if err := site.Sim.ESI.SetLatency("POST /characters/affiliation", 2*time.Second); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out bytes.Buffer
			errOut := &cancelOn{text: "): running", cancel: cancel}
			env := siteEnv(site, schedules)
			c := &cli{stdout: &out, stderr: errOut, env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
			code := c.main(ctx, []string{"update"})
			var id int64
			i := strings.Index(errOut.String(), "interrupted: affiliations_sync (job ")
			if code != exitFailure || i < 0 || !strings.Contains(errOut.String(), "not run: ") ||
				!strings.Contains(errOut.String(), "access_recompute") || !strings.Contains(out.String(), "0 of ") {
				t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
			}
			if _, err := fmt.Sscanf(errOut.String()[i:], "interrupted: affiliations_sync (job %d)", &id); err != nil {
				t.Fatal(err)
			}
			// The server's workers run it again, to its end.
			deadline := time.Now().Add(60 * time.Second)
			for {
				var state string
				if err := site.DB.QueryRow(context.Background(), `SELECT state FROM river_job WHERE id = $1`, id).Scan(&state); err != nil {
					t.Fatal(err)
				}
				if state == "completed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the interrupted job is still %s after 60 s", state)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
