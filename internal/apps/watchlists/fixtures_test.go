package watchlists_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/watchlists"
	"github.com/keepstar/keepstar/internal/store"
)

// ch is a constructed character: its corporation and alliance (0: none).
type ch struct{ corp, alliance int64 }

// builder constructs accounts, numbering their characters.
type builder struct {
	db   *store.DB
	next int64
}

// account inserts an account with the characters, the first its main, and
// returns its id.
func (b *builder) account(t testing.TB, chars ...ch) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var id int64
	if err := b.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ('', 'standard', true, false, '', '', $1, $1) RETURNING id`, now).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	for i, c := range chars {
		b.next++
		var corp, alliance any
		if c.corp != 0 {
			corp = c.corp
		}
		if c.alliance != 0 {
			alliance = c.alliance
		}
		if _, err := b.db.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at)
			VALUES ($1, $2, $3, '', $4, $5, $6, $7)`, 90000000+b.next, id, fmt.Sprintf("Pilot %d", b.next), i == 0, corp, alliance, now); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// create makes a watchlist (an INSERT … RETURNING runs in a transaction:
// SQLite's pool outside one is read-only).
func create(t testing.TB, db *store.DB, name string) watchlists.Watchlist {
	t.Helper()
	var w watchlists.Watchlist
	if err := db.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		w, err = watchlists.Create(context.Background(), tx, name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return w
}
