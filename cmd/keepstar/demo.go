package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/core"
	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/web"
)

func (c *cli) demo(ctx context.Context, args []string) int {
	fs := c.flags("demo", "demo [-dir DIR] [-listen ADDR] [-evesim-listen ADDR] [-characters N]")
	dir := fs.String("dir", "", "folder for the demo's SQLite file and secret key, kept after the demo\n(default: a temporary folder removed when the demo stops)")
	listen := fs.String("listen", "", "address to serve on (default "+demo.DefaultListen+", or a free port if that one is taken)")
	simListen := fs.String("evesim-listen", "", "address of the simulated EVE (SSO, ESI and /control) the demo logs in with\n(default "+demo.DefaultSimListen+", or a free port if that one is taken)")
	characters := fs.Int("characters", 1000, "characters in the simulated EVE universe the demo logs in with")
	if code, done := parse(fs, args); done {
		return code
	}
	site, err := demo.Prepare(*dir, *listen, *simListen)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	defer site.Cleanup()
	site.Settings["KEEPSTAR_SITE_NAME"] = "Keepstar demo"
	cfg, logger, ok := c.load("demo", "", site.Settings)
	if !ok {
		site.Listener.Close()
		site.SimListener.Close()
		return exitUsage
	}
	if *characters < 1 || *characters > 5_000_000 {
		fmt.Fprintf(c.stderr, "keepstar demo: -characters %d: want 1 to 5000000\n", *characters)
		return exitUsage
	}
	simURL := cfg.EVESSOURL.String()
	sim, err := evesim.New(evesim.Options{
		BaseURL: simURL, Seed: 1, Characters: *characters, Issuer: sso.IssuerEVE, RotateRefreshTokens: true, Logger: logger,
		Clients: []sso.Client{{ID: demo.SimClientID, Secret: demo.SimClientSecret, Callback: cfg.EVECallbackURL.String()}},
	})
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar demo: %v\n", err)
		return exitFailure
	}
	simCtx, stopSim := context.WithCancel(ctx)
	simDone := make(chan error, 1)
	go func() { simDone <- serveSim(simCtx, site.SimListener, sim, logger) }()
	defer func() { stopSim(); <-simDone }()
	// The guide is filled by Prepare, before the site serves its first
	// page.
	var guide demo.Guide
	err = app.Run(ctx, cfg, logger, app.Options{
		Mode:           app.All,
		Listener:       site.Listener,
		FirstSuperuser: true,
		Features:       c.features,
		Prepare: func(ctx context.Context, core *core.Core) error {
			guide, err = demo.Seed(ctx, core.States, core.Groups, sim.Universe)
			return err
		},
		Hints: func(r *http.Request) []web.Hint { return guide.Hints(r) },
		OnReady: func(url string) {
			kept := "kept in " + site.Dir
			if site.Temp {
				kept = "in " + site.Dir + ", removed when the demo stops (use -dir to keep them)"
			}
			fmt.Fprintf(c.stdout, "\nKeepstar demo is running at %s\nSimulated EVE (SSO, ESI, /control): %s, %d characters\n"+
				"Log in with any simulated character; the first account becomes superuser, to look at the administration too.\n"+
				"A character of %s (such as %s) gets the Member state and its groups.\n"+
				"Its data and secret key are %s.\nPress Ctrl-C to stop.\n\n", url, simURL, *characters, guide.Alliance, guide.Member, kept)
		},
	})
	if err != nil {
		logger.Error("demo stopped on an error", "error", err)
		return exitFailure
	}
	return exitOK
}
