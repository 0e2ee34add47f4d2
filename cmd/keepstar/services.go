package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/services"
)

const servicesUsage = `services list [-config FILE] [-json]
       keepstar services sync [-config FILE] [-account ID] [-wait] INSTANCE
       keepstar services verify [-config FILE] [-wait] [INSTANCE]

list shows every service (instance): its short name, type, name, whether it is enabled, its accounts, those
with a change not applied yet (pending), those whose last change failed (errors), and its last verification
(UTC, or never) with the error it ended with on the next line.

sync queues a sync of every account on the service INSTANCE, or of one Keepstar account (-account ID), and
prints how many were queued, for a server's workers (keepstar serve) to run. With -wait, this command works
jobs too and waits until nothing is pending on INSTANCE, showing how many accounts are left; it exits 0 when
every account is up to date, 1 when some failed (listed: their syncs are tried again later).

verify queues a verification of INSTANCE, or of every enabled service: it reads the accounts back from the
service, repairs what was changed there by hand and retries what failed. With -wait, this command verifies
itself, prints what it found (accounts, drifted, gone, syncs queued), then works the syncs it queued and waits
for them as sync -wait does; exit 1 when a verification failed or accounts ended in error.
Exit code 2: a bad flag, configuration or service name.`

// services looks at the services and syncs or verifies them by hand.
func (c *cli) services(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return c.servicesList(ctx, args[1:])
		case "sync":
			return c.servicesSync(ctx, args[1:])
		case "verify":
			return c.servicesVerify(ctx, args[1:])
		}
	}
	fs := c.flags("services", servicesUsage)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(c.stderr, "keepstar services: unknown subcommand %q: want `list`, `sync INSTANCE` or `verify [INSTANCE]`\n", args[0])
		fs.Usage()
		return exitUsage
	}
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(c.stderr, "keepstar services: want `list`, `sync INSTANCE` or `verify [INSTANCE]`")
	fs.Usage()
	return exitUsage
}

// instance finds a service by its short name; code is the exit code when
// ok is false.
func (c *cli) instance(ctx context.Context, j *app.Jobs, cmd, slug string) (inst services.Instance, code int, ok bool) {
	inst, err := j.Services.Instance(ctx, slug)
	switch {
	case errors.Is(err, services.ErrNotFound):
		fmt.Fprintf(c.stderr, "keepstar %s: no service %s; `keepstar services list` shows them\n", cmd, slug)
		return inst, exitUsage, false
	case err != nil:
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return inst, exitFailure, false
	}
	return inst, exitOK, true
}

// serviceRow is one service as `services list` shows it.
type serviceRow struct {
	Slug     string `json:"slug"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Enabled  bool   `json:"enabled"`
	Accounts int    `json:"accounts"`
	// Pending counts the accounts with a change not applied yet.
	Pending int `json:"pending"`
	// Errors counts the accounts whose last change failed.
	Errors int `json:"errors"`
	// VerifiedAt is null when the service was never verified.
	VerifiedAt  *time.Time `json:"verified_at"`
	VerifyError string     `json:"verify_error"`
}

func (c *cli) servicesList(ctx context.Context, args []string) int {
	fs := c.flags("services list", servicesUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the list as JSON, for scripts")
	if code, done := parse(fs, args); done {
		return code
	}
	j, cfg, code, ok := c.openJobs(ctx, "services list", *file, false, nil)
	if !ok {
		return code
	}
	defer closeJobs(ctx, j, cfg)
	rows, err := listServices(ctx, j.Services)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar services list: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(c.stderr, "keepstar services list: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no services yet: an administrator creates them under Administration → Services")
		return exitOK
	}
	writeServiceTable(c.stdout, rows)
	return exitOK
}

// listServices gives every instance with its counts, by name.
func listServices(ctx context.Context, svc *services.Services) ([]serviceRow, error) {
	list, err := svc.Instances(ctx)
	if err != nil {
		return nil, err
	}
	rows := []serviceRow{}
	for _, inst := range list {
		st, err := svc.StatusOf(ctx, inst.ID)
		if err != nil {
			return nil, err
		}
		r := serviceRow{Slug: inst.Slug, Type: inst.Type, Name: inst.Name, Enabled: inst.Enabled, Accounts: st.Accounts,
			Pending: st.Pending, Errors: st.Errors, VerifyError: inst.VerifyError}
		if !inst.VerifiedAt.IsZero() {
			r.VerifiedAt = utc(&inst.VerifiedAt)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// writeServiceTable prints the rows aligned, a failed verification's
// error on an indented line below its row.
func writeServiceTable(w io.Writer, rows []serviceRow) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tTYPE\tNAME\tENABLED\tACCOUNTS\tPENDING\tERRORS\tLAST VERIFICATION")
	for _, r := range rows {
		enabled := "no"
		if r.Enabled {
			enabled = "yes"
		}
		verified := "never"
		if r.VerifiedAt != nil {
			verified = r.VerifiedAt.Format(timeFormat)
			if r.VerifyError != "" {
				verified += " failed"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", r.Slug, r.Type, oneLine(r.Name), enabled, r.Accounts, r.Pending, r.Errors, verified)
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, r := range rows {
		fmt.Fprintln(w, strings.TrimRight(lines[i+1], " "))
		if r.VerifyError != "" {
			fmt.Fprintf(w, "    verification error: %s\n", oneLine(r.VerifyError))
		}
	}
}

// syncReason is the reason the syncs of this command give in the audit
// log.
const syncReason = "keepstar services sync"

func (c *cli) servicesSync(ctx context.Context, args []string) int {
	fs := c.flags("services sync", servicesUsage)
	file := configFlag(fs)
	account := fs.Int64("account", 0, "sync only the service account of this Keepstar account (its id)")
	wait := fs.Bool("wait", false, "work the syncs in this process too, and wait until none is pending")
	rest, code, done := parseAnywhere(fs, args)
	if done {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "keepstar services sync: want one service (keepstar services list names them)")
		fs.Usage()
		return exitUsage
	}
	if *account < 0 {
		fmt.Fprintf(c.stderr, "keepstar services sync: -account %d: want an account's id\n", *account)
		return exitUsage
	}
	// The syncs are queued by a process that works none: a bad name must
	// not start workers, even for a moment.
	j, cfg, code, ok := c.openJobs(ctx, "services sync", *file, false, nil)
	if !ok {
		return code
	}
	since := time.Now()
	inst, n, code, ok := c.queueSyncs(ctx, j, rest[0], *account)
	closeJobs(ctx, j, cfg)
	if !ok {
		return code
	}
	if *account != 0 {
		fmt.Fprintf(c.stdout, "%s: a sync of account %d queued\n", inst.Slug, *account)
	} else {
		fmt.Fprintf(c.stdout, "%s: %s queued\n", inst.Slug, count(n, "sync", "syncs"))
	}
	if !*wait {
		return exitOK
	}
	j, cfg, code, ok = c.openJobs(ctx, "services sync", *file, true, nil)
	if !ok {
		return code
	}
	failures, err := settle(ctx, j.Services, inst, since, c.stderr, settlePoll)
	if err := closeJobs(ctx, j, cfg); err != nil {
		fmt.Fprintf(c.stderr, "keepstar services sync: stopping the workers: %v\n", err)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar services sync: %v\n", stopped(ctx, err))
		return exitFailure
	}
	if *account != 0 {
		failures = onlyAccount(failures, *account)
	}
	return c.report(inst, failures)
}

// queueSyncs queues the syncs `services sync` asks for.
func (c *cli) queueSyncs(ctx context.Context, j *app.Jobs, slug string, account int64) (inst services.Instance, n, code int, ok bool) {
	const cmd = "services sync"
	inst, code, ok = c.instance(ctx, j, cmd, slug)
	if !ok {
		return inst, 0, code, false
	}
	if !inst.Enabled {
		// A disabled service is never synced: its syncs would wait for ever.
		fmt.Fprintf(c.stderr, "keepstar %s: the service %s is disabled: enable it first (Administration → Services)\n", cmd, inst.Slug)
		return inst, 0, exitFailure, false
	}
	var err error
	if account != 0 {
		if _, err = j.Services.AccountOf(ctx, inst.ID, account); errors.Is(err, services.ErrNoAccount) {
			fmt.Fprintf(c.stderr, "keepstar %s: account %d has no account on %s: nothing to sync\n", cmd, account, inst.Slug)
			return inst, 0, exitFailure, false
		}
		if err == nil {
			n, err = j.Services.SyncAccount(ctx, inst.ID, account, syncReason)
		}
	} else {
		n, err = j.Services.SyncAll(ctx, inst.ID, syncReason)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return inst, 0, exitFailure, false
	}
	return inst, n, exitOK, true
}

func (c *cli) servicesVerify(ctx context.Context, args []string) int {
	fs := c.flags("services verify", servicesUsage)
	file := configFlag(fs)
	wait := fs.Bool("wait", false, "verify in this process, work the syncs it queues and wait for them")
	rest, code, done := parseAnywhere(fs, args)
	if done {
		return code
	}
	if len(rest) > 1 {
		fmt.Fprintln(c.stderr, "keepstar services verify: want one service, or none for every enabled one")
		fs.Usage()
		return exitUsage
	}
	j, cfg, code, ok := c.openJobs(ctx, "services verify", *file, false, nil)
	if !ok {
		return code
	}
	list, code, ok := c.toVerify(ctx, j, rest)
	if !ok || !*wait {
		for _, inst := range list {
			if err := j.Services.QueueVerify(ctx, inst.ID); err != nil {
				fmt.Fprintf(c.stderr, "keepstar services verify: %v\n", err)
				code = exitFailure
				break
			}
			fmt.Fprintf(c.stdout, "%s: verification queued\n", inst.Slug)
		}
		closeJobs(ctx, j, cfg)
		return code
	}
	closeJobs(ctx, j, cfg)

	j, cfg, code, ok = c.openJobs(ctx, "services verify", *file, true, nil)
	if !ok {
		return code
	}
	defer func() {
		if err := closeJobs(ctx, j, cfg); err != nil {
			fmt.Fprintf(c.stderr, "keepstar services verify: stopping the workers: %v\n", err)
		}
	}()
	code = exitOK
	for _, inst := range list {
		since := time.Now()
		rep, err := j.Services.Verify(ctx, inst.ID)
		if ctx.Err() != nil {
			fmt.Fprintf(c.stderr, "keepstar services verify: %v\n", stopped(ctx, err))
			return exitFailure
		}
		if err != nil {
			fmt.Fprintf(c.stdout, "%s: verification failed: %s\n", inst.Slug, oneLine(err.Error()))
			code = exitFailure
			continue
		}
		fmt.Fprintf(c.stdout, "%s: %s verified, %d drifted, %d gone, %s queued\n", inst.Slug, count(rep.Accounts, "account", "accounts"),
			rep.Drifted, rep.Gone, count(rep.Queued, "sync", "syncs"))
		failures, err := settle(ctx, j.Services, inst, since, c.stderr, settlePoll)
		if err != nil {
			fmt.Fprintf(c.stderr, "keepstar services verify: %v\n", stopped(ctx, err))
			return exitFailure
		}
		if c.report(inst, failures) != exitOK {
			code = exitFailure
		}
	}
	return code
}

// toVerify gives the instances `services verify` verifies: the one named,
// or every enabled one. ok is false when there is nothing to verify; code
// is then the exit code.
func (c *cli) toVerify(ctx context.Context, j *app.Jobs, rest []string) (list []services.Instance, code int, ok bool) {
	const cmd = "services verify"
	if len(rest) == 1 {
		inst, code, ok := c.instance(ctx, j, cmd, rest[0])
		if !ok {
			return nil, code, false
		}
		if !inst.Enabled {
			fmt.Fprintf(c.stderr, "keepstar %s: the service %s is disabled: nothing to verify\n", cmd, inst.Slug)
			return nil, exitFailure, false
		}
		return []services.Instance{inst}, exitOK, true
	}
	all, err := j.Services.Instances(ctx)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return nil, exitFailure, false
	}
	for _, inst := range all {
		if inst.Enabled {
			list = append(list, inst)
		}
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "no service is enabled: nothing to verify")
		return nil, exitOK, false
	}
	return list, exitOK, true
}

// report prints how the accounts of inst ended after a wait: exit 1 with
// the accounts in error, 0 when there are none.
func (c *cli) report(inst services.Instance, failures []services.Failure) int {
	if len(failures) == 0 {
		fmt.Fprintf(c.stdout, "%s: every account is up to date\n", inst.Slug)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "%s: %s in error; a server's workers try their syncs again:\n", inst.Slug, count(len(failures), "account", "accounts"))
	for _, f := range failures {
		name := f.ExternalName
		if name == "" {
			name = f.Name
		}
		fmt.Fprintf(c.stdout, "  account %d (%s), %s: %s\n", f.AccountID, oneLine(name), f.LastSync.UTC().Format(timeFormat), oneLine(f.LastError))
	}
	return exitFailure
}

func onlyAccount(fs []services.Failure, account int64) []services.Failure {
	var out []services.Failure
	for _, f := range fs {
		if f.AccountID == account {
			out = append(out, f)
		}
	}
	return out
}

// statusReader is what settle reads of the services (*services.Services).
type statusReader interface {
	StatusOf(ctx context.Context, instanceID int64) (services.Status, error)
	Errors(ctx context.Context, instanceID int64) ([]services.Failure, error)
}

// settlePoll is how often settle looks at an instance's accounts.
const settlePoll = 250 * time.Millisecond

// settle waits until nothing is pending on inst but accounts whose sync
// failed since since (their jobs try again later, perhaps much later: a
// wait for a service that is down would never end), writing to w how many
// are left when that changes, at most every lineEvery. It gives the
// accounts in error at the end.
func settle(ctx context.Context, svc statusReader, inst services.Instance, since time.Time, w io.Writer, poll time.Duration) ([]services.Failure, error) {
	said, last := time.Time{}, -1
	for {
		st, err := svc.StatusOf(ctx, inst.ID)
		if err != nil {
			return nil, err
		}
		left := st.Pending
		var failures []services.Failure
		if st.Errors > 0 {
			if failures, err = svc.Errors(ctx, inst.ID); err != nil {
				return nil, err
			}
			for _, f := range failures {
				if f.Pending && !f.LastSync.Before(since) {
					left--
				}
			}
		}
		if left <= 0 {
			return failures, nil
		}
		if left != last && time.Since(said) >= lineEvery {
			fmt.Fprintf(w, "%s: %s pending\n", inst.Slug, count(left, "account", "accounts"))
			said, last = time.Now(), left
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// stopped explains a wait cut short: on Ctrl-C, the syncs left stay
// queued.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("interrupted: the syncs left stay queued, for a server's workers, or this command run again, to finish")
	}
	return err
}

// count writes n with its noun.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
