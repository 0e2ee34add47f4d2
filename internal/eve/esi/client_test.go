package esi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const membership = "esi-corporations.read_corporation_membership.v1"

// A public answer is served from the database until Expires without asking
// ESI, then revalidated with its ETag: the 304 serves the cached body and
// pushes Expires forward.
func TestCacheUntilExpiresThenRevalidates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		id := e.sim.Universe.CharacterIDs()[5]
		path := "GET /characters/" + strconv.Itoa(int(id))
		want, err := e.sim.Universe.Character(id)
		if err != nil {
			t.Fatal(err)
		}

		first, err := c.Character(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if first.Name != want.Name || first.CorporationID != want.CorporationID {
			t.Fatalf("character = %+v, want name %q corporation %d", first, want.Name, want.CorporationID)
		}
		res, err := c.Get(ctx, Request{Route: "GET /characters/{character_id}", Path: "/characters/" + strconv.Itoa(int(id))})
		if err != nil {
			t.Fatal(err)
		}
		if !res.FromCache || res.Revalidated || e.count(path) != 1 {
			t.Fatalf("second read: FromCache %v Revalidated %v, %d requests; want from cache with 1 request", res.FromCache, res.Revalidated, e.count(path))
		}
		if !res.Expires.Equal(testStart.Add(24 * time.Hour)) {
			t.Errorf("Expires = %v, want a day after %v (the route's cache age)", res.Expires, testStart)
		}

		e.clock.Advance(24*time.Hour + time.Second)
		res, err = c.Get(ctx, Request{Route: "GET /characters/{character_id}", Path: "/characters/" + strconv.Itoa(int(id))})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Revalidated || !res.FromCache || e.count(path) != 2 || e.status(http.StatusNotModified) != 1 {
			t.Fatalf("after Expires: Revalidated %v, %d requests, %d 304s; want one revalidation answered 304",
				res.Revalidated, e.count(path), e.status(http.StatusNotModified))
		}
		again, err := c.Character(ctx, id)
		if err != nil || again != first {
			t.Fatalf("body after 304 = %+v, %v; want %+v", again, err, first)
		}
		if e.count(path) != 2 {
			t.Errorf("the 304 did not refresh Expires: %d requests", e.count(path))
		}

		// A change in the universe shows after the next expiry.
		var corp int32
		for _, other := range e.sim.Universe.CharacterIDs() {
			if ch, err := e.sim.Universe.Character(other); err == nil && ch.CorporationID != want.CorporationID {
				corp = ch.CorporationID
				break
			}
		}
		if err := e.sim.Universe.MoveCharacter(id, corp); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(24*time.Hour + time.Second)
		moved, err := c.Character(ctx, id)
		if err != nil || moved.CorporationID != corp {
			t.Fatalf("after the move: %+v, %v; want corporation %d", moved, err, corp)
		}

		n, err := c.cfg.Cache.DeleteExpired(ctx, e.clock.Now().Add(48*time.Hour), time.Hour)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpired = %d, %v; want the one entry", n, err)
		}
	})
}

// An authenticated call carries a token from a real simulated login; 403,
// 404 and 401 come back typed and are never retried; a token source's
// error comes back wrapped.
func TestAuthenticatedAndTypedErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		u := e.sim.Universe
		me, err := u.Character(u.CharacterIDs()[0])
		if err != nil {
			t.Fatal(err)
		}
		e.login(t, me.ID, membership)

		members, err := c.CorporationMembers(ctx, me.CorporationID, me.ID, "core")
		if err != nil {
			t.Fatal(err)
		}
		wantMembers, _ := u.Members(me.CorporationID)
		if len(members) != len(wantMembers) || !contains(members, me.ID) {
			t.Fatalf("members = %v, want %v", members, wantMembers)
		}

		var other int32
		for _, id := range u.CorporationIDs() {
			if id != me.CorporationID && u.MemberCount(id) > 0 {
				other = id
				break
			}
		}
		route := "GET /corporations/" + strconv.Itoa(int(other)) + "/members"
		_, err = c.CorporationMembers(ctx, other, me.ID, "core")
		var se *StatusError
		if !errors.Is(err, ErrForbidden) || !errors.As(err, &se) || se.Message == "" || e.count(route) != 1 {
			t.Fatalf("another corporation: %v (%d requests), want ErrForbidden with ESI's message, asked once", err, e.count(route))
		}

		if _, err := c.Character(ctx, 2_100_000_000); !errors.Is(err, ErrNotFound) || e.count("GET /characters/2100000000") != 1 {
			t.Fatalf("unknown character: %v after %d requests, want ErrNotFound asked once", err, e.count("GET /characters/2100000000"))
		}

		e.toks.set(me.ID, "not-a-token")
		route = "GET /corporations/" + strconv.Itoa(int(me.CorporationID)) + "/members"
		_, err = c.Get(ctx, Request{Route: "GET /corporations/{corporation_id}/members", Path: "/corporations/" + strconv.Itoa(int(me.CorporationID)) + "/members",
			CharacterID: me.ID, Login: "other-login"})
		if !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("bad token: %v, want ErrTokenInvalid", err)
		}
		before := e.count(route)
		if _, err := c.CorporationMembers(ctx, me.CorporationID, u.CharacterIDs()[1], "core"); !errors.Is(err, errNoLogin) || e.count(route) != before {
			t.Fatalf("no token: %v, want the token source's error and no request", err)
		}
	})
}

// Server errors are retried with backoff until success; a run of them
// longer than the attempts fails with the status; 4xx are never retried.
func TestServerErrorsRetried(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		ids := e.sim.Universe.CharacterIDs()
		if err := e.sim.ESI.FailNext("GET /characters/{character_id}", http.StatusServiceUnavailable, 2); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Character(ctx, ids[0]); err != nil {
			t.Fatalf("after two 503s: %v", err)
		}
		if n := e.count("GET /characters/" + strconv.Itoa(int(ids[0]))); n != 3 {
			t.Errorf("%d requests, want 3", n)
		}
		if w := e.sleep.recorded(); len(w) != 2 || w[0] != time.Second || w[1] != 2*time.Second {
			t.Errorf("backoff waits %v, want [1s 2s]", w)
		}

		if err := e.sim.ESI.FailNext("GET /characters/{character_id}", 520, 5); err != nil {
			t.Fatal(err)
		}
		_, err := c.Character(ctx, ids[1])
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 520 || e.count("GET /characters/"+strconv.Itoa(int(ids[1]))) != 3 {
			t.Fatalf("five 520s: %v after %d requests, want a 520 StatusError after 3", err, e.count("GET /characters/"+strconv.Itoa(int(ids[1]))))
		}

		if _, err := c.Post(ctx, Request{Route: "POST /universe/names", Path: "/universe/names", Body: []int32{ids[2], ids[2]}}); err == nil {
			t.Fatal("repeated ids: no error")
		} else if !errors.As(err, &se) || se.Status != http.StatusBadRequest || e.count("POST /universe/names") != 1 {
			t.Fatalf("400: %v after %d requests, want one request", err, e.count("POST /universe/names"))
		}
	})
}

func contains(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
