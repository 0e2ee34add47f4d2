package settings_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// digits is a setting whose value the kind alone does not check.
var digits = settings.Definition{Name: "t.digits", Kind: settings.KindText, MaxLen: 20, Validate: func(v string) error {
	if strings.Trim(v, "0123456789 ") != "" {
		return errors.New("digits and spaces only")
	}
	return nil
}}

// A Validate hook refuses on save, naming the setting; a value stored
// that fails it is not used, and Problem tells what is stored and why.
func TestValidateOnSaveAndProblemOfAStoredValue(t *testing.T) {
	var invalid *i18n.InvalidError
	if _, err := digits.Check("12 3x"); !errors.Is(err, settings.ErrInvalid) || !errors.As(err, &invalid) ||
		invalid.Problems[0].Field != digits.Name || !strings.Contains(err.Error(), "digits and spaces only") {
		t.Fatalf("Check of a bad value: %v", err)
	}
	if v, err := digits.Check(" 12 3 "); err != nil || v != "12 3" {
		t.Fatalf("Check of a good value: %q %v", v, err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := settings.NewStore(db, settings.NewRegistry([]settings.Definition{digits, title}), nil, time.Minute)
		if err := st.Set(ctx, map[string]string{digits.Name: "12 3x", title.Name: "Hi"}); !errors.Is(err, settings.ErrInvalid) {
			t.Fatalf("Set of a bad value: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM settings`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a refused Set stored %d rows (%v)", n, err)
		}
		// Stored by hand, or by an older version.
		if _, err := db.Exec(ctx, `INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3)`, digits.Name, "7 x", time.Now()); err != nil {
			t.Fatal(err)
		}
		v, err := st.Values(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored, problem := v.Problem(digits)
		if v.String(digits) != "" || stored != "7 x" || problem == nil || !strings.Contains(problem.Error(), "digits and spaces only") {
			t.Errorf("a bad stored value: String %q, Problem %q %v", v.String(digits), stored, problem)
		}
		if _, problem := v.Problem(title); problem != nil {
			t.Errorf("a setting stored as its default has a problem: %v", problem)
		}
	})
}

// OnChange runs in the transaction of a Set that changes a watched value,
// and only then; its error takes the change back. Current reads past the
// cache.
func TestOnChangeRunsInTheSetsTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := settings.NewStore(db, settings.NewRegistry([]settings.Definition{flag, count, title}), nil, time.Hour)
		calls := 0
		var fail error
		st.OnChange([]settings.Definition{flag, count}, func(ctx context.Context, tx *store.Tx) error {
			calls++
			// The change is visible in the transaction.
			var v string
			if err := tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, count.Name).Scan(&v); err != nil && !errors.Is(err, store.ErrNoRows) {
				return err
			}
			return fail
		})
		set := func(changes map[string]string) error {
			t.Helper()
			return st.Set(ctx, changes)
		}
		for _, c := range []struct {
			changes map[string]string
			calls   int
		}{
			{map[string]string{title.Name: "Other"}, 0},                  // not watched
			{map[string]string{flag.Name: "", count.Name: "5"}, 0},       // the defaults: no change
			{map[string]string{flag.Name: "on", count.Name: "5"}, 1},     // one changed
			{map[string]string{flag.Name: "true", count.Name: " 5 "}, 1}, // the same again
			{map[string]string{flag.Name: "true", count.Name: "6"}, 2},   // the other
			{map[string]string{flag.Name: "false", title.Name: "Hi"}, 3}, // back
		} {
			if err := set(c.changes); err != nil {
				t.Fatal(err)
			}
			if calls != c.calls {
				t.Fatalf("after %v: %d calls, want %d", c.changes, calls, c.calls)
			}
		}
		fail = errors.New("queue down")
		if err := set(map[string]string{count.Name: "9"}); !errors.Is(err, fail) {
			t.Fatalf("Set with a failing watcher: %v", err)
		}
		v, err := st.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v.Int(count) != 6 {
			t.Errorf("a watcher's error left the change: count %d", v.Int(count))
		}
		// Another process's change: Values keeps its snapshot for the TTL,
		// Current reads it.
		if _, err := db.Exec(ctx, `UPDATE settings SET value = '8' WHERE name = $1`, count.Name); err != nil {
			t.Fatal(err)
		}
		if v, _ := st.Values(ctx); v.Int(count) != 6 {
			t.Errorf("Values read past its snapshot: %d", v.Int(count))
		}
		if v, _ := st.Current(ctx); v.Int(count) != 8 {
			t.Errorf("Current: %d, want 8", v.Int(count))
		}
	})
}
