package accounts_test

import (
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// AccountsOf gives each account of the characters once, sorted, and leaves
// unknown characters out, in or out of a transaction.
func TestAccountsOf(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db)
		first := e.account(amy, ann)
		second := e.account(bob)
		got, err := e.a.AccountsOf(e.ctx, db, []int32{bob.id, ann.id, amy.id, 12345})
		if want := []int64{min(first, second), max(first, second)}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("accounts of: %v, %v; want %v", got, err, want)
		}
		err = db.InTx(e.ctx, func(tx *store.Tx) error {
			got, err = e.a.AccountsOf(e.ctx, tx, []int32{ann.id})
			return err
		})
		if err != nil || !slices.Equal(got, []int64{first}) {
			t.Fatalf("accounts of, in a transaction: %v, %v", got, err)
		}
		if got, err := e.a.AccountsOf(e.ctx, db, nil); err != nil || len(got) != 0 {
			t.Fatalf("accounts of nobody: %v, %v", got, err)
		}
	})
}
