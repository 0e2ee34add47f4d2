package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/demo"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/telemetry"
)

// clientFlags collects repeated -client ID:SECRET:CALLBACK flags.
type clientFlags []sso.Client

func (c *clientFlags) String() string { return fmt.Sprint(len(*c), " clients") }

func (c *clientFlags) Set(v string) error {
	id, rest, ok := strings.Cut(v, ":")
	secret, callback, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || id == "" || callback == "" {
		return errors.New("want ID:SECRET:CALLBACK (an empty SECRET makes a public PKCE client)")
	}
	*c = append(*c, sso.Client{ID: id, Secret: secret, Callback: callback, Public: secret == ""})
	return nil
}

func (c *cli) evesim(ctx context.Context, args []string) int {
	fs := c.flags("evesim", "evesim [-listen ADDR] [-characters N] [-seed N] [-client ID:SECRET:CALLBACK]... [-issuer eve|eve-host|self] [-rotate-refresh-tokens=BOOL]")
	listen := fs.String("listen", "127.0.0.1:8081", "address to serve the simulated SSO, ESI and control API on")
	characters := fs.Int("characters", 1000, "number of characters in the universe")
	seed := fs.Int64("seed", 1, "seed of the universe: the same seed and size give the same universe")
	var clients clientFlags
	fs.Var(&clients, "client", "a registered EVE application as ID:SECRET:CALLBACK; repeat for several\n(default "+demo.SimClientID+":"+demo.SimClientSecret+":http://127.0.0.1:8080/sso/callback)")
	issuer := fs.String("issuer", "eve", "iss claim of the tokens: eve (https://login.eveonline.com, as EVE's own tokens say\nwherever its SSO is reached), eve-host (login.eveonline.com, EVE's older form) or self (this simulator's own URL)")
	rotate := fs.Bool("rotate-refresh-tokens", true, "return a new refresh token on each refresh")
	if code, done := parse(fs, args); done {
		return code
	}
	form := sso.IssuerEVE
	switch *issuer {
	case "eve":
	case "eve-host":
		form = sso.IssuerEVEHost
	case "self":
		form = sso.IssuerSelf
	default:
		fmt.Fprintf(c.stderr, "keepstar evesim: -issuer %q: want eve, eve-host or self\n", *issuer)
		return exitUsage
	}
	if *characters < 1 || *characters > 5_000_000 {
		fmt.Fprintf(c.stderr, "keepstar evesim: -characters %d: want 1 to 5000000\n", *characters)
		return exitUsage
	}
	if len(clients) == 0 {
		clients = clientFlags{{ID: demo.SimClientID, Secret: demo.SimClientSecret, Callback: "http://127.0.0.1:8080/sso/callback"}}
	}
	logger, err := telemetry.NewLogger(c.stderr, "text", "info")
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar evesim: %v\n", err)
		return exitFailure
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar evesim: -listen %s: %v\n", *listen, err)
		return exitFailure
	}
	base := "http://" + ln.Addr().String()
	sim, err := evesim.New(evesim.Options{
		BaseURL: base, Seed: *seed, Characters: *characters, Clients: clients, Issuer: form,
		RotateRefreshTokens: *rotate, Logger: logger,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(c.stderr, "keepstar evesim: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "EVE simulator running at %s (SSO, ESI and /control)\n", base)
	for _, cl := range clients {
		fmt.Fprintf(c.stdout, "  application %s, callback %s\n", cl.ID, cl.Callback)
	}
	if err := serveSim(ctx, ln, sim, logger); err != nil {
		fmt.Fprintf(c.stderr, "keepstar evesim: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// serveSim serves the simulator on ln until ctx ends.
func serveSim(ctx context.Context, ln net.Listener, sim http.Handler, logger *slog.Logger) error {
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
