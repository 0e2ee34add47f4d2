package main

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
)

func (c *cli) demo(ctx context.Context, args []string) int {
	fs := c.flags("demo", "demo [-dir DIR] [-listen ADDR]")
	dir := fs.String("dir", "", "folder for the demo's SQLite file and secret key, kept after the demo\n(default: a temporary folder removed when the demo stops)")
	listen := fs.String("listen", "", "address to serve on (default "+demo.DefaultListen+", or a free port if that one is taken)")
	characters := fs.Int("characters", 1000, "characters in the simulated EVE universe the demo logs in with")
	if code, done := parse(fs, args); done {
		return code
	}
	site, err := demo.Prepare(*dir, *listen)
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
	err = app.Run(ctx, cfg, logger, app.Options{
		Mode:           app.All,
		Listener:       site.Listener,
		FirstSuperuser: true,
		Features:       c.features,
		OnReady: func(url string) {
			kept := "kept in " + site.Dir
			if site.Temp {
				kept = "in " + site.Dir + ", removed when the demo stops (use -dir to keep them)"
			}
			fmt.Fprintf(c.stdout, "\nKeepstar demo is running at %s\nSimulated EVE (SSO, ESI, /control): %s, %d characters\n"+
				"Log in with any simulated character; the first account becomes superuser, to look at the administration too.\n"+
				"Its data and secret key are %s.\nPress Ctrl-C to stop.\n\n", url, simURL, *characters, kept)
		},
	})
	if err != nil {
		logger.Error("demo stopped on an error", "error", err)
		return exitFailure
	}
	return exitOK
}
