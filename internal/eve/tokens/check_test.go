package tokens

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// A check refreshes a token whose access token is still fresh, stores the
// answer and gives the new access token; a second check since the same
// instant asks the SSO nothing, in this process or another.
func TestCheckRefreshesOncePerInstant(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(11)
		tok := e.save(id, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})

		// Checked at the login itself: nothing to do since then.
		if got, err := src.Check(ctx, id, "core.default", e.clock.Now()); err != nil || got != "" {
			t.Fatalf("check of a token saved at the instant: %v (token given %t)", err, got != "")
		}
		wantRefreshes(t, e, 0)

		e.clock.Advance(time.Minute) // the access token has 19 minutes left
		since := e.clock.Now()
		before := e.get(id, "core.default")
		access, err := src.Check(ctx, id, "core.default", since)
		if err != nil || access == "" || access == tok.AccessToken {
			t.Fatalf("check: %v (new token %t)", err, access != tok.AccessToken)
		}
		wantRefreshes(t, e, 1)
		row := e.get(id, "core.default")
		if row.AccessToken != access || row.RefreshToken == tok.RefreshToken || !row.CheckedAt.Equal(since) ||
			row.version != before.version+2 || !row.Valid || !row.leaseUntil.IsZero() {
			t.Fatalf("stored after the check: %+v, version %d after %d", row, row.version, before.version)
		}
		e.clock.Advance(time.Minute)
		for _, s := range []*Source{src, e.process()} {
			if got, err := s.Check(ctx, id, "core.default", since); err != nil || got != "" {
				t.Fatalf("second check since the same instant: %v (token given %t)", err, got != "")
			}
		}
		wantRefreshes(t, e, 1)
		if got, err := src.AccessToken(ctx, id, "core.default"); err != nil || got != access {
			t.Fatalf("access token after the check: %v", err)
		}
		wantRefreshes(t, e, 1)
	})
}

// Ten goroutines in each of two processes check one token with the same
// instant: the SSO is asked once, and every other check either waited for
// it and saw it done, or came after.
func TestConcurrentChecksRefreshOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(12)
		e.save(id, "core.default", someScopes)
		e.clock.Advance(time.Minute)
		since := e.clock.Now()
		procs := []*Source{e.process(), e.process()}
		got := make([]string, 20)
		errs := make([]error, 20)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				<-start
				got[i], errs[i] = procs[i%2].Check(ctx, id, "core.default", since)
			})
		}
		close(start)
		wg.Wait()
		refreshed := 0
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("check %d: %v", i, errs[i])
			}
			if got[i] != "" {
				refreshed++
			}
		}
		if refreshed != 1 {
			t.Errorf("%d checks gave a fresh token, want 1", refreshed)
		}
		wantRefreshes(t, e, 1)
		if row := e.get(id, "core.default"); !row.Valid || !slices.Contains(got, row.AccessToken) {
			t.Error("the stored token is not the one the check got")
		}
	})
}

// A check of a token EVE killed marks it invalid; a check of a token found
// invalid before answers so without the SSO, whatever the instant. An SSO
// that is down leaves the token valid, its lease given back.
func TestCheckOutcomes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		killed, flaky := e.character(13), e.character(14)
		e.save(killed, "core.default", someScopes)
		e.save(flaky, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})
		e.clock.Advance(time.Minute)
		since := e.clock.Now()

		if err := e.sim.Universe.InvalidateTokens(killed); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Check(ctx, killed, "core.default", since); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("check of a killed token: %v, want ErrTokenInvalid", err)
		}
		if row := e.get(killed, "core.default"); row.Valid || !row.InvalidSince.Equal(since) || !row.CheckedAt.Equal(since) {
			t.Fatalf("killed token: valid %t since %s checked %s", row.Valid, row.InvalidSince, row.CheckedAt)
		}
		wantRefreshes(t, e, 1)
		if _, err := src.Check(ctx, killed, "core.default", since.Add(time.Hour)); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("check of a token invalid before: %v, want ErrTokenInvalid", err)
		}
		wantRefreshes(t, e, 1)

		e.down.Store(true)
		_, err := src.Check(ctx, flaky, "core.default", since)
		if err == nil || errors.Is(err, ErrTokenInvalid) || !errors.Is(err, sso.ErrUnavailable) {
			t.Fatalf("check with the SSO down: %v, want ErrUnavailable", err)
		}
		if row := e.get(flaky, "core.default"); !row.Valid || !row.leaseUntil.IsZero() || !row.CheckedAt.Before(since) {
			t.Fatalf("SSO down: valid %t, lease until %s, checked %s", row.Valid, row.leaseUntil, row.CheckedAt)
		}
		e.down.Store(false)
		if got, err := src.Check(ctx, flaky, "core.default", since); err != nil || got == "" {
			t.Fatalf("SSO back: %v", err)
		}
		if _, err := src.Check(ctx, e.character(15), "core.default", since); !errors.Is(err, ErrNotFound) {
			t.Fatalf("check of no token: %v, want ErrNotFound", err)
		}
	})
}

// Due lists the valid tokens not checked since a time, oldest check first,
// as many as asked; CountValid counts the valid ones.
func TestDue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		var keys []Key
		for i := range 4 {
			id := e.character(20 + i)
			e.save(id, "core.default", someScopes)
			keys = append(keys, Key{id, "core.default"})
			e.clock.Advance(time.Minute)
		}
		e.save(keys[0].CharacterID, "srp", nil)
		srp := Key{keys[0].CharacterID, "srp"}
		if err := e.store.MarkInvalid(ctx, db, keys[1].CharacterID, "core.default"); err != nil {
			t.Fatal(err)
		}
		all, err := e.store.Due(ctx, e.clock.Now().Add(time.Second), 0)
		if want := []Key{keys[0], keys[2], keys[3], srp}; err != nil || !slices.Equal(all, want) {
			t.Fatalf("due: %v, %v; want %v", all, err, want)
		}
		some, err := e.store.Due(ctx, e.clock.Now().Add(time.Second), 2)
		if want := []Key{keys[0], keys[2]}; err != nil || !slices.Equal(some, want) {
			t.Fatalf("due, two: %v, %v; want %v", some, err, want)
		}
		// keys[2] was saved two minutes after the start, keys[3] three.
		old, err := e.store.Due(ctx, e.clock.Now().Add(-90*time.Second), 0)
		if want := []Key{keys[0], keys[2]}; err != nil || !slices.Equal(old, want) {
			t.Fatalf("due before: %v, %v; want %v", old, err, want)
		}
		if n, err := e.store.CountValid(ctx); err != nil || n != 4 {
			t.Fatalf("count: %d, %v; want 4", n, err)
		}
	})
}
