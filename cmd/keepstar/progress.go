package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/keepstar/keepstar/internal/jobs"
)

// progressOutput shows the course of the jobs a command waits for on
// stderr: a progress bar on a terminal, plain lines otherwise (cron mail,
// a log file). The log of the process goes through it too, so that a log
// line never lands in the middle of a bar.
type progressOutput struct {
	w        io.Writer
	terminal bool
	// throttle bounds how often the bar is drawn.
	throttle time.Duration

	mu  sync.Mutex
	bar *progressbar.ProgressBar // the bar shown now, if any
}

func newProgressOutput(stderr io.Writer) *progressOutput {
	f, ok := stderr.(*os.File)
	return &progressOutput{w: stderr, terminal: ok && term.IsTerminal(int(f.Fd())), throttle: 100 * time.Millisecond}
}

// log gives the writer of the process's log.
func (o *progressOutput) log() io.Writer { return logThrough{o} }

type logThrough struct{ o *progressOutput }

// Write puts a log line above the bar shown, which progressbar keeps
// until it draws the bar again, or writes it straight out.
func (l logThrough) Write(p []byte) (int, error) {
	l.o.mu.Lock()
	bar := l.o.bar
	l.o.mu.Unlock()
	if bar == nil {
		return l.o.w.Write(p)
	}
	if _, err := progressbar.Bprintf(bar, "%s", p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// watcher follows one job; update is Queue.Wait's onProgress.
type watcher interface {
	update(p jobs.RunProgress, job *rivertype.JobRow)
	end()
}

func (o *progressOutput) watch(name string, id int64) watcher {
	if o.terminal {
		return &barWatcher{o: o, name: name, total: -2}
	}
	return &lineWatcher{w: o.w, name: name, id: id}
}

// stage says where a job not running stands, or "" while it runs.
func stage(job *rivertype.JobRow) string {
	switch job.State {
	case rivertype.JobStateRunning:
		return ""
	case rivertype.JobStateRetryable:
		last := ""
		if len(job.Errors) > 0 {
			last = ": " + oneLine(job.Errors[len(job.Errors)-1].Error)
		}
		return fmt.Sprintf("attempt %d of %d failed%s; next try at %s UTC", job.Attempt, job.MaxAttempts, last,
			job.ScheduledAt.UTC().Format(time.TimeOnly))
	case rivertype.JobStateScheduled:
		// Snoozed on ESI's limits, or put off.
		return "waiting until " + job.ScheduledAt.UTC().Format(time.TimeOnly) + " UTC"
	}
	return "waiting for a worker"
}

// lineWatcher writes a line when the job's stage changes, and its progress
// at most every lineEvery.
type lineWatcher struct {
	w        io.Writer
	name     string
	id       int64
	said     string
	progress time.Time
	done     int64
}

// lineEvery bounds how often progress lines are written.
const lineEvery = 5 * time.Second

func (l *lineWatcher) update(p jobs.RunProgress, job *rivertype.JobRow) {
	s := stage(job)
	if s == "" {
		s = "running"
	}
	if s != l.said {
		l.said = s
		fmt.Fprintf(l.w, "%s (job %d): %s\n", l.name, l.id, s)
	}
	if job.State != rivertype.JobStateRunning || p.Total <= 0 || p.Done == l.done {
		return
	}
	if p.Done < p.Total && time.Since(l.progress) < lineEvery {
		return
	}
	l.progress, l.done = time.Now(), p.Done
	fmt.Fprintf(l.w, "%s (job %d): %d/%d (%d%%)\n", l.name, l.id, p.Done, p.Total, p.Done*100/p.Total)
}

func (l *lineWatcher) end() {}

// barWatcher draws a spinner while the job's size is unknown, and a bar
// once it reports its progress.
type barWatcher struct {
	o     *progressOutput
	name  string
	bar   *progressbar.ProgressBar
	total int64 // of the bar shown; -1 for a spinner, -2 for none yet
}

func (b *barWatcher) update(p jobs.RunProgress, job *rivertype.JobRow) {
	total := int64(-1)
	if job.State == rivertype.JobStateRunning && p.Total > 0 {
		total = p.Total
	}
	if total != b.total {
		b.end()
		opts := []progressbar.Option{progressbar.OptionSetWriter(b.o.w), progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(b.o.throttle), progressbar.OptionSetElapsedTime(true)}
		if total > 0 {
			opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
		} else {
			opts = append(opts, progressbar.OptionSpinnerType(14), progressbar.OptionSetPredictTime(false))
		}
		b.bar, b.total = progressbar.NewOptions64(total, opts...), total
		b.o.mu.Lock()
		b.o.bar = b.bar
		b.o.mu.Unlock()
	}
	desc := b.name
	if s := stage(job); s != "" {
		desc += ": " + s
	}
	b.bar.Describe(desc)
	if total > 0 {
		_ = b.bar.Set64(min(p.Done, total))
	} else {
		_ = b.bar.Add(1)
	}
}

// end takes the bar away, writing out the log lines it kept.
func (b *barWatcher) end() {
	if b.bar == nil {
		return
	}
	b.o.mu.Lock()
	b.o.bar = nil
	b.o.mu.Unlock()
	_ = b.bar.Finish()
	fmt.Fprint(b.o.w, "\r\033[2K")
	b.bar, b.total = nil, -2
}
