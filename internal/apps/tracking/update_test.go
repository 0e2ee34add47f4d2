package tracking_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const membertracking = "GET /corporations/%d/membertracking"

// The stored members follow the universe: a first pass stores every
// member with names; within the cache period nothing is asked again; after
// it, a logon, and a member who left, show.
func TestUpdateFollowsTheUniverse(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 300)
		u := h.sim.Universe
		corp := h.playerCorps(t)[0]
		h.addDirector(t, corp)
		want, err := u.Members(corp)
		if err != nil {
			t.Fatal(err)
		}
		r, err := h.t.Update(ctx)
		if err != nil || r.Corporations != 1 || r.Failed != 0 || r.Members != len(want) {
			t.Fatalf("first pass: %+v, %v; want 1 corporation of %d members", r, err, len(want))
		}
		ms, err := tracking.Members(ctx, h.db, corp, tracking.Filter{Sort: "name"}, h.clock.Now())
		if err != nil || len(ms) != len(want) {
			t.Fatalf("members: %d, %v; want %d", len(ms), err, len(want))
		}
		for _, m := range ms {
			c, _ := u.Character(m.CharacterID)
			if m.Name != c.Name || m.ShipTypeID != c.ShipTypeID || m.ShipTypeName == "" {
				t.Fatalf("member %+v, universe has %+v", m, c)
			}
		}

		// Within the cache period: no call at all.
		h.reset()
		if r, err := h.t.Update(ctx); err != nil || r.Skipped != 1 || r.Corporations != 0 || h.total.Load() != 0 {
			t.Fatalf("second pass: %+v, %v, %d calls; want skipped without a call", r, err, h.total.Load())
		}

		// A logon and a member leaving, an hour later.
		var online, leaver int32
		for _, id := range want {
			if c, _ := u.Character(id); c.ID != corpCEO(t, h, corp) && online == 0 {
				online = id
			} else if c.ID != corpCEO(t, h, corp) && leaver == 0 {
				leaver = id
			}
		}
		if err := u.SetOnline(online, false); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Minute)
		if err := u.SetOnline(online, true); err != nil {
			t.Fatal(err)
		}
		other := h.playerCorps(t)[1]
		if err := u.MoveCharacter(leaver, other); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Hour + time.Minute)
		h.reset()
		if r, err := h.t.Update(ctx); err != nil || r.Corporations != 1 || r.Members != len(want)-1 {
			t.Fatalf("third pass: %+v, %v; want %d members", r, err, len(want)-1)
		}
		if n := h.count("GET /corporations/" + itoa(corp) + "/membertracking"); n != 1 {
			t.Fatalf("%d membertracking calls, want 1", n)
		}
		if n := h.count("POST /universe/names"); n != 0 {
			t.Fatalf("%d names calls for nothing new, want 0", n)
		}
		ms, err = tracking.Members(ctx, h.db, corp, tracking.Filter{}, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(ms, func(m tracking.Member) bool { return m.CharacterID == leaver }) {
			t.Fatal("the member who left is still listed")
		}
		c, _ := u.Character(online)
		if ms[0].CharacterID != online || ms[0].LogonAt == nil || !ms[0].LogonAt.Equal(c.LastLogin) {
			t.Fatalf("first by logon: %+v, want %d logged on at %s", ms[0], online, c.LastLogin)
		}
	})
}

// Members moving between tracked corporations, read in the same pass
// several at a time, end up in their new corporation only, however the
// reads interleave; names already known are not asked again.
func TestUpdateMovesBetweenTrackedCorporations(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 600)
		u := h.sim.Universe
		corps := h.playerCorps(t)[:6]
		for _, c := range corps {
			h.addDirector(t, c)
		}
		if r, err := h.t.Update(ctx); err != nil || r.Corporations != len(corps) || r.Failed != 0 {
			t.Fatalf("first pass: %+v, %v", r, err)
		}
		// Every corporation gives two members (not its CEO) to the next,
		// the last to the first: each pass both takes members in and
		// lets some go.
		for i, c := range corps {
			ms, err := u.Members(c)
			if err != nil {
				t.Fatal(err)
			}
			moved := 0
			for _, id := range ms {
				if id != corpCEO(t, h, c) && moved < 2 {
					if err := u.MoveCharacter(id, corps[(i+1)%len(corps)]); err != nil {
						t.Fatal(err)
					}
					moved++
				}
			}
		}
		for turn := range 3 {
			h.clock.Advance(time.Hour + time.Minute)
			if r, err := h.t.Update(ctx); err != nil || r.Corporations != len(corps) || r.Failed != 0 {
				t.Fatalf("pass %d: %+v, %v", turn, r, err)
			}
			for _, c := range corps {
				want, err := u.Members(c)
				if err != nil {
					t.Fatal(err)
				}
				ms, err := tracking.Members(ctx, h.db, c, tracking.Filter{}, h.clock.Now())
				if err != nil {
					t.Fatal(err)
				}
				got := make([]int32, len(ms))
				for i, m := range ms {
					got[i] = m.CharacterID
					if m.Name == "" {
						t.Errorf("corporation %d: member %d has no name", c, m.CharacterID)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("pass %d, corporation %d: stored %v, universe %v", turn, c, got, want)
				}
			}
		}
	})
}

func corpCEO(t *testing.T, h *harness, corp int32) int32 {
	co, err := h.sim.Universe.Corporation(corp)
	if err != nil {
		t.Fatal(err)
	}
	return co.CEOID
}

// A director's token refused by ESI (the roles lost in game) records the
// error, keeps the members stored before, and asks again next pass; the
// corporation's other director is tried in turn.
func TestUpdateRecordsErrorsAndKeepsMembers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 200)
		u := h.sim.Universe
		corp := h.playerCorps(t)[0]
		ceo := h.addDirector(t, corp)
		r, err := h.t.Update(ctx)
		if err != nil || r.Corporations != 1 {
			t.Fatalf("first pass: %+v, %v", r, err)
		}
		if err := u.SetRoles(ceo, nil); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(2 * time.Hour)
		if r, err := h.t.Update(ctx); err != nil || r.Failed != 1 {
			t.Fatalf("refused pass: %+v, %v; want one failed", r, err)
		}
		c, err := tracking.CorporationByID(ctx, h.db, corp)
		if err != nil || c.Error == "" || c.Members != r.Members {
			t.Fatalf("corporation %+v, %v; want an error and the %d members kept", c, err, r.Members)
		}
		members, _ := u.Members(corp)
		second := members[0]
		if second == ceo {
			second = members[1]
		}
		h.addDirectorCharacter(t, corp, second)
		if r, err := h.t.Update(ctx); err != nil || r.Corporations != 1 || r.Failed != 0 {
			t.Fatalf("pass with a second director: %+v, %v", r, err)
		}
		if c, err := tracking.CorporationByID(ctx, h.db, corp); err != nil || c.Error != "" || c.DirectorID != second {
			t.Fatalf("corporation %+v, %v; want read by %d without error", c, err, second)
		}
	})
}

// The page's filters beyond the API's: a registered member without a
// token is "invalid or missing", a search finds a character by part of
// its name or of its main's, and sorting by name runs both ways.
func TestMembersFilters(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d, 200)
		u := h.sim.Universe
		corp := h.playerCorps(t)[0]
		ceo := h.addDirector(t, corp)
		if _, err := h.t.Update(ctx); err != nil {
			t.Fatal(err)
		}
		members, _ := u.Members(corp)
		var other int32
		for _, id := range members {
			if id != ceo {
				other = id
				break
			}
		}
		c, _ := u.Character(other)
		h.addAccount(t, other, c.Name, corp) // registered, no core.default token
		now := h.clock.Now()
		bad, err := tracking.Members(ctx, h.db, corp, tracking.Filter{Token: "bad"}, now)
		if err != nil {
			t.Fatal(err)
		}
		// The director has only a core.tracking token: both lack core.default.
		var ids []int32
		for _, m := range bad {
			ids = append(ids, m.CharacterID)
			if m.Token != tracking.TokenNone || m.AccountID == 0 || m.MainName == "" {
				t.Errorf("bad token member %+v", m)
			}
		}
		slices.Sort(ids)
		want := []int32{ceo, other}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("invalid or missing token: %v, want %v", ids, want)
		}
		part := c.Name[1 : len(c.Name)-1]
		found, err := tracking.Members(ctx, h.db, corp, tracking.Filter{Search: strings.ToUpper(part)}, now)
		if err != nil || !slices.ContainsFunc(found, func(m tracking.Member) bool { return m.CharacterID == other }) {
			t.Errorf("search %q: %d found, %v", part, len(found), err)
		}
		asc, _ := tracking.Members(ctx, h.db, corp, tracking.Filter{Sort: "name"}, now)
		desc, _ := tracking.Members(ctx, h.db, corp, tracking.Filter{Sort: "name", Desc: true}, now)
		if len(asc) != len(members) || len(desc) != len(asc) || asc[0].CharacterID != desc[len(desc)-1].CharacterID {
			t.Errorf("sorting by name: %d and %d members", len(asc), len(desc))
		}
		if !slices.IsSortedFunc(asc, func(a, b tracking.Member) int { return strings.Compare(a.Name, b.Name) }) && d == config.SQLite {
			t.Error("not sorted by name")
		}
	})
}
