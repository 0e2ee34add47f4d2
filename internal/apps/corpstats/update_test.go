package corpstats_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const scope = corpstats.MembershipScope

const membersRoute = "GET /corporations/{corporation_id}/members"

func (h *harness) membersCalls(corp int32) int {
	return h.count("GET /corporations/" + itoa(corp) + "/members")
}

// Adding reads the members at once with the adder's token; the lists split
// registered and unregistered members by Keepstar's accounts and group the
// registered ones by main, a main outside the corporation included. Within
// ESI's cache time an update asks nothing; after it, one call.
func TestAddSplitsAndGroups(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 400)
		corp := h.playerCorps(t, 6)[0]
		ms := h.members(t, corp)
		other := h.playerCorps(t, 1)[1]
		outside := h.members(t, other)[0]
		// a: main and an alt in the corporation; b: main outside, alt in.
		accA := h.account(t, ms[0], ms[1])
		accB := h.account(t, outside, ms[2])
		h.token(t, ms[0], membersLogin, scope)

		h.reset()
		s, err := h.cs.Add(ctx, accA, ms[0])
		if err != nil {
			t.Fatal(err)
		}
		if s.Source != corpstats.SourceESI || s.AddedBy != accA || s.CharacterID != ms[0] || !s.ExpiresAt.After(h.clock.Now()) {
			t.Fatalf("added %+v", s)
		}
		if n := h.membersCalls(corp); n != 1 {
			t.Errorf("members read %d times at add, want 1", n)
		}
		rep, err := corpstats.Build(ctx, h.db, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Members) != len(ms) || rep.Registered != 3 || rep.Unregistered != len(ms)-3 {
			t.Fatalf("%d members, %d registered, %d not; want %d, 3, %d", len(rep.Members), rep.Registered, rep.Unregistered, len(ms), len(ms)-3)
		}
		for _, m := range rep.Members {
			want := int64(0)
			switch m.CharacterID {
			case ms[0], ms[1]:
				want = accA
			case ms[2]:
				want = accB
			}
			if m.AccountID != want {
				t.Errorf("member %d on account %d, want %d", m.CharacterID, m.AccountID, want)
			}
			if m.Name == "" {
				t.Errorf("member %d without a name", m.CharacterID)
			}
			if m.CharacterID == ms[2] && m.MainID != outside {
				t.Errorf("member %d's main %d, want %d", m.CharacterID, m.MainID, outside)
			}
		}
		if len(rep.Mains) != 2 {
			t.Fatalf("%d mains, want 2", len(rep.Mains))
		}
		for _, m := range rep.Mains {
			switch m.CharacterID {
			case ms[0]:
				if !m.MainInCorporation || len(m.Alts) != 1 || m.Alts[0].CharacterID != ms[1] || !m.Alts[0].InCorporation {
					t.Errorf("main a: %+v", m)
				}
			case outside:
				if m.MainInCorporation || len(m.Alts) != 1 || m.Alts[0].CharacterID != ms[2] || !m.Alts[0].InCorporation {
					t.Errorf("main b: %+v", m)
				}
			default:
				t.Errorf("unexpected main %d", m.CharacterID)
			}
		}
		if u := rep.UnregisteredMembers(); len(u) != len(ms)-3 || slices.ContainsFunc(u, func(m corpstats.Member) bool { return m.AccountID != 0 }) {
			t.Errorf("unregistered list: %d", len(u))
		}
		if f := rep.Filter(rep.Mains[0].Name); len(f.Mains) == 0 || len(f.Members) == 0 {
			t.Errorf("search by a main's name found %d mains, %d members", len(f.Mains), len(f.Members))
		}

		// Within the cache time: nothing asked.
		h.reset()
		r, err := h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Fresh || h.esiCalls() != 0 {
			t.Fatalf("update within the cache time: %v, %v, %d calls", r.Outcome, err, h.esiCalls())
		}
		// A member leaves in game; after the cache time, one read sees it.
		if err := h.sim.Universe.MoveCharacter(ms[3], other); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(2 * time.Hour)
		r, err = h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Read || r.Members != len(ms)-1 {
			t.Fatalf("update after expiry: %v, %v, %d members, want %d", r.Outcome, err, r.Members, len(ms)-1)
		}
		if n := h.membersCalls(corp); n != 1 {
			t.Errorf("members read %d times, want 1", n)
		}
		if n := h.count("POST /universe/names"); n != 0 {
			t.Errorf("names asked again for known members: %d calls", n)
		}
	})
}

// Bad input stores nothing: a character of another account, one without a
// token with the scope, a second Corp Stats of a corporation, a token ESI
// refuses (its character left the corporation in game).
func TestAddRefuses(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 300)
		corps := h.playerCorps(t, 3)
		ms := h.members(t, corps[0])
		acc := h.account(t, ms[0], ms[1])
		other := h.account(t, ms[2])
		h.token(t, ms[0], membersLogin, scope)
		h.token(t, ms[1], "other", "publicData")
		h.token(t, ms[2], membersLogin, scope)

		if _, err := h.cs.Add(ctx, acc, ms[2]); !errors.Is(err, corpstats.ErrNotYours) {
			t.Errorf("another's character: %v", err)
		}
		if _, err := h.cs.Add(ctx, acc, 99999999); !errors.Is(err, corpstats.ErrNotYours) {
			t.Errorf("an unknown character: %v", err)
		}
		if _, err := h.cs.Add(ctx, acc, ms[1]); !errors.Is(err, corpstats.ErrNoToken) {
			t.Errorf("without the scope: %v", err)
		}
		// Keepstar still has it in the corporation; ESI says it left.
		if err := h.sim.Universe.MoveCharacter(ms[0], corps[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.cs.Add(ctx, acc, ms[0]); !errors.Is(err, corpstats.ErrRefused) {
			t.Errorf("a character who left: %v", err)
		}
		if _, err := corpstats.Get(ctx, h.db, corps[0]); !errors.Is(err, corpstats.ErrNotFound) {
			t.Errorf("stored after a refusal: %v", err)
		}
		if _, err := h.cs.Add(ctx, other, ms[2]); err != nil {
			t.Fatal(err)
		}
		if err := h.sim.Universe.MoveCharacter(ms[0], corps[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := h.cs.Add(ctx, acc, ms[0]); !errors.Is(err, corpstats.ErrExists) {
			t.Errorf("a second Corp Stats: %v", err)
		}
	})
}

// One data set: while member tracking holds a current read of the
// corporation, adding and updating its Corp Stats ask ESI nothing and show
// tracking's members; once tracking has read again (newer than the Corp
// Stats' data), an update takes that, still without a call.
func TestSharesTrackingData(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 300)
		corp := h.playerCorps(t, 4)[0]
		ms := h.members(t, corp)
		co, err := h.sim.Universe.Corporation(corp)
		if err != nil {
			t.Fatal(err)
		}
		dir := co.CEOID
		h.director(t, dir)
		if _, err := h.tr.Update(ctx); err != nil {
			t.Fatal(err)
		}
		adder := ms[0]
		if adder == dir {
			adder = ms[1]
		}
		acc := h.account(t, adder)
		h.token(t, adder, membersLogin, scope)

		h.reset()
		s, err := h.cs.Add(ctx, acc, adder)
		if err != nil {
			t.Fatal(err)
		}
		if n := h.esiCalls(); n != 0 {
			t.Errorf("adding a tracked corporation made %d ESI calls, want 0", n)
		}
		if s.Source != corpstats.SourceTracking {
			t.Errorf("source %q, want tracking", s.Source)
		}
		rep, err := corpstats.Build(ctx, h.db, s)
		if err != nil || len(rep.Members) != len(ms) {
			t.Fatalf("%d members, %v; want %d", len(rep.Members), err, len(ms))
		}
		var stored int
		if err := h.db.QueryRow(ctx, `SELECT COUNT(*) FROM corpstats_members WHERE corporation_id = $1`, corp).Scan(&stored); err != nil || stored != 0 {
			t.Errorf("a second copy of the list: %d rows, %v", stored, err)
		}
		if r, err := h.cs.Update(ctx, corp); err != nil || r.Outcome != corpstats.Fresh || h.esiCalls() != 0 {
			t.Errorf("update: %v, %v, %d calls", r.Outcome, err, h.esiCalls())
		}
		// Tracking reads again after its cache time; Corp Stats follows.
		h.clock.Advance(2 * time.Hour)
		if _, err := h.tr.Update(ctx); err != nil {
			t.Fatal(err)
		}
		h.reset()
		r, err := h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Shared || h.esiCalls() != 0 {
			t.Fatalf("after tracking's new read: %v, %v, %d ESI calls", r.Outcome, err, h.esiCalls())
		}
		// Tracking's read expires and is not renewed (its director gone):
		// Corp Stats reads on its own, once.
		if _, err := h.db.Exec(ctx, `DELETE FROM eve_tokens WHERE character_id = $1 AND login = 'core.tracking'`, dir); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(2 * time.Hour)
		h.reset()
		r, err = h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Read || h.membersCalls(corp) != 1 || r.Stats.Source != corpstats.SourceESI {
			t.Fatalf("tracking stale: %v, %v, %d member calls, source %q", r.Outcome, err, h.membersCalls(corp), r.Stats.Source)
		}
	})
}

// A failing token is replaced by another member's (of another account);
// when none reads, the last members stay, the error is recorded and the
// adder told once; a good read clears the error.
func TestTokenFallback(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 300)
		corps := h.playerCorps(t, 4)
		corp := corps[0]
		ms := h.members(t, corp)
		acc := h.account(t, ms[0])
		h.account(t, ms[1])
		h.token(t, ms[0], membersLogin, scope)
		h.token(t, ms[1], membersLogin, scope)
		if _, err := h.cs.Add(ctx, acc, ms[0]); err != nil {
			t.Fatal(err)
		}
		// The adder's character leaves the corporation in game.
		if err := h.sim.Universe.MoveCharacter(ms[0], corps[1]); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(2 * time.Hour)
		r, err := h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Read || r.Stats.CharacterID != ms[1] {
			t.Fatalf("fallback: %v, %v, read by %d, want %d", r.Outcome, err, r.Stats.CharacterID, ms[1])
		}
		before := r.Members
		// The other token turns invalid too: nothing reads.
		if _, err := h.db.Exec(ctx, `UPDATE eve_tokens SET validity = 'invalid' WHERE character_id = $1`, ms[1]); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			h.clock.Advance(2 * time.Hour)
			r, err = h.cs.Update(ctx, corp)
			if err != nil || r.Outcome != corpstats.Failed || r.Stats.Error == "" || r.Stats.ErrorAt == nil {
				t.Fatalf("no token: %v, %v, %+v", r.Outcome, err, r.Stats)
			}
		}
		rep, err := corpstats.Build(ctx, h.db, r.Stats)
		if err != nil || len(rep.Members) != before {
			t.Errorf("members kept: %d, %v; want %d", len(rep.Members), err, before)
		}
		var notes int
		if err := h.db.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND title_key = 'corpstats.notice.title'`, acc).Scan(&notes); err != nil || notes != 1 {
			t.Errorf("adder told %d times, %v; want once", notes, err)
		}
		// A valid token again: the error goes.
		if _, err := h.db.Exec(ctx, `UPDATE eve_tokens SET validity = 'valid' WHERE character_id = $1`, ms[1]); err != nil {
			t.Fatal(err)
		}
		r, err = h.cs.Update(ctx, corp)
		if err != nil || r.Outcome != corpstats.Read || r.Stats.Error != "" || r.Stats.NotifiedAt != nil {
			t.Fatalf("recovered: %v, %v, %+v", r.Outcome, err, r.Stats)
		}
	})
}
