package main

import (
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/demo"
)

func (c *cli) demo(ctx context.Context, args []string) int {
	fs := c.flags("demo", "demo [-dir DIR] [-listen ADDR]")
	dir := fs.String("dir", "", "folder for the demo's SQLite file and secret key, kept after the demo\n(default: a temporary folder removed when the demo stops)")
	listen := fs.String("listen", "", "address to serve on (default "+demo.DefaultListen+", or a free port if that one is taken)")
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
		return exitUsage
	}
	err = app.Run(ctx, cfg, logger, app.Options{
		Mode:     app.All,
		Listener: site.Listener,
		OnReady: func(url string) {
			kept := "kept in " + site.Dir
			if site.Temp {
				kept = "in " + site.Dir + ", removed when the demo stops (use -dir to keep them)"
			}
			fmt.Fprintf(c.stdout, "\nKeepstar demo is running at %s\nIts data and secret key are %s.\nPress Ctrl-C to stop.\n\n", url, kept)
		},
	})
	if err != nil {
		logger.Error("demo stopped on an error", "error", err)
		return exitFailure
	}
	return exitOK
}
