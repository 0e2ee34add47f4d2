package evemail_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// trackCorporation makes the CEO of a simulated player corporation with at
// least four other members a director with a core.tracking token, and
// gives member tracking over the harness's ESI: the corporation and its
// members other than the CEO and the mail's sender.
func (h *harness) trackCorporation(t *testing.T) (*tracking.Tracking, int32, []int32) {
	t.Helper()
	ctx := context.Background()
	u := h.sim.Universe
	for _, corp := range u.CorporationIDs() {
		co, err := u.Corporation(corp)
		if err != nil {
			t.Fatal(err)
		}
		ceo, err := u.Character(co.CEOID)
		if err != nil {
			continue // an NPC corporation
		}
		members, err := u.Members(corp)
		if err != nil {
			t.Fatal(err)
		}
		others := slices.DeleteFunc(slices.Clone(members), func(id int32) bool { return id == ceo.ID || id == h.sender })
		if len(others) < 4 {
			continue
		}
		if err := u.SetRoles(ceo.ID, []string{"Director"}); err != nil {
			t.Fatal(err)
		}
		h.register(t, ceo.ID, corp)
		scopes := []string{"esi-corporations.track_members.v1", "esi-universe.read_structures.v1"}
		rt, err := h.sim.SSO.IssueRefreshToken(harnessClient, ceo.ID, scopes)
		if err != nil {
			t.Fatal(err)
		}
		tok := sso.Token{AccessToken: "expired-" + strconv.Itoa(int(ceo.ID)), RefreshToken: rt, Expiry: h.clock.Now().Add(-time.Hour),
			Claims: sso.Claims{CharacterID: ceo.ID, Name: ceo.Name, Owner: u.OwnerHash(ceo), Scopes: scopes}}
		if _, err := h.tokens.Save(ctx, h.db, tok, logins.Tracking); err != nil {
			t.Fatal(err)
		}
		if err := h.tokens.SetHasRoles(ctx, h.db, ceo.ID, logins.Tracking, true); err != nil {
			t.Fatal(err)
		}
		return tracking.NewTracking(tracking.Deps{DB: h.db, ESI: h.esi, Now: h.clock.Now}), corp, others
	}
	t.Fatal("no simulated player corporation with five members")
	return nil, 0, nil
}

// register puts a character on an account of its own, as its main.
func (h *harness) register(t *testing.T, id, corp int32) {
	t.Helper()
	ctx := context.Background()
	c, err := h.sim.Universe.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	now := h.clock.Now().UTC()
	if err := h.db.InTx(ctx, func(tx *store.Tx) error {
		var account int64
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, c.Name, now).Scan(&account); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
			VALUES ($1, $2, $3, 'hash', TRUE, $4, $5)`, id, account, c.Name, corp, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// A member of a tracked corporation without an account who logged on
// within N days gets the missing-character mail once, then again after N
// days if they still play: from member tracking's data as its job reads
// the simulated universe. Members on an account, members long gone, and
// members of corporations not configured get nothing.
func TestMissingCharacterMail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		u := h.sim.Universe
		tr, corp, members := h.trackCorporation(t)
		// The seeded members last logged on years ago; two log on now.
		recent, registered, old, later := members[0], members[1], members[2], members[3]
		for _, id := range []int32{recent, registered} {
			if err := u.SetOnline(id, true); err != nil {
				t.Fatal(err)
			}
		}
		h.register(t, registered, corp)
		update := func() {
			t.Helper()
			if r, err := tr.Update(ctx); err != nil || r.Corporations != 1 || r.Failed != 0 {
				c, cerr := tracking.CorporationByID(ctx, h.db, corp)
				t.Fatalf("tracking update: %+v, %v (recorded: %q, %v)", r, err, c.Error, cerr)
			}
		}
		update()
		settings := map[string]string{"evemail.missing_active": "true", "evemail.missing_corporations": "98000999",
			"evemail.missing_days": "10", "evemail.missing_subject": "Register", "evemail.missing_body": "Please."}
		h.set(t, settings)
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 0 {
			t.Fatalf("another corporation configured: %d queued, %v; want none", n, err)
		}
		settings["evemail.missing_corporations"] = fmt.Sprint(corp)
		h.set(t, settings)
		for turn, want := range []int{1, 0} {
			if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != want {
				t.Fatalf("pass %d: %d queued, %v; want %d", turn, n, err, want)
			}
		}
		h.deliverAll(t)
		for who, want := range map[int32]int{recent: 1, registered: 0, old: 0, later: 0} {
			if got := h.received(t, who); len(got) != want {
				t.Errorf("character %d received %d mails, want %d", who, len(got), want)
			}
		}

		// Nine days on, both play on (a new logon each): recent is not
		// mailed again yet, later (new to the list) is.
		h.clock.Advance(9 * 24 * time.Hour)
		for _, id := range []int32{recent, later} {
			if err := u.SetOnline(id, false); err != nil {
				t.Fatal(err)
			}
			if err := u.SetOnline(id, true); err != nil {
				t.Fatal(err)
			}
		}
		update()
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 1 {
			t.Fatalf("after nine days: %d queued, %v; want 1 (the member who logged on since)", n, err)
		}
		// Eleven days after the first mail: recent is mailed again.
		h.clock.Advance(2 * 24 * time.Hour)
		update()
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 1 {
			t.Fatalf("after eleven days: %d queued, %v; want 1", n, err)
		}
		h.deliverAll(t)
		for who, want := range map[int32]int{recent: 2, later: 1, old: 0} {
			if got := h.received(t, who); len(got) != want {
				t.Errorf("character %d received %d mails in all, want %d", who, len(got), want)
			}
		}
		var count int
		if err := h.db.QueryRow(ctx, `SELECT count FROM evemail_missing_character WHERE character_id = $1`, recent).Scan(&count); err != nil || count != 2 {
			t.Errorf("count %d, %v; want 2", count, err)
		}

		// Once recent registers, no more mail, however long they play.
		h.register(t, recent, corp)
		h.clock.Advance(11 * 24 * time.Hour)
		if err := u.SetOnline(recent, false); err != nil {
			t.Fatal(err)
		}
		if err := u.SetOnline(recent, true); err != nil {
			t.Fatal(err)
		}
		update()
		if n, err := h.mailer.MissingCharacterPass(ctx); err != nil || n != 0 {
			t.Fatalf("after registering: %d queued, %v; want none", n, err)
		}
	})
}
