package setup

import (
	"context"
	"embed"
	"log/slog"
	"strings"

	"github.com/keepstar/keepstar/internal/feature"
)

// Locales holds the package's messages, one locales/<tag>.toml per language;
// internal/app gives it to i18n.Load with the other packages'.
//
//go:embed locales/*.toml
var Locales embed.FS

// Path is the checklist's page.
const Path = "/admin/setup"

// Checklist is the setup checklist of a site: the features' steps, in
// order. The composition root adds them once every feature is built, before
// anything is served.
type Checklist struct {
	steps  []feature.SetupStep
	logger *slog.Logger
}

// NewChecklist makes an empty checklist; a step whose check fails is logged
// to logger (nil: nowhere).
func NewChecklist(logger *slog.Logger) *Checklist {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Checklist{logger: logger}
}

// Add appends steps; a step without an ID, a label or a check, or with an
// ID used before, is a programming error.
func (c *Checklist) Add(steps ...feature.SetupStep) {
	for _, s := range steps {
		if s.ID == "" || s.Label == "" || s.Done == nil {
			panic("setup: a step needs an id, a label and a check: " + s.ID)
		}
		for _, t := range c.steps {
			if t.ID == s.ID {
				panic("setup: step " + s.ID + " added twice")
			}
		}
		c.steps = append(c.steps, s)
	}
}

// Item is a step as the pages show it.
type Item struct {
	feature.SetupStep
	Done bool
	// Failed: the check itself failed (logged); the item shows as not known.
	Failed bool
	// External: Link is another site's.
	External bool
}

// Status is the checklist now.
type Status struct {
	Items       []Item
	Done, Total int
}

// Complete reports whether every item is done.
func (s Status) Complete() bool { return s.Done == s.Total }

// Status checks every step. A check that fails does not fail the page that
// shows the checklist: its item shows as not known, and the error is
// logged.
func (c *Checklist) Status(ctx context.Context) Status {
	st := Status{Total: len(c.steps)}
	for _, s := range c.steps {
		it := Item{SetupStep: s, External: strings.HasPrefix(s.Link, "https://") || strings.HasPrefix(s.Link, "http://")}
		done, err := s.Done(ctx)
		if err != nil {
			it.Failed = true
			c.logger.ErrorContext(ctx, "setup checklist: cannot check a step", "step", s.ID, "error", err)
		}
		if done && err == nil {
			it.Done = true
			st.Done++
		}
		st.Items = append(st.Items, it)
	}
	return st
}
