package jobs

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"
)

// UIHandler builds River UI, River's own pages for looking at and acting on
// the jobs (cancel, retry, delete), served under prefix ("/admin/jobs").
// Whoever mounts it decides who may use it: it checks no one itself. Its
// background services (counts of jobs by state, refreshed every few
// seconds) run from the handler's Start until the context given to Start
// ends.
func (q *Queue) UIHandler(prefix string, logger *slog.Logger) (*riverui.Handler, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: q.client.uiEndpoints(),
		Logger:    slog.New(riverLog{logger.Handler()}).With("component", "riverui"),
		Prefix:    prefix,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: River UI: %w", err)
	}
	return h, nil
}

func (c riverClient[TTx]) uiEndpoints() uiendpoints.Bundle {
	return riverui.NewEndpoints(c.Client, nil)
}

// RiverVersion gives the version of River this binary was built with, as
// the Go toolchain recorded it; "" when it recorded none (tests).
func RiverVersion() string {
	return moduleVersion("github.com/riverqueue/river")
}

// RiverUIVersion gives the version of River UI built in, like RiverVersion.
func RiverUIVersion() string {
	return moduleVersion("riverqueue.com/riverui")
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == path {
			if m.Replace != nil {
				return m.Replace.Version
			}
			return m.Version
		}
	}
	return ""
}
