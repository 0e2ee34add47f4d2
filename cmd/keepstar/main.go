// Command keepstar runs Keepstar, access management for EVE Online
// corporations, alliances and coalitions. Run `keepstar help` for the
// commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"syscall"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/telemetry"
	"github.com/keepstar/keepstar/internal/version"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // something went wrong while running
	exitUsage   = 2 // bad command line or configuration
)

// cli carries what commands read and write, so tests run them in-process.
type cli struct {
	stdout, stderr io.Writer
	env            func(string) (string, bool)
	// features are added to the composition root's (tests register the
	// guide's example feature this way).
	features []app.Constructor
	// serviceTypes are added to the shipped connector types (tests
	// register the in-memory service this way).
	serviceTypes []services.TypeConstructor
}

type command struct {
	summary string
	// run parses its own flags from args and returns an exit code.
	run func(c *cli, ctx context.Context, args []string) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":    {"run the web server, job workers and scheduler", (*cli).serve},
		"demo":     {"run a demo site on a throw-away SQLite file, nothing to set up", (*cli).demo},
		"migrate":  {"apply database migrations and exit", (*cli).migrate},
		"check":    {"check the configuration and the database, listing every problem", (*cli).check},
		"version":  {"print the version", (*cli).version},
		"evesim":   {"run the simulated EVE universe (SSO, ESI and a control API) for tests and demos", (*cli).evesim},
		"admin":    {"make the account of a character superuser, or no longer: keepstar admin grant CHARACTER", (*cli).admin},
		"jobs":     {"list the background jobs, or run one now: keepstar jobs list, keepstar jobs run NAME [-wait]", (*cli).jobs},
		"services": {"look at the services (Discord, Mumble…) and sync or verify them now: keepstar services list, sync INSTANCE, verify [INSTANCE]", (*cli).services},
		"update":   {"run the jobs that bring Keepstar up to date (affiliations, tokens, access) once, for cron and first imports", (*cli).update},
		"help":     {"explain a command: keepstar help COMMAND", (*cli).help},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{stdout: os.Stdout, stderr: os.Stderr, env: os.LookupEnv}
	code := c.main(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func (c *cli) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "-h" || name == "-help" || name == "--help" {
		c.usage(c.stdout)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(c.stderr, "keepstar: unknown command %q\n\n", name)
		c.usage(c.stderr)
		return exitUsage
	}
	return cmd.run(c, ctx, args[1:])
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintf(w, "Keepstar: access management for EVE Online corporations, alliances and coalitions.\n\n")
	fmt.Fprintf(w, "Usage: keepstar COMMAND [flags]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun `keepstar COMMAND -h` for a command's flags. Settings come from KEEPSTAR_ environment\n")
	fmt.Fprintf(w, "variables or a config file; docs/configuration.md lists them all.\n")
}

// flags makes a command's flag set; -h prints its usage.
func (c *cli) flags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: keepstar %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; done is true when the command should exit with code
// (after -h, or on a bad flag).
func parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK, true
	case err != nil:
		return exitUsage, true
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "keepstar %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage, true
	}
	return exitOK, false
}

// configFlag adds the -config flag shared by the commands that read settings.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "config file of KEEPSTAR_...=value lines (default: $KEEPSTAR_CONFIG_FILE)")
}

// source reads settings from the environment and the config file named by
// -config or KEEPSTAR_CONFIG_FILE.
func (c *cli) source(file string) config.Source {
	if file == "" {
		file, _ = c.env("KEEPSTAR_CONFIG_FILE")
	}
	return config.Source{Env: c.env, File: file}
}

// load reads the configuration, printing every problem on failure.
func (c *cli) load(cmd, file string, overrides config.Overrides) (*config.Config, *slog.Logger, bool) {
	cfg, err := config.Load(c.source(file), overrides)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return nil, nil, false
	}
	logger, err := telemetry.NewLogger(c.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar %s: %v\n", cmd, err)
		return nil, nil, false
	}
	return cfg, logger, true
}

func (c *cli) version(_ context.Context, args []string) int {
	fs := c.flags("version", "version")
	if code, done := parse(fs, args); done {
		return code
	}
	fmt.Fprintf(c.stdout, "keepstar %s (%s %s/%s)\n", version.String(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

func (c *cli) help(_ context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.stdout)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok || args[0] == "help" {
		fmt.Fprintf(c.stderr, "keepstar help: unknown command %q\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(c.stdout, "keepstar %s: %s.\n\n", args[0], cmd.summary)
	saved := c.stderr
	c.stderr = c.stdout
	defer func() { c.stderr = saved }()
	cmd.run(c, context.Background(), []string{"-h"})
	return exitOK
}
