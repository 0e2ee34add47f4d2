package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/memoryservice"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func TestServicesUsageAndBadArguments(t *testing.T) {
	for _, cmd := range [][]string{{"services", "-h"}, {"services", "list", "-h"}, {"services", "sync", "-h"}, {"services", "verify", "-h"}} {
		code, _, errOut := run(t, nil, cmd...)
		if code != exitOK || !strings.Contains(errOut, "Usage: keepstar services list [-config FILE] [-json]") ||
			!strings.Contains(errOut, "keepstar services sync [-config FILE] [-account ID] [-wait] INSTANCE") ||
			!strings.Contains(errOut, "keepstar services verify [-config FILE] [-wait] [INSTANCE]") {
			t.Errorf("%v: %d %s", cmd, code, errOut)
		}
	}
	if code, out, _ := run(t, nil, "help", "services"); code != exitOK || !strings.Contains(out, "Usage: keepstar services") {
		t.Errorf("help services: %d %s", code, out)
	}
	if code, out, _ := run(t, nil, "help"); code != exitOK || !strings.Contains(out, "  services ") {
		t.Errorf("help lists no services:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"services"}, "want `list`, `sync INSTANCE` or `verify [INSTANCE]`"},
		{[]string{"services", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"services", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"services", "list", "-bogus"}, "-bogus"},
		{[]string{"services", "sync"}, "want one service"},
		{[]string{"services", "sync", "a", "b"}, "want one service"},
		{[]string{"services", "sync", "-wait"}, "want one service"},
		{[]string{"services", "sync", "chat", "-account", "x"}, `invalid value "x" for flag -account`},
		{[]string{"services", "sync", "chat", "-account", "-3"}, "want an account's id"},
		{[]string{"services", "verify", "a", "b"}, "want one service, or none"},
		{[]string{"services", "verify", "-bogus"}, "-bogus"},
		{[]string{"services", "sync", "chat"}, "KEEPSTAR_SECRET_KEY: is required"},
	} {
		if code, _, errOut := run(t, nil, tc.args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in\n%s", tc.args, code, exitUsage, tc.want, errOut)
		}
	}
}

// servicesSite is a migrated database with the in-memory service as the
// enabled instance "chat", two accounts holding its access permission
// and activated there, and a disabled instance "off".
type servicesSite struct {
	env      map[string]string
	mem      *memoryservice.Server
	db       *store.DB
	accounts []int64
}

func newServicesSite(t *testing.T, d config.Dialect) *servicesSite {
	t.Helper()
	ctx := context.Background()
	dbc := storetest.Database(t, d)
	url := dbc.URL
	if d == config.SQLite {
		url = "sqlite:" + dbc.Path
	}
	s := &servicesSite{mem: memoryservice.New(), env: map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": url,
		"KEEPSTAR_LOG_LEVEL": "error", "KEEPSTAR_SHUTDOWN_TIMEOUT": "5s"}}
	if code, out, errOut := s.run("migrate"); code != exitOK {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	cfg, err := config.Load(config.Source{Env: s.lookup}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The job machinery the commands open, without workers: its
	// services queue the syncs of the links.
	j, err := app.OpenJobs(ctx, cfg, slog.New(slog.DiscardHandler), app.JobsOptions{ServiceTypes: s.types()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close(context.Background()) })
	s.db = j.DB
	for slug, enabled := range map[string]bool{"chat": true, "off": false} {
		inst, err := j.Services.Create(ctx, services.Input{Slug: slug, Type: memoryservice.TypeName, Name: strings.ToUpper(slug[:1]) + slug[1:]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := j.Services.Update(ctx, inst.ID, services.Input{Name: inst.Name, Enabled: enabled, MapByName: true}); err != nil {
			t.Fatal(err)
		}
	}
	box, err := secrets.New([]byte(goodKey), tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	accs := accounts.New(j.DB, accounts.Options{Tokens: tokens.NewStore(j.DB, box, nil)})
	for i, name := range []string{"Ann O'Dyne", "Bo Rider"} {
		id := int32(90000001 + i)
		res, err := accs.Login(ctx, accounts.LoginRequest{TokenLogin: logins.Default, Token: sso.Token{AccessToken: "a", RefreshToken: "r",
			Expiry: time.Now().Add(time.Hour), Claims: sso.Claims{CharacterID: id, Name: name, Owner: "hash" + name}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := accs.SetPermissions(ctx, res.AccountID, []string{services.PermissionName("chat")}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := j.Services.Activate(ctx, "chat", res.AccountID); err != nil {
			t.Fatal(err)
		}
		s.accounts = append(s.accounts, res.AccountID)
	}
	return s
}

func (s *servicesSite) lookup(k string) (string, bool) { v, ok := s.env[k]; return v, ok }

func (s *servicesSite) types() []services.TypeConstructor {
	return []services.TypeConstructor{s.mem.Type}
}

// run runs a keepstar command in-process, with the in-memory service's
// type known.
func (s *servicesSite) run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	c := &cli{stdout: &out, stderr: &errb, env: s.lookup, serviceTypes: s.types()}
	code := c.main(context.Background(), args)
	return code, out.String(), errb.String()
}

// externalID gives an account's id on the service.
func (s *servicesSite) externalID(t *testing.T, account int64) string {
	t.Helper()
	var id string
	if err := s.db.QueryRow(context.Background(), `SELECT external_id FROM service_accounts WHERE account_id = $1
		AND instance_id = (SELECT id FROM service_instances WHERE slug = 'chat')`, account).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// The services commands on a database no server has run on: list the
// services, sync them in the command itself, through a failure of the
// service and back, and verify one, repairing what was changed there.
func TestServicesListSyncAndVerify(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			s := newServicesSite(t, d)
			ann, bo := s.accounts[0], s.accounts[1]

			code, out, errOut := s.run("services", "list")
			if code != exitOK || !strings.HasPrefix(out, "SERVICE  TYPE    NAME  ENABLED  ACCOUNTS  PENDING  ERRORS  LAST VERIFICATION\n") {
				t.Fatalf("list: %d\n%s%s", code, out, errOut)
			}
			// The links' syncs wait: no worker ran them.
			if f := strings.Fields(lineOf(out, "chat")); !slices.Equal(f, []string{"chat", "memory", "Chat", "yes", "2", "2", "0", "never"}) {
				t.Errorf("chat's row: %q", f)
			}
			if f := strings.Fields(lineOf(out, "off")); !slices.Equal(f, []string{"off", "memory", "Off", "no", "0", "0", "0", "never"}) {
				t.Errorf("off's row: %q", f)
			}
			rows := s.list(t)
			if len(rows) != 2 || rows[0].Slug != "chat" || rows[0].Type != "memory" || !rows[0].Enabled || rows[0].Accounts != 2 ||
				rows[0].Pending != 2 || rows[0].VerifiedAt != nil || rows[1].Slug != "off" || rows[1].Enabled {
				t.Errorf("list -json: %+v", rows)
			}

			for _, tc := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"services", "sync", "nope"}, exitUsage, "keepstar services sync: no service nope; `keepstar services list` shows them"},
				{[]string{"services", "verify", "-wait", "nope"}, exitUsage, "keepstar services verify: no service nope; `keepstar services list` shows them"},
				{[]string{"services", "sync", "off"}, exitFailure, "the service off is disabled"},
				{[]string{"services", "verify", "off"}, exitFailure, "the service off is disabled"},
				{[]string{"services", "sync", "-account", "999", "chat"}, exitFailure, "account 999 has no account on chat"},
			} {
				if code, _, errOut := s.run(tc.args...); code != tc.code || !strings.Contains(errOut, tc.want) {
					t.Errorf("%v: exit %d, want %d and %q in\n%s", tc.args, code, tc.code, tc.want, errOut)
				}
			}

			// Queued only: nothing runs them.
			if code, out, errOut := s.run("services", "sync", "chat"); code != exitOK || out != "chat: 2 syncs queued\n" {
				t.Fatalf("sync: %d %q %s", code, out, errOut)
			}
			if r := s.list(t)[0]; r.Pending != 2 {
				t.Errorf("%d pending after queueing, want 2", r.Pending)
			}
			// -wait after the name: the command works the syncs itself.
			code, out, errOut = s.run("services", "sync", "chat", "-wait")
			if code != exitOK || out != "chat: 2 syncs queued\nchat: every account is up to date\n" {
				t.Fatalf("sync -wait: %d\n%s%s", code, out, errOut)
			}
			if r := s.list(t)[0]; r.Pending != 0 || r.Errors != 0 {
				t.Errorf("after sync -wait: %+v", r)
			}

			// With the service down, a change to apply fails: the wait
			// ends with the failure rather than waiting for the service.
			ctx := context.Background()
			if _, err := s.db.Exec(ctx, `UPDATE service_accounts SET name = 'Someone else' WHERE account_id = $1`, ann); err != nil {
				t.Fatal(err)
			}
			s.mem.SetDown(true)
			code, out, errOut = s.run("services", "sync", "-wait", "-account", strconv.FormatInt(ann, 10), "chat")
			if code != exitFailure || !strings.Contains(out, fmt.Sprintf("chat: a sync of account %d queued\n", ann)) ||
				!strings.Contains(out, "chat: 1 account in error") || !strings.Contains(out, fmt.Sprintf("  account %d (", ann)) ||
				!strings.Contains(out, "memory service is down") {
				t.Fatalf("sync -wait of an account, service down: %d\n%s%s", code, out, errOut)
			}
			if r := s.list(t)[0]; r.Errors != 1 || r.Pending != 1 {
				t.Errorf("after the failure: %+v", r)
			}
			// Back up: the failure before this command does not end its
			// wait; the sync that repairs it does.
			s.mem.SetDown(false)
			code, out, errOut = s.run("services", "sync", "-wait", "chat")
			if code != exitOK || !strings.HasSuffix(out, "chat: every account is up to date\n") {
				t.Fatalf("sync -wait, service back: %d\n%s%s", code, out, errOut)
			}
			if r := s.list(t)[0]; r.Errors != 0 || r.Pending != 0 {
				t.Errorf("after the service came back: %+v", r)
			}

			// Changed by hand on the service: a group added, an account
			// deleted. The verification finds both, and the sync it
			// queues, worked by the command, takes the group away.
			annID := s.externalID(t, ann)
			s.mem.AddGroup(annID, "By hand")
			s.mem.Delete(s.externalID(t, bo))
			code, out, errOut = s.run("services", "verify", "-wait", "chat")
			if code != exitOK || !strings.HasPrefix(out, "chat: 2 accounts verified, 1 drifted, 1 gone, ") ||
				!strings.HasSuffix(out, " queued\nchat: every account is up to date\n") {
				t.Fatalf("verify -wait: %d\n%s%s", code, out, errOut)
			}
			if a, _ := s.mem.Account(annID); len(a.Groups) != 0 {
				t.Errorf("groups on the service after the verification: %q", a.Groups)
			}
			r := s.list(t)[0]
			if r.Accounts != 1 || r.VerifiedAt == nil || r.VerifyError != "" {
				t.Errorf("after the verification: %+v", r)
			}

			// A verification that fails says so, and so does the list.
			s.mem.SetDown(true)
			code, out, errOut = s.run("services", "verify", "-wait")
			if code != exitFailure || !strings.Contains(out, "chat: verification failed: ") || !strings.Contains(out, "memory service is down") {
				t.Fatalf("verify -wait, service down: %d\n%s%s", code, out, errOut)
			}
			s.mem.SetDown(false)
			_, out, _ = s.run("services", "list")
			if line := lineOf(out, "chat"); !strings.HasSuffix(line, " UTC failed") || !strings.Contains(out, "\n    verification error: ") {
				t.Errorf("list after a failed verification:\n%s", out)
			}

			// Without -wait, verifications are queued, for the enabled
			// services only.
			if code, out, errOut := s.run("services", "verify"); code != exitOK || out != "chat: verification queued\n" {
				t.Errorf("verify: %d %q %s", code, out, errOut)
			}
		})
	}
}

func (s *servicesSite) list(t *testing.T) []serviceRow {
	t.Helper()
	code, out, errOut := s.run("services", "list", "-json")
	var rows []serviceRow
	if err := json.Unmarshal([]byte(out), &rows); code != exitOK || err != nil {
		t.Fatalf("list -json: %d %v\n%s%s", code, err, out, errOut)
	}
	return rows
}

// statuses answers settle with the next of its answers each time.
type statuses struct {
	list     []services.Status
	failures []services.Failure
	asked    int
	onAsk    func(n int)
}

func (s *statuses) StatusOf(context.Context, int64) (services.Status, error) {
	s.asked++
	if s.onAsk != nil {
		s.onAsk(s.asked)
	}
	return s.list[min(s.asked, len(s.list))-1], nil
}

func (s *statuses) Errors(context.Context, int64) ([]services.Failure, error) { return s.failures, nil }

// settle ends when nothing is pending, or when what is pending failed
// since the wait began; a failure from before does not end it; Ctrl-C
// does.
func TestSettle(t *testing.T) {
	since := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	inst := services.Instance{ID: 1, Slug: "chat"}
	failed := func(at time.Time) services.Failure {
		return services.Failure{Account: services.Account{AccountID: 4, LastSync: at, LastError: "down"}, Pending: true}
	}
	var w bytes.Buffer
	s := &statuses{list: []services.Status{{Accounts: 3, Pending: 2}, {Accounts: 3, Pending: 1}, {Accounts: 3}}}
	if fs, err := settle(context.Background(), s, inst, since, &w, 0); err != nil || len(fs) != 0 || s.asked != 3 {
		t.Errorf("pending going to none: %v %v after %d looks", fs, err, s.asked)
	}
	if !strings.HasPrefix(w.String(), "chat: 2 accounts pending\n") {
		t.Errorf("progress %q", w.String())
	}

	s = &statuses{list: []services.Status{{Accounts: 3, Pending: 1, Errors: 1}}, failures: []services.Failure{failed(since.Add(time.Second))}}
	if fs, err := settle(context.Background(), s, inst, since, io.Discard, 0); err != nil || len(fs) != 1 || s.asked != 1 {
		t.Errorf("a failure since: %v %v after %d looks", fs, err, s.asked)
	}

	// A failure from before the wait: it waits on, until Ctrl-C.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s = &statuses{list: []services.Status{{Accounts: 3, Pending: 1, Errors: 1}}, failures: []services.Failure{failed(since.Add(-time.Minute))},
		onAsk: func(n int) {
			if n == 3 {
				cancel()
			}
		}}
	if _, err := settle(ctx, s, inst, since, io.Discard, 0); !errors.Is(err, context.Canceled) || s.asked != 3 {
		t.Errorf("an old failure: %v after %d looks", err, s.asked)
	}
	if err := stopped(ctx, context.Canceled); !strings.Contains(err.Error(), "interrupted: the syncs left stay queued") {
		t.Errorf("stopped: %v", err)
	}
}
