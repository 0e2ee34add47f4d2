package evemail_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// trackedTable stands in for member tracking (being built): a real table
// of tracked members with their last logon, read with SQL as tracking's
// store will be, those on an account left out.
type trackedTable struct{ db *store.DB }

func newTrackedTable(t *testing.T, db *store.DB) *trackedTable {
	t.Helper()
	if _, err := db.Exec(context.Background(), `CREATE TABLE test_tracked_members (character_id INTEGER PRIMARY KEY,
		name TEXT NOT NULL, corporation_id INTEGER NOT NULL, logon_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return &trackedTable{db: db}
}

func (tt *trackedTable) add(t *testing.T, id, corp int32, logon time.Time) {
	t.Helper()
	if _, err := tt.db.Exec(context.Background(), `INSERT INTO test_tracked_members VALUES ($1, $2, $3, $4)`,
		id, fmt.Sprint("Member ", id), corp, logon.UTC()); err != nil {
		t.Fatal(err)
	}
}

func (tt *trackedTable) Unregistered(ctx context.Context, corporations []int32, since time.Time) ([]evemail.Member, error) {
	rows, err := tt.db.Query(ctx, `SELECT m.character_id, m.name, m.corporation_id, m.logon_at FROM test_tracked_members m
		WHERE m.logon_at >= $1 AND NOT EXISTS (SELECT 1 FROM characters c WHERE c.id = m.character_id) ORDER BY m.character_id`, since.UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []evemail.Member
	for rows.Next() {
		var m evemail.Member
		if err := rows.Scan(&m.CharacterID, &m.Name, &m.CorporationID, &m.LastLogon); err != nil {
			return nil, err
		}
		if slices.Contains(corporations, m.CorporationID) {
			out = append(out, m)
		}
	}
	return out, rows.Err()
}

// Members of tracked corporations without an account who logged on within
// N days get the missing-character mail once, then again after N days;
// those on an account, of other corporations, or long gone get nothing.
func TestMissingCharacterMail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		tracked := &lateMembers{}
		h := newHarness(t, d, tracked)
		tracked.t = newTrackedTable(t, h.db)
		now := h.clock.Now()
		recent, old, elsewhere := h.next(), h.next(), h.next()
		tracked.t.add(t, recent, ourCorp, now.Add(-2*24*time.Hour))
		tracked.t.add(t, old, ourCorp, now.Add(-30*24*time.Hour))
		tracked.t.add(t, elsewhere, otherCorp, now.Add(-time.Hour))
		_, registered := h.account(t, false, character{main: true, corporation: ourCorp, valid: true})
		tracked.t.add(t, registered[0], ourCorp, now.Add(-time.Hour))

		h.set(t, map[string]string{"evemail.missing_active": "true", "evemail.missing_corporations": "98000001",
			"evemail.missing_days": "10", "evemail.missing_subject": "Register", "evemail.missing_body": "Please."})
		for turn, want := range []int{1, 0} {
			if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != want {
				t.Fatalf("pass %d: %d queued, %v; want %d", turn, n, err, want)
			}
		}
		h.deliverAll(t)
		for who, want := range map[int32]int{recent: 1, old: 0, elsewhere: 0, registered[0]: 0} {
			if got := h.received(t, who); len(got) != want {
				t.Errorf("character %d received %d mails, want %d", who, len(got), want)
			}
		}
		// Nine days on: not yet. Eleven: again (the member logs on again).
		h.clock.Advance(9 * 24 * time.Hour)
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 0 {
			t.Fatalf("after nine days: %d queued, %v; want none", n, err)
		}
		h.clock.Advance(2 * 24 * time.Hour)
		if _, err := h.db.Exec(ctx, `UPDATE test_tracked_members SET logon_at = $1 WHERE character_id = $2`, h.clock.Now().UTC(), recent); err != nil {
			t.Fatal(err)
		}
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 1 {
			t.Fatalf("after eleven days: %d queued, %v; want 1", n, err)
		}
		var count int
		if err := h.db.QueryRow(ctx, `SELECT count FROM evemail_missing_character WHERE character_id = $1`, recent).Scan(&count); err != nil || count != 2 {
			t.Errorf("count %d, %v; want 2", count, err)
		}
	})
}

// lateMembers lets the harness be built before the table it reads.
type lateMembers struct{ t *trackedTable }

func (l *lateMembers) Unregistered(ctx context.Context, corporations []int32, since time.Time) ([]evemail.Member, error) {
	return l.t.Unregistered(ctx, corporations, since)
}
