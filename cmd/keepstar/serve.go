package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
)

func (c *cli) serve(ctx context.Context, args []string) int {
	fs := c.flags("serve", "serve [-config FILE] [-mode all|web|worker]")
	file := configFlag(fs)
	mode := fs.String("mode", "all", "what this process runs: all (web, job workers and scheduler), web (HTTP only; jobs are\n"+
		"inserted for worker processes), or worker (jobs and scheduler, no HTTP). web and worker need PostgreSQL")
	if code, done := parse(fs, args); done {
		return code
	}
	m, err := app.ParseMode(*mode)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar serve: -%v\n", err)
		return exitUsage
	}
	cfg, logger, ok := c.load("serve", *file, nil)
	if !ok {
		return exitUsage
	}
	if err := app.Run(ctx, cfg, logger, app.Options{Mode: m, Features: c.features}); err != nil {
		logger.Error("keepstar stopped on an error", "error", err)
		return exitFailure
	}
	return exitOK
}

func (c *cli) migrate(ctx context.Context, args []string) int {
	fs := c.flags("migrate", "migrate [-config FILE]")
	file := configFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	cfg, logger, ok := c.load("migrate", *file, nil)
	if !ok {
		return exitUsage
	}
	current, err := migrateDatabase(ctx, cfg, logger)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar migrate: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "database %s is at schema version %d\n", cfg.Database, current)
	return exitOK
}

// migrateDatabase applies every pending migration and gives the schema
// version reached.
func migrateDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger) (int64, error) {
	db, err := store.Open(ctx, cfg.Database, cfg.DatabaseMaxConns)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := app.Migrate(ctx, db, logger); err != nil {
		return 0, err
	}
	current, _, err := db.SchemaVersions(ctx)
	return current, err
}

func (c *cli) check(ctx context.Context, args []string) int {
	fs := c.flags("check", "check [-config FILE]")
	file := configFlag(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	out := c.stdout
	cfg, problems := config.Check(c.source(*file), nil)
	for _, p := range problems {
		fmt.Fprintf(out, "FAIL  %s\n", p)
	}
	if len(problems) == 0 {
		fmt.Fprintf(out, "ok    configuration\n")
	}
	failed := len(problems)
	switch {
	case cfg.Database.Dialect == "":
		fmt.Fprintf(out, "skip  database: KEEPSTAR_DATABASE_URL is not valid\n")
	case newSQLiteFile(cfg.Database):
		// Opening the file would create it: a check changes nothing.
		fmt.Fprintf(out, "note  database %s: new, not created yet: `keepstar serve` creates and migrates it when it starts (or run `keepstar migrate` first)\n", cfg.Database)
	default:
		openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
		db, err := store.Open(openCtx, cfg.Database, 2)
		cancel()
		if err != nil {
			fmt.Fprintf(out, "FAIL  database %s: %v\n", cfg.Database, err)
			failed++
		} else {
			defer db.Close()
			if app.Empty(ctx, db) {
				fmt.Fprintf(out, "note  database %s: reachable and empty: `keepstar serve` migrates it when it starts (or run `keepstar migrate` first)\n", cfg.Database)
				break
			}
			dbProblems := app.Problems(ctx, db)
			for _, p := range dbProblems {
				fmt.Fprintf(out, "FAIL  database %s: %s\n", cfg.Database, p)
			}
			if len(dbProblems) == 0 {
				fmt.Fprintf(out, "ok    database %s: reachable, migrations current\n", cfg.Database)
			}
			failed += len(dbProblems)
		}
	}
	if len(problems) == 0 && !cfg.EVELoginEnabled() {
		fmt.Fprintf(out, "warn  EVE login is off: set KEEPSTAR_EVE_CLIENT_ID and KEEPSTAR_EVE_CLIENT_SECRET\n")
	}
	if failed > 0 {
		fmt.Fprintf(out, "%d problem(s) found\n", failed)
		return exitFailure
	}
	fmt.Fprintf(out, "no problems found\n")
	return exitOK
}

// newSQLiteFile reports whether db is an SQLite file not made yet, in a
// folder that exists (serve makes the file; a missing folder is a problem
// store.Open reports).
func newSQLiteFile(db config.Database) bool {
	if db.Dialect != config.SQLite {
		return false
	}
	if _, err := os.Stat(db.Path); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	st, err := os.Stat(filepath.Dir(db.Path))
	return err == nil && st.IsDir()
}
