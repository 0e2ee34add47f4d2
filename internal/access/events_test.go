package access_test

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// eventsFixture makes two accounts and a group both are members of, for
// the memberships WriteMemberEvents copies.
func eventsFixture(t *testing.T, db *store.DB, at time.Time) (accounts []int64, group int64) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []int64{11, 12} {
		if _, err := db.Exec(ctx, `INSERT INTO accounts (id, name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ($1, $2, 'standard', TRUE, FALSE, '', '', $3, $3)`, id, "Pilot", at); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, id)
	}
	group = 21
	if _, err := db.Exec(ctx, `INSERT INTO groups (id, name, description, internal, hidden, open, public, restricted, is_default, created_at, updated_at)
		VALUES ($1, 'Mining', '', FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, $2, $2)`, group, at); err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		if _, err := db.Exec(ctx, `INSERT INTO group_members (account_id, group_id, since) VALUES ($1, $2, $3)`, a, group, at); err != nil {
			t.Fatal(err)
		}
	}
	return accounts, group
}

// TestEventsWrittenAreReadBack: every kind, written by both forms, is read
// back as written, in order, from any position, a page at a time.
func TestEventsWrittenAreReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
		accs, group := eventsFixture(t, db, at)
		want := []access.Event{
			{AccountID: accs[0], Kind: access.EventGroupAdded, GroupID: group, At: at},
			{AccountID: accs[0], Kind: access.EventGroupRemoved, GroupID: group, Detail: "why", At: at.Add(time.Second)},
			{AccountID: accs[1], Kind: access.EventStateChanged, StateID: 7, At: at},
			{AccountID: accs[1], Kind: access.EventDeactivationChanged, Detail: string(access.YesDeactivated), At: at},
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := access.WriteEvents(ctx, tx, want...); err != nil {
				return err
			}
			// Nothing to write is no statement and no error.
			return access.WriteEvents(ctx, tx)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := access.WriteMemberEvents(ctx, tx, access.EventGroupRemoved, "group deleted", at, `m.group_id = $1`, group)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accs {
			want = append(want, access.Event{AccountID: a, Kind: access.EventGroupRemoved, GroupID: group, Detail: "group deleted", At: at})
		}

		all, err := access.ReadEvents(ctx, db, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(want) {
			t.Fatalf("read %d events, want %d: %+v", len(all), len(want), all)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID <= all[i-1].ID {
				t.Errorf("event %d: id %d after %d", i, all[i].ID, all[i-1].ID)
			}
		}
		// The member form's rows come in no set order among themselves.
		got := slices.Clone(all)
		slices.SortFunc(got[4:], func(a, b access.Event) int { return cmp.Compare(a.AccountID, b.AccountID) })
		for i, e := range got {
			w := want[i]
			w.ID = e.ID
			if !e.At.Equal(w.At) {
				t.Errorf("event %d: at %v, want %v", i, e.At, w.At)
			}
			e.At, w.At = time.Time{}, time.Time{}
			if e != w {
				t.Errorf("event %d: %+v, want %+v", i, e, w)
			}
		}

		// Resume from a position: what follows it, nothing again.
		rest, err := access.ReadEvents(ctx, db, all[1].ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(rest) != len(all)-2 || rest[0].ID != all[2].ID {
			t.Errorf("after %d: %d events from %d, want %d from %d", all[1].ID, len(rest), rest[0].ID, len(all)-2, all[2].ID)
		}
		if none, err := access.ReadEvents(ctx, db, all[len(all)-1].ID, 100); err != nil || len(none) != 0 {
			t.Errorf("after the last: %v, %v", none, err)
		}
		// A page at a time: limit events, resumed from the last.
		var paged []int64
		for pos := int64(0); ; {
			page, err := access.ReadEvents(ctx, db, pos, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 4 {
				t.Fatalf("%d events with limit 4", len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				paged = append(paged, e.ID)
			}
			pos = page[len(page)-1].ID
		}
		if len(paged) != len(all) || paged[0] != all[0].ID || paged[len(paged)-1] != all[len(all)-1].ID {
			t.Errorf("paged %v, want the ids of %+v", paged, all)
		}
		if _, err := access.ReadEvents(ctx, db, 0, 0); err == nil {
			t.Error("limit 0: no error")
		}
	})
}

// TestEventsRefusedAreNotWritten: an event a consumer could not act on is
// refused, and with it the whole batch.
func TestEventsRefusedAreNotWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
		good := access.Event{AccountID: 1, Kind: access.EventStateChanged, StateID: 1, At: at}
		for name, bad := range map[string]access.Event{
			"unknown kind":   {AccountID: 1, Kind: "group-renamed", GroupID: 1, At: at},
			"no account":     {Kind: access.EventStateChanged, StateID: 1, At: at},
			"no time":        {AccountID: 1, Kind: access.EventStateChanged, StateID: 1},
			"group no group": {AccountID: 1, Kind: access.EventGroupAdded, At: at},
			"state no state": {AccountID: 1, Kind: access.EventStateChanged, At: at},
		} {
			err := db.InTx(ctx, func(tx *store.Tx) error { return access.WriteEvents(ctx, tx, good, bad) })
			if err == nil {
				t.Errorf("%s: written", name)
			}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := access.WriteMemberEvents(ctx, tx, access.EventStateChanged, "", at, `m.group_id = $1`, 1)
			return err
		})
		if err == nil {
			t.Error("member events of a state change: written")
		}
		if evs, err := access.ReadEvents(ctx, db, 0, 10); err != nil || len(evs) != 0 {
			t.Errorf("after refusals: %+v, %v", evs, err)
		}
	})
}

// TestSettledHoldsBackAtYoungGaps: the position to keep stops before a gap
// in the ids while the event after it is young, and passes old gaps.
func TestSettledHoldsBackAtYoungGaps(t *testing.T) {
	now := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	old, young := now.Add(-time.Hour), now.Add(-time.Second)
	ev := func(id int64, at time.Time) access.Event { return access.Event{ID: id, At: at} }
	for _, c := range []struct {
		name   string
		after  int64
		events []access.Event
		want   int64
	}{
		{"nothing read", 5, nil, 5},
		{"no gap", 5, []access.Event{ev(6, young), ev(7, young)}, 7},
		{"young gap first", 5, []access.Event{ev(7, young), ev(8, young)}, 5},
		{"young gap inside", 5, []access.Event{ev(6, young), ev(8, young), ev(9, young)}, 6},
		{"old gap", 5, []access.Event{ev(6, old), ev(8, old), ev(9, young)}, 9},
		{"old gap then young gap", 0, []access.Event{ev(3, old), ev(4, old), ev(6, young)}, 4},
	} {
		if got := access.Settled(c.after, c.events, now, time.Minute); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestEventsSeenOutOfOrderOnPostgres shows why Settled exists: on
// PostgreSQL, a transaction that took an id first may commit it after
// another's larger id was read.
func TestEventsSeenOutOfOrderOnPostgres(t *testing.T) {
	db := storetest.Open(t, config.Postgres)
	ctx := context.Background()
	now := time.Now()
	written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, func(tx *store.Tx) error {
			if err := access.WriteEvents(ctx, tx, access.Event{AccountID: 1, Kind: access.EventStateChanged, StateID: 1, At: now}); err != nil {
				close(written)
				return err
			}
			close(written)
			<-release
			return nil
		})
	}()
	<-written
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		return access.WriteEvents(ctx, tx, access.Event{AccountID: 2, Kind: access.EventStateChanged, StateID: 1, At: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := access.ReadEvents(ctx, db, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].AccountID != 2 {
		t.Fatalf("with the first transaction open: %+v, want account 2's event alone", first)
	}
	pos := access.Settled(0, first, now, time.Minute)
	if pos != 0 {
		t.Errorf("settled at %d past the open transaction's id", pos)
	}
	close(release)
	released = true
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	second, err := access.ReadEvents(ctx, db, pos, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 2 || second[0].AccountID != 1 || second[1].AccountID != 2 {
		t.Errorf("after the commit, from %d: %+v, want both in id order", pos, second)
	}
	if got := access.Settled(pos, second, now, time.Minute); got != second[1].ID {
		t.Errorf("settled at %d, want %d", got, second[1].ID)
	}
	// Resuming from the last id read instead would have lost account 1's.
	if naive, err := access.ReadEvents(ctx, db, first[0].ID, 10); err != nil || len(naive) != 0 {
		t.Errorf("after %d: %+v (%v), want nothing: the hazard Settled avoids is gone, or the test is wrong", first[0].ID, naive, err)
	}
}
