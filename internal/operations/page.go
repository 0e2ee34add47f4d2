package operations

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

// Paths of the operations page and of River UI.
const (
	Path   = "/admin/operations"
	UIPath = "/admin/jobs"
)

// Schedules is what the page reads of the job registry (jobs.Registry):
// the scheduled jobs, and their intervals as configured.
type Schedules interface {
	Periodic() []jobs.Periodic
	Every(kind string) time.Duration
}

// Runner queues a scheduled job at once (jobs.Queue).
type Runner interface {
	RunNow(ctx context.Context, kind string) (jobID int64, duplicate bool, err error)
}

// Deps are what the page needs.
type Deps struct {
	DB        *store.DB
	Schedules Schedules
	Runner    Runner
	// JobsUI is River UI, built for UIPath (jobs.Queue.UIHandler).
	JobsUI http.Handler
	// Version is Keepstar's.
	Version string
	Now     func() time.Time // nil: time.Now
}

type page struct {
	Deps
	srv   *web.Server
	pages *web.Pages
}

// Mount adds the operations page, its "run now" and River UI, all for
// superusers only: they show every job's arguments and errors, and act on
// the whole site.
func Mount(srv *web.Server, deps Deps) error {
	if deps.DB == nil || deps.Schedules == nil || deps.Runner == nil || deps.JobsUI == nil {
		return errors.New("operations: the database, schedules, runner and River UI are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &page{Deps: deps, srv: srv, pages: ps}
	srv.Handle("GET "+Path, web.Superusers, http.HandlerFunc(p.show))
	srv.Handle("POST "+Path+"/run/{kind}", web.Superusers, http.HandlerFunc(p.runNow))
	// River UI's pages and its API (listing, cancelling, retrying and
	// deleting jobs, pausing queues), every method, behind the same rule.
	// Its single-page app inserts <style> elements and sets style
	// attributes, which the site's policy refuses: inline styles are
	// allowed under UIPath alone, and nothing else (TestRiverUIInABrowser
	// finds no other violation). Its page links back to this one.
	srv.Handle(UIPath+"/", web.Superusers, srv.InlineStyles(withBackLink(srv, deps.JobsUI)))
	return nil
}

// schedule is one kind of job as the page shows it.
type schedule struct {
	jobs.KindStatus
	// Label and Help are message ids (jobs.Periodic's); empty for a kind
	// without a schedule, which shows by its kind alone.
	Label, Help string
	// Scheduled: it has a schedule, so it may be run now; Interval is
	// the one configured ("0": turned off) and Default the built-in one.
	Scheduled         bool
	Interval, Default string
	Configured        bool // Interval differs from Default
	Took              string
	Progress          []jobs.RunProgress
}

// kindCounts are one kind's jobs by state.
type kindCounts struct {
	Kind   string
	States map[string]int64
}

// bucketGroup is a rate-limit group with its window as shown.
type bucketGroup struct {
	esi.BucketGroup
	WindowText string
}

// versions are what runs the site.
type versions struct {
	Keepstar, Go, Engine, EngineVersion, River, RiverUI string
	Schema, SchemaTarget                                int64
}

type operationsPage struct {
	Now       time.Time
	Schedules []schedule
	// Queue holds the jobs waiting or running, by kind; Day the jobs
	// finished in the last 24 hours, by kind.
	Queue       []kindCounts
	QueueStates []string
	Day         []kindCounts
	DayStates   []string
	Budget      esi.Budget
	Buckets     []bucketGroup
	// ErrorsResetIn is the seconds until the error window resets; 0 once
	// it has.
	ErrorsResetIn int
	// Unknown lists the characters ESI refuses as no character, the
	// longest refused first; UnknownTotal counts them all.
	Unknown      []affiliations.UnknownCharacter
	UnknownTotal int
	Versions     versions
	UIPath       string
	// Labels are the message ids of the scheduled kinds' names, by kind,
	// for the queue's tables.
	Labels map[string]string
}

// maxUnknownShown bounds the characters ESI does not know that the page
// lists; the rest are counted.
const maxUnknownShown = 50

// States of River's jobs the page shows: those still in the queue, and
// those that ended.
var (
	queueStates = []string{"available", "scheduled", "pending", "retryable", "running"}
	dayStates   = []string{"completed", "discarded", "cancelled"}
)

func (p *page) show(w http.ResponseWriter, r *http.Request) {
	data, err := p.read(r.Context())
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "operations.html", http.StatusOK, "operations.title", data)
}

func (p *page) read(ctx context.Context) (*operationsPage, error) {
	now := p.Now()
	d := &operationsPage{Now: now, QueueStates: queueStates, DayStates: dayStates, UIPath: UIPath + "/"}
	statuses, err := jobs.Statuses(ctx, p.DB)
	if err != nil {
		return nil, err
	}
	progress, err := jobs.Progresses(ctx, p.DB)
	if err != nil {
		return nil, err
	}
	d.Schedules = p.schedules(statuses, progress)
	d.Labels = map[string]string{}
	for _, s := range d.Schedules {
		if s.Label != "" {
			d.Labels[s.Kind] = s.Label
		}
	}
	counts, err := jobs.Counts(ctx, p.DB)
	if err != nil {
		return nil, fmt.Errorf("operations: queue: %w", err)
	}
	d.Queue = byKind(counts, queueStates)
	finished, err := jobs.Finished(ctx, p.DB, now.Add(-24*time.Hour))
	if err != nil {
		return nil, err
	}
	d.Day = byKind(finished, dayStates)
	if d.Budget, err = esi.ReadBudget(ctx, p.DB, now); err != nil {
		return nil, err
	}
	for _, g := range d.Budget.Groups {
		d.Buckets = append(d.Buckets, bucketGroup{BucketGroup: g, WindowText: duration(g.Window)})
	}
	if e := d.Budget.Errors; e != nil && e.Current(now) {
		d.ErrorsResetIn = int(e.Reset.Sub(now).Round(time.Second) / time.Second)
	}
	if d.Unknown, d.UnknownTotal, err = affiliations.Unknown(ctx, p.DB, maxUnknownShown); err != nil {
		return nil, err
	}
	if d.Versions, err = p.versions(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// schedules joins what the database records of each kind of job with the
// registry's schedules, so that a schedule shows before any worker ran it.
func (p *page) schedules(statuses []jobs.KindStatus, progress []jobs.RunProgress) []schedule {
	byKind := map[string]*schedule{}
	var out []*schedule
	get := func(kind string) *schedule {
		s := byKind[kind]
		if s == nil {
			s = &schedule{KindStatus: jobs.KindStatus{Kind: kind}}
			byKind[kind] = s
			out = append(out, s)
		}
		return s
	}
	for _, st := range statuses {
		get(st.Kind).KindStatus = st
	}
	for _, per := range p.Schedules.Periodic() {
		s := get(per.Kind())
		every := p.Schedules.Every(per.Kind())
		s.Scheduled, s.Label, s.Help = true, per.Label, per.Help
		s.Interval, s.Default, s.Configured = duration(every), duration(per.Every), every != per.Every
	}
	for _, pr := range progress {
		s := get(pr.Kind)
		s.Progress = append(s.Progress, pr)
	}
	for _, s := range out {
		if s.LastOutcome != "" {
			s.Took = duration(s.LastDuration)
		}
	}
	slices.SortFunc(out, func(a, b *schedule) int { return cmp.Compare(a.Kind, b.Kind) })
	rows := make([]schedule, len(out))
	for i, s := range out {
		rows[i] = *s
	}
	return rows
}

// byKind turns counts by kind and state into one row per kind with the
// states given; kinds with none of them are left out.
func byKind(counts []jobs.KindStateCount, states []string) []kindCounts {
	var out []kindCounts
	for _, c := range counts {
		if !slices.Contains(states, c.State) || c.Count == 0 {
			continue
		}
		if n := len(out); n == 0 || out[n-1].Kind != c.Kind {
			out = append(out, kindCounts{Kind: c.Kind, States: map[string]int64{}})
		}
		out[len(out)-1].States[c.State] += c.Count
	}
	return out
}

func (p *page) versions(ctx context.Context) (versions, error) {
	v := versions{Keepstar: p.Version, Go: runtime.Version(), Engine: string(p.DB.Dialect()),
		River: jobs.RiverVersion(), RiverUI: jobs.RiverUIVersion()}
	var err error
	if v.EngineVersion, err = p.DB.ServerVersion(ctx); err != nil {
		return v, err
	}
	if v.Schema, v.SchemaTarget, err = p.DB.SchemaVersions(ctx); err != nil {
		return v, fmt.Errorf("operations: schema version: %w", err)
	}
	return v, nil
}

// runNow queues a scheduled job at once; a run of it already waiting or
// running is not doubled.
func (p *page) runNow(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	id, duplicate, err := p.Runner.RunNow(r.Context(), kind)
	switch {
	case errors.Is(err, jobs.ErrUnknownJob):
		p.srv.Fail(w, r, http.StatusNotFound, "operations.run.unknown", "Name", kind)
		return
	case err != nil:
		p.srv.Internal(w, r, err)
		return
	case duplicate:
		p.srv.AddFlash(r, "info", "operations.run.already", "Name", kind, "ID", id)
	default:
		p.srv.AddFlash(r, "success", "operations.run.queued", "Name", kind, "ID", id)
	}
	web.SeeOther(w, r, Path+"#job-"+kind)
}

// duration shows an interval or a run's length shortly: "1h", "6h30m",
// "45s", "1.2s", "350ms"; "0" for none.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	h, m, s := d/time.Hour, d%time.Hour/time.Minute, d%time.Minute/time.Second
	out := ""
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if s > 0 && h == 0 {
		out += fmt.Sprintf("%ds", s)
	}
	return out
}
