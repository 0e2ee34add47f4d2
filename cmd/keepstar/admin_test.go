package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/accounts"
	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

// TestAdminGrantAndRevoke makes the first administrator from the command
// line, by character name or id, and refuses what it cannot do.
func TestAdminGrantAndRevoke(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keepstar.db")
	db, err := store.Open(ctx, config.Database{Dialect: config.SQLite, Path: path}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Migrate(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New([]byte(goodKey), tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	accs := accounts.New(db, accounts.Options{Tokens: tokens.NewStore(db, box, nil)})
	_, err = accs.Login(ctx, accounts.LoginRequest{TokenLogin: logins.Default, Token: sso.Token{
		AccessToken: "a", RefreshToken: "r", Expiry: time.Now().Add(time.Hour),
		Claims: sso.Claims{CharacterID: 90000042, Name: "Ann O'Dyne", Owner: "hash"}}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	env := map[string]string{"KEEPSTAR_SECRET_KEY": goodKey, "KEEPSTAR_DATABASE_URL": "sqlite:" + path}
	superuser := func() bool {
		db, err := store.Open(ctx, config.Database{Dialect: config.SQLite, Path: path}, 2)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var su bool
		if err := db.QueryRow(ctx, `SELECT superuser FROM accounts`).Scan(&su); err != nil {
			t.Fatal(err)
		}
		return su
	}

	code, out, errOut := run(t, env, "admin", "grant", "ann o'dyne")
	if code != exitOK || !strings.Contains(out, "Ann O'Dyne (character 90000042), is now a superuser") || !superuser() {
		t.Fatalf("grant by name: %d %q %q", code, out, errOut)
	}
	if code, out, _ := run(t, env, "admin", "revoke", "90000042"); code != exitOK || !strings.Contains(out, "is no longer a superuser") || superuser() {
		t.Fatalf("revoke by id: %d %q", code, out)
	}
	if code, _, errOut := run(t, env, "admin", "grant", "Nobody Known"); code != exitFailure || !strings.Contains(errOut, "log in with it first") {
		t.Errorf("unknown character: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"admin"}, {"admin", "grant"}, {"admin", "promote", "x"}, {"admin", "grant", "a", "b"}} {
		if code, _, _ := run(t, env, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errOut := run(t, map[string]string{}, "admin", "grant", "x"); code != exitUsage || !strings.Contains(errOut, "KEEPSTAR_SECRET_KEY") {
		t.Errorf("no configuration: %d %q", code, errOut)
	}
}
