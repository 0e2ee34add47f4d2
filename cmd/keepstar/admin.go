package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/store"
)

// admin makes or unmakes superusers from the command line: the first
// administrator of a new site has nobody to grant it in the web UI.
func (c *cli) admin(ctx context.Context, args []string) int {
	fs := c.flags("admin", "admin [-config FILE] grant|revoke CHARACTER\n\n"+
		"grant makes the account of CHARACTER (an id, or a name in quotes) superuser; revoke takes it back.\n"+
		"The character must have logged in to this Keepstar once.")
	file := configFlag(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		return exitUsage
	}
	if fs.NArg() != 2 || (fs.Arg(0) != "grant" && fs.Arg(0) != "revoke") {
		fmt.Fprintln(c.stderr, "keepstar admin: want `grant CHARACTER` or `revoke CHARACTER`")
		fs.Usage()
		return exitUsage
	}
	verb, character := fs.Arg(0), fs.Arg(1)
	cfg, logger, ok := c.load("admin", *file, nil)
	if !ok {
		return exitUsage
	}
	db, err := store.Open(ctx, cfg.Database, cfg.DatabaseMaxConns)
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar admin: %v\n", err)
		return exitFailure
	}
	defer db.Close()
	if err := app.Migrate(ctx, db, logger); err != nil {
		fmt.Fprintf(c.stderr, "keepstar admin: %v\n", err)
		return exitFailure
	}
	accs := accounts.New(db, accounts.Options{})
	change := accs.GrantSuperuser
	if verb == "revoke" {
		change = accs.RevokeSuperuser
	}
	acc, char, err := change(ctx, character)
	if errors.Is(err, accounts.ErrNotFound) {
		fmt.Fprintf(c.stderr, "keepstar admin %s: no character %q has logged in to this Keepstar: log in with it first, then run this again\n", verb, character)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "keepstar admin %s: %v\n", verb, err)
		return exitFailure
	}
	state := "is now a superuser"
	if !acc.Superuser {
		state = "is no longer a superuser"
	}
	fmt.Fprintf(c.stdout, "account %d (%s), with %s (character %d), %s\n", acc.ID, acc.Name, char.Name, char.ID, state)
	return exitOK
}
