package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
)

const jobsUsage = `jobs list [-config FILE] [-json]
       keepstar jobs run [-config FILE] [-wait] NAME

list shows every kind of background job: its interval (KEEPSTAR_JOB_SCHEDULES overrides the default), its
last run (when, how it ended, how long it took, and the error on the next line when it failed), its next
run, and whether it is running now, with its progress.

run queues the scheduled job NAME now, for a server's workers (keepstar serve) to run, and prints its id.
With -wait, this command works jobs too, so the job runs even when no server does; it shows the job's
progress, prints the result, and exits 0 when the job completed, 1 when it was given up or cancelled.
Exit code 2: a bad flag, configuration or job name.`

// jobs looks at the background jobs and runs them by hand.
func (c *cli) jobs(ctx context.Context, args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "list":
			return c.jobsList(ctx, args[1:])
		case "run":
			return c.jobsRun(ctx, args[1:])
		}
	}
	fs := c.flags("jobs", jobsUsage)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(c.stderr, "keepstar jobs: unknown subcommand %q: want `list` or `run NAME`\n", args[0])
		fs.Usage()
		return exitUsage
	}
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintln(c.stderr, "keepstar jobs: want `list` or `run NAME`")
	fs.Usage()
	return exitUsage
}

// parseAnywhere parses flags placed before or after the arguments (`jobs
// run NAME -wait`, as people type it) and gives the arguments.
func parseAnywhere(fs *flag.FlagSet, args []string) (rest []string, code int, done bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK, true
		}
		if err != nil {
			return nil, exitUsage, true
		}
		if fs.NArg() == 0 {
			return rest, exitOK, false
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openJobs loads the configuration and opens the job machinery; code is
// the exit code when ok is false.
func (c *cli) openJobs(ctx context.Context, cmd, file string, work bool, log io.Writer) (j *app.Jobs, cfg *config.Config, code int, ok bool) {
	lc := *c
	if log != nil {
		lc.stderr = log
	}
	cfg, logger, ok := lc.load(cmd, file, nil)
	if !ok {
		return nil, nil, exitUsage, false
	}
	j, err := app.OpenJobs(ctx, cfg, logger, app.JobsOptions{Work: work, Features: c.features, ServiceTypes: c.serviceTypes})
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return nil, nil, exitFailure, false
	}
	return j, cfg, exitOK, true
}

// closeJobs stops the workers of j, if any: running jobs get the shutdown
// timeout to finish, or none when ctx was interrupted; those cut off are
// cancelled, and River runs them again later.
func closeJobs(ctx context.Context, j *app.Jobs, cfg *config.Config) error {
	stop, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if ctx.Err() != nil {
		cancel()
	}
	return j.Close(stop)
}

// jobRow is one kind of job as `jobs list` shows it.
type jobRow struct {
	Name        string `json:"name"`
	Summary     string `json:"summary,omitempty"`
	Scheduled   bool   `json:"scheduled"`
	EverySecs   int64  `json:"every_seconds"`
	DefaultSecs int64  `json:"default_every_seconds"`
	// NextRun is nil when the job has no schedule, it is off, or no
	// server has started since it was added.
	NextRun *time.Time   `json:"next_run,omitempty"`
	LastRun *lastRunJSON `json:"last_run,omitempty"`
	Running *runningJSON `json:"running,omitempty"`
}

type lastRunJSON struct {
	JobID       int64     `json:"job_id"`
	Finished    time.Time `json:"finished"`
	Outcome     string    `json:"outcome"`
	DurationSec float64   `json:"duration_seconds"`
	Error       string    `json:"error,omitempty"`
}

type runningJSON struct {
	JobID int64     `json:"job_id"`
	Since time.Time `json:"since"`
	Done  int64     `json:"done"`
	Total int64     `json:"total"`
}

func (c *cli) jobsList(ctx context.Context, args []string) int {
	fs := c.flags("jobs list", jobsUsage)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the list as JSON, for scripts")
	if code, done := parse(fs, args); done {
		return code
	}
	j, cfg, code, ok := c.openJobs(ctx, "jobs list", *file, false, nil)
	if !ok {
		return code
	}
	defer closeJobs(ctx, j, cfg)
	rows, err := listJobs(ctx, j)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar jobs list: %v\n", err)
		return exitFailure
	}
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			fmt.Fprintf(c.stderr, "keepstar jobs list: %v\n", err)
			return exitFailure
		}
		return exitOK
	}
	writeJobTable(c.stdout, rows)
	return exitOK
}

// listJobs merges the recorded statuses with the registry: every kind this
// Keepstar knows shows, whether it ran or not.
func listJobs(ctx context.Context, j *app.Jobs) ([]jobRow, error) {
	statuses, err := jobs.Statuses(ctx, j.DB)
	if err != nil {
		return nil, err
	}
	progresses, err := jobs.Progresses(ctx, j.DB)
	if err != nil {
		return nil, err
	}
	byKind := map[string]jobs.KindStatus{}
	for _, s := range statuses {
		byKind[s.Kind] = s
	}
	kinds := j.Registry.Kinds()
	for _, p := range j.Registry.Periodic() {
		if !slices.Contains(kinds, p.Kind()) {
			kinds = append(kinds, p.Kind())
		}
	}
	slices.Sort(kinds)
	var rows []jobRow
	for _, kind := range kinds {
		r := jobRow{Name: kind}
		if p, ok := j.Registry.Lookup(kind); ok {
			r.Scheduled, r.Summary = true, p.Summary
			r.EverySecs, r.DefaultSecs = int64(j.Registry.Every(kind)/time.Second), int64(p.Every/time.Second)
		}
		s, ran := byKind[kind]
		if r.EverySecs > 0 && ran {
			r.NextRun = utc(s.NextRun)
		}
		if ran && s.LastOutcome != "" && s.LastFinished != nil {
			r.LastRun = &lastRunJSON{JobID: s.LastJobID, Finished: s.LastFinished.UTC(), Outcome: s.LastOutcome,
				DurationSec: s.LastDuration.Seconds(), Error: s.LastError}
		}
		if ran && s.Running() {
			r.Running = &runningJSON{JobID: s.LastJobID, Since: s.LastStarted.UTC()}
			for _, p := range progresses {
				if p.Kind == kind && (p.JobID == s.LastJobID || r.Running.Total == 0) {
					r.Running.Done, r.Running.Total = p.Done, p.Total
				}
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// writeJobTable prints the rows aligned, each failed run's error on an
// indented line below its row.
func writeJobTable(w io.Writer, rows []jobRow) {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tEVERY\tLAST RUN\tNEXT RUN\tNOW")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.every(), r.last(), r.next(), r.now())
	}
	tw.Flush()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	fmt.Fprintln(w, lines[0])
	for i, r := range rows {
		fmt.Fprintln(w, strings.TrimRight(lines[i+1], " "))
		if r.LastRun != nil && r.LastRun.Error != "" {
			fmt.Fprintf(w, "    last error: %s\n", oneLine(r.LastRun.Error))
		}
	}
}

func (r jobRow) every() string {
	switch {
	case !r.Scheduled:
		return "when needed"
	case r.EverySecs == r.DefaultSecs:
		return interval(r.EverySecs)
	case r.EverySecs == 0:
		return "off (default " + interval(r.DefaultSecs) + ")"
	}
	return interval(r.EverySecs) + " (default " + interval(r.DefaultSecs) + ")"
}

// interval writes an interval as KEEPSTAR_JOB_SCHEDULES takes it.
func interval(secs int64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

func (r jobRow) last() string {
	if r.LastRun == nil {
		return "never"
	}
	return fmt.Sprintf("%s %s in %s", r.LastRun.Finished.Format(timeFormat), r.LastRun.Outcome,
		took(time.Duration(r.LastRun.DurationSec*float64(time.Second))))
}

func (r jobRow) next() string {
	switch {
	case !r.Scheduled:
		return "-"
	case r.EverySecs == 0:
		return "off"
	case r.NextRun == nil:
		return "once a server starts"
	}
	return r.NextRun.Format(timeFormat)
}

func (r jobRow) now() string {
	if r.Running == nil {
		return ""
	}
	s := fmt.Sprintf("running since %s UTC", r.Running.Since.Format(time.TimeOnly))
	if r.Running.Total > 0 {
		s += fmt.Sprintf(", %d/%d (%d%%)", r.Running.Done, r.Running.Total, r.Running.Done*100/r.Running.Total)
	}
	return s
}

// timeFormat shows times in UTC, EVE's time.
const timeFormat = "2006-01-02 15:04:05 UTC"

// took rounds a duration for reading.
func took(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (c *cli) jobsRun(ctx context.Context, args []string) int {
	fs := c.flags("jobs run", jobsUsage)
	file := configFlag(fs)
	wait := fs.Bool("wait", false, "work the job in this process too, show its progress and wait for its end")
	rest, code, done := parseAnywhere(fs, args)
	if done {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprintln(c.stderr, "keepstar jobs run: want one job name (keepstar jobs list names them)")
		fs.Usage()
		return exitUsage
	}
	name := rest[0]
	// The job is queued by a process that works none: a bad name must not
	// start workers, even for a moment.
	j, cfg, code, ok := c.openJobs(ctx, "jobs run", *file, false, nil)
	if !ok {
		return code
	}
	if _, ok := j.Registry.Lookup(name); !ok {
		closeJobs(ctx, j, cfg)
		fmt.Fprintf(c.stderr, "keepstar jobs run: no scheduled job is called %q; the jobs are:\n", name)
		for _, p := range j.Registry.Periodic() {
			fmt.Fprintf(c.stderr, "  %-24s %s\n", p.Kind(), p.Summary)
		}
		return exitUsage
	}
	id, duplicate, err := j.Queue.RunNow(ctx, name)
	closeJobs(ctx, j, cfg)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar jobs run: %v\n", err)
		return exitFailure
	}
	if duplicate {
		fmt.Fprintf(c.stdout, "%s is already waiting or running as job %d\n", name, id)
	} else {
		fmt.Fprintf(c.stdout, "%s queued as job %d\n", name, id)
	}
	if !*wait {
		return exitOK
	}

	out := newProgressOutput(c.stderr)
	j, cfg, code, ok = c.openJobs(ctx, "jobs run", *file, true, out.log())
	if !ok {
		return code
	}
	job, err := waitJob(ctx, j.Queue, name, id, out)
	if err := closeJobs(ctx, j, cfg); err != nil {
		fmt.Fprintf(c.stderr, "keepstar jobs run: stopping the workers: %v\n", err)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar jobs run: %v\n", interrupted(ctx, err, name, id))
		return exitFailure
	}
	fmt.Fprintln(c.stdout, result(name, job))
	if job.State != rivertype.JobStateCompleted {
		return exitFailure
	}
	return exitOK
}

// waitPoll is how often a job being waited for is looked at.
const waitPoll = 250 * time.Millisecond

// waitJob waits until job id has ended, showing its course on out.
func waitJob(ctx context.Context, q *jobs.Queue, name string, id int64, out *progressOutput) (*rivertype.JobRow, error) {
	w := out.watch(name, id)
	job, err := q.Wait(ctx, id, waitPoll, w.update)
	w.end()
	return job, err
}

// interrupted explains a wait cut short: on Ctrl-C, the job is cancelled
// here and River runs it again later.
func interrupted(ctx context.Context, err error, name string, id int64) error {
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %s (job %d) stops here and goes back to the queue, where a server's workers, or this command run again, take it", name, id)
	}
	return err
}

// result tells how a job ended, in one line.
func result(name string, job *rivertype.JobRow) string {
	last := ""
	if len(job.Errors) > 0 {
		last = oneLine(job.Errors[len(job.Errors)-1].Error)
	}
	switch job.State {
	case rivertype.JobStateCompleted:
		d := time.Duration(0)
		if job.AttemptedAt != nil && job.FinalizedAt != nil {
			d = job.FinalizedAt.Sub(*job.AttemptedAt)
		}
		return fmt.Sprintf("%s: completed in %s (job %d)", name, took(d), job.ID)
	case rivertype.JobStateDiscarded:
		return fmt.Sprintf("%s: failed, given up after %d attempts (job %d): %s", name, job.Attempt, job.ID, last)
	case rivertype.JobStateCancelled:
		if last == "" {
			last = "cancelled by hand"
		}
		return fmt.Sprintf("%s: cancelled (job %d): %s", name, job.ID, last)
	}
	return fmt.Sprintf("%s: %s (job %d)", name, job.State, job.ID)
}

const updateUsage = `update [-config FILE]

Runs the jobs that bring Keepstar up to date once, in order, each after the previous one has ended:
the characters' affiliations, then their tokens, then every account's access (states, groups, roles).
This process works them itself, so no server needs to run (one may: it then shares the work). Use it for a
first import, or from cron with the schedules turned off (KEEPSTAR_JOB_SCHEDULES=name=off,...).
A failed job is reported and the next ones still run. Exit code 0 when every job completed, 1 when one
failed or on Ctrl-C (the running job is cancelled and run again later by a server; the ones after it are
not run), 2 on a bad flag or configuration.`

// update runs the jobs of Registry.UpdateJobs once, like Neucore's
// run-jobs script.
func (c *cli) update(ctx context.Context, args []string) int {
	fs := c.flags("update", updateUsage)
	file := configFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	out := newProgressOutput(c.stderr)
	j, cfg, code, ok := c.openJobs(ctx, "update", *file, true, out.log())
	if !ok {
		return code
	}
	list := j.Registry.UpdateJobs()
	failed, completed := 0, 0
	var notRun []string
	for i, p := range list {
		name := p.Kind()
		id, _, err := j.Queue.RunNow(ctx, name)
		var job *rivertype.JobRow
		if err == nil {
			job, err = waitJob(ctx, j.Queue, name, id, out)
		}
		if ctx.Err() != nil {
			if id != 0 {
				fmt.Fprintf(c.stderr, "keepstar update: %v\n", interrupted(ctx, err, name, id))
			} else {
				notRun = append(notRun, name)
			}
			for _, rest := range list[i+1:] {
				notRun = append(notRun, rest.Kind())
			}
			break
		}
		if err != nil {
			failed++
			fmt.Fprintf(c.stdout, "%s: %v\n", name, err)
			continue
		}
		fmt.Fprintln(c.stdout, result(name, job))
		if job.State == rivertype.JobStateCompleted {
			completed++
		} else {
			failed++
		}
	}
	if err := closeJobs(ctx, j, cfg); err != nil {
		fmt.Fprintf(c.stderr, "keepstar update: stopping the workers: %v\n", err)
	}
	if len(notRun) > 0 {
		fmt.Fprintf(c.stderr, "keepstar update: interrupted; not run: %s\n", strings.Join(notRun, ", "))
	}
	fmt.Fprintf(c.stdout, "%d of %d jobs completed", completed, len(list))
	if failed > 0 {
		fmt.Fprintf(c.stdout, ", %d failed", failed)
	}
	fmt.Fprintln(c.stdout)
	if completed < len(list) {
		return exitFailure
	}
	return exitOK
}
