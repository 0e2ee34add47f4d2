package sitetest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/jobs"
)

// Process is one more keepstar serve process on a site's database and
// simulator, as a scaled-out deployment runs several.
type Process struct {
	// URL is where it serves; empty in worker mode.
	URL string
	// Queue is its job queue.
	Queue *jobs.Queue

	t      testing.TB
	cancel context.CancelFunc
	done   chan error
}

// StartProcess runs another serve process beside the site's, with cfg (the
// site's Config when nil) and opts: its mode, its run metrics... It
// listens on a port of its own and stops when the test ends, or on Stop.
func (s *Site) StartProcess(t testing.TB, cfg *config.Config, opts app.Options) *Process {
	t.Helper()
	if cfg == nil {
		cfg = s.Config
	}
	if opts.Mode == "" {
		opts.Mode = app.All
	}
	if opts.Mode != app.WorkerOnly && opts.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts.Listener = ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Process{t: t, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	onQueue, onReady := opts.OnQueue, opts.OnReady
	opts.OnQueue = func(q *jobs.Queue) {
		p.Queue = q
		if onQueue != nil {
			onQueue(q)
		}
	}
	opts.OnReady = func(string) {
		if opts.Listener != nil {
			p.URL = "http://" + opts.Listener.Addr().String()
		}
		if onReady != nil {
			onReady(p.URL)
		}
		close(ready)
	}
	go func() { p.done <- app.Run(ctx, cfg, logger(), opts) }()
	select {
	case <-ready:
	case err := <-p.done:
		cancel()
		t.Fatalf("%s process stopped before it was ready: %v", opts.Mode, err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s process not ready after 30 s", opts.Mode)
	}
	t.Cleanup(p.Stop)
	return p
}

// Stop shuts the process down as a signal would, letting its running jobs
// finish; a second call does nothing.
func (p *Process) Stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	if err := <-p.done; err != nil {
		p.t.Errorf("process stopped with an error: %v", err)
	}
	p.cancel = nil
}
