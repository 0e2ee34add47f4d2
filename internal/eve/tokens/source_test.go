package tokens

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

func wantRefreshes(t *testing.T, e *env, n int64) {
	t.Helper()
	if got := e.refreshes.Load(); got != n {
		t.Fatalf("%d refreshes reached the SSO, want %d", got, n)
	}
}

// lockUsers counts the goroutines holding or waiting for the process's lock
// of a token.
func lockUsers(s *Source, characterID int32, login string) int {
	s.locks.mu.Lock()
	defer s.locks.mu.Unlock()
	if l := s.locks.m[tokenKey{characterID, login}]; l != nil {
		return l.refs
	}
	return 0
}

// A fresh access token comes from the database; one about to expire is
// refreshed, and with rotation the new refresh token replaces the old,
// which is dead at the SSO.
func TestAccessTokenFreshThenRefreshed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(0)
		tok := e.save(id, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})

		for _, step := range []time.Duration{0, 18 * time.Minute} { // 2 minutes left is enough
			e.clock.Advance(step)
			if got, err := src.AccessToken(ctx, id, "core.default"); err != nil || got != tok.AccessToken {
				t.Fatalf("after %s: a new token or %v", step, err)
			}
		}
		wantRefreshes(t, e, 0)

		e.clock.Advance(90 * time.Second) // 30 s left: too little
		access, err := src.AccessToken(ctx, id, "core.default")
		if err != nil {
			t.Fatal(err)
		}
		wantRefreshes(t, e, 1)
		claims, err := e.client.ValidateAccessToken(ctx, access)
		if err != nil || access == tok.AccessToken || claims.CharacterID != id || !claims.Expires.After(e.clock.Now().Add(time.Minute)) {
			t.Fatalf("refreshed access token: %+v, %v", claims, err)
		}
		got := e.get(id, "core.default")
		if got.AccessToken != access || got.RefreshToken == tok.RefreshToken || !got.CheckedAt.Equal(e.clock.Now()) ||
			!got.AccessExpiry.Equal(claims.Expires) || !got.Valid || !got.leaseUntil.IsZero() {
			t.Fatalf("stored after refresh: %+v", got)
		}
		if again, err := src.AccessToken(ctx, id, "core.default"); err != nil || again != access {
			t.Fatalf("second call: %v", err)
		}
		wantRefreshes(t, e, 1)
		if _, err := e.client.Refresh(ctx, tok.RefreshToken); !errors.Is(err, sso.ErrInvalidGrant) {
			t.Fatalf("the replaced refresh token still works: %v", err)
		}
	})
}

// Without rotation the SSO hands the same refresh token back, and it keeps
// working.
func TestRefreshWithoutRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, false)
		id := e.character(1)
		tok := e.save(id, "core.default", nil)
		src := NewSource(e.store, e.client, SourceOptions{})
		for i := range 3 {
			e.expire()
			if _, err := src.AccessToken(ctx, id, "core.default"); err != nil {
				t.Fatalf("refresh %d: %v", i, err)
			}
		}
		wantRefreshes(t, e, 3)
		if got := e.get(id, "core.default"); got.RefreshToken != tok.RefreshToken {
			t.Error("the refresh token changed without rotation")
		}
	})
}

// Twenty goroutines of one process asking at once for an expired token
// cause one refresh, and all get its token.
func TestConcurrentCallsRefreshOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(2)
		e.save(id, "core.default", someScopes)
		// The refresh starts only once all twenty wait on the process's lock
		// for the token; and none may wait on the lease instead (an hour's
		// poll would outlast the test).
		var src *Source
		gated := refresherFunc(func(ctx context.Context, refreshToken string) (sso.Token, error) {
			for lockUsers(src, id, "core.default") < 20 {
				if ctx.Err() != nil {
					return sso.Token{}, ctx.Err()
				}
				runtime.Gosched()
			}
			return e.client.Refresh(ctx, refreshToken)
		})
		src = NewSource(e.store, gated, SourceOptions{Poll: time.Hour})
		e.expire()

		got := make([]string, 20)
		errs := make([]error, 20)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() {
				<-start
				got[i], errs[i] = src.AccessToken(ctx, id, "core.default")
			})
		}
		close(start)
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] != got[0] {
				t.Fatalf("goroutine %d: %v (same token %t)", i, errs[i], got[i] == got[0])
			}
		}
		wantRefreshes(t, e, 1)
		if got[0] != e.get(id, "core.default").AccessToken {
			t.Error("the token handed out is not the stored one")
		}
	})
}

// Two processes over one database, with rotation: whoever loses the race
// waits for the winner's token instead of spending the refresh token too.
// One refresh per expiry, nobody marks the token invalid, all end with the
// same working token.
func TestTwoProcessesRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(3)
		e.save(id, "core.default", someScopes)
		procs := []*Source{e.process(), e.process()}
		for round := range 3 {
			e.expire()
			got := make([]string, 10)
			errs := make([]error, 10)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range got {
				wg.Go(func() {
					<-start
					got[i], errs[i] = procs[i%2].AccessToken(ctx, id, "core.default")
				})
			}
			close(start)
			wg.Wait()
			for i := range got {
				if errs[i] != nil || got[i] != got[0] {
					t.Fatalf("round %d, call %d: %v (same token %t)", round, i, errs[i], got[i] == got[0])
				}
			}
			wantRefreshes(t, e, int64(round+1))
			if _, err := e.client.ValidateAccessToken(ctx, got[0]); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if row := e.get(id, "core.default"); !row.Valid || row.AccessToken != got[0] {
				t.Fatalf("round %d: row valid %t, same token %t", round, row.Valid, row.AccessToken == got[0])
			}
		}
	})
}

// A process waits as long as another holds the lease, however many times it
// reads the row meanwhile, then takes the other's token.
func TestWaitsForAnotherProcessRefresh(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(10)
		e.save(id, "core.default", someScopes)
		waiter := e.process()
		var polls atomic.Int64
		enough := make(chan struct{})
		waiter.after = func(time.Duration) <-chan time.Time {
			if polls.Add(1) == 3*maxConflicts {
				close(enough)
			}
			now := make(chan time.Time, 1)
			now <- time.Time{}
			return now
		}
		var waited string
		var waitErr error
		done := make(chan struct{})
		slow := refresherFunc(func(rctx context.Context, refreshToken string) (sso.Token, error) {
			go func() { // on the test's ctx: rctx ends with this refresh
				defer close(done)
				waited, waitErr = waiter.AccessToken(ctx, id, "core.default")
			}()
			select {
			case <-enough:
			case <-done:
				return sso.Token{}, fmt.Errorf("the waiter gave up after %d polls: %v", polls.Load(), waitErr)
			}
			return e.client.Refresh(rctx, refreshToken)
		})
		e.expire()
		got, err := NewSource(NewStore(db, e.box, e.clock.Now), slow, SourceOptions{}).AccessToken(ctx, id, "core.default")
		if err != nil {
			t.Fatal(err)
		}
		<-done
		if waitErr != nil || waited != got {
			t.Fatalf("the waiter: %v (same token %t)", waitErr, waited == got)
		}
		wantRefreshes(t, e, 1)
	})
}

// A process whose lease ran out while its SSO call hung: another process
// takes over and rotates the refresh token, so the first one's call comes
// back invalid_grant. That is not a dead token: the first process sees the
// row changed, reads it again and uses the other's token.
func TestInvalidGrantForReplacedTokenIsNotDeath(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(4)
		e.save(id, "core.default", someScopes)
		other := e.process()
		var otherToken string
		var otherErr error
		slow := refresherFunc(func(ctx context.Context, refreshToken string) (sso.Token, error) {
			if otherToken == "" {
				e.clock.Advance(2 * time.Minute) // past the one-minute lease
				otherToken, otherErr = other.AccessToken(ctx, id, "core.default")
			}
			return e.client.Refresh(ctx, refreshToken)
		})
		src := NewSource(NewStore(db, e.box, e.clock.Now), slow, SourceOptions{})
		e.expire()
		got, err := src.AccessToken(ctx, id, "core.default")
		if otherErr != nil || err != nil {
			t.Fatalf("the other process: %v; this one: %v", otherErr, err)
		}
		if got != otherToken {
			t.Error("this process did not take the other's token")
		}
		wantRefreshes(t, e, 2) // the other's, then this one's refused
		if row := e.get(id, "core.default"); !row.Valid || !row.InvalidSince.IsZero() || row.AccessToken != got {
			t.Fatalf("row valid %t since %s", row.Valid, row.InvalidSince)
		}
	})
}

// A password change kills the refresh token: the token is marked invalid,
// with the time, and the SSO is not asked again until a new login.
func TestPasswordChangeInvalidates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(5)
		e.save(id, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})
		if err := e.sim.Universe.InvalidateTokens(id); err != nil {
			t.Fatal(err)
		}
		e.expire()
		if _, err := src.AccessToken(ctx, id, "core.default"); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("after a password change: %v, want ErrTokenInvalid", err)
		}
		wantRefreshes(t, e, 1)
		if row := e.get(id, "core.default"); row.Valid || !row.InvalidSince.Equal(e.clock.Now()) {
			t.Fatalf("row valid %t, invalid since %s", row.Valid, row.InvalidSince)
		}
		e.clock.Advance(time.Hour)
		for _, s := range []*Source{src, e.process()} {
			if _, err := s.AccessToken(ctx, id, "core.default"); !errors.Is(err, ErrTokenInvalid) {
				t.Fatalf("later: %v, want ErrTokenInvalid", err)
			}
		}
		wantRefreshes(t, e, 1)

		fresh := e.save(id, "core.default", someScopes)
		if got, err := src.AccessToken(ctx, id, "core.default"); err != nil || got != fresh.AccessToken {
			t.Fatalf("after a new login: %v", err)
		}
		if row := e.get(id, "core.default"); !row.Valid || !row.InvalidSince.IsZero() {
			t.Fatalf("after a new login: valid %t since %s", row.Valid, row.InvalidSince)
		}
	})
}

// An SSO answering 503 says nothing of the token: the error is not
// ErrTokenInvalid, the row stays valid, and once the SSO is back the next
// call refreshes at once (the lease was given back).
func TestSSODownKeepsTokenValid(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(6)
		e.save(id, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})
		e.expire()
		e.down.Store(true)
		for range 2 {
			_, err := src.AccessToken(ctx, id, "core.default")
			if err == nil || errors.Is(err, ErrTokenInvalid) || !errors.Is(err, sso.ErrUnavailable) {
				t.Fatalf("SSO down: %v, want ErrUnavailable", err)
			}
		}
		if row := e.get(id, "core.default"); !row.Valid || !row.leaseUntil.IsZero() {
			t.Fatalf("SSO down: row valid %t, lease until %s", row.Valid, row.leaseUntil)
		}
		e.down.Store(false)
		if _, err := src.AccessToken(ctx, id, "core.default"); err != nil {
			t.Fatalf("SSO back: %v", err)
		}
		wantRefreshes(t, e, 1)
	})
}

// What a character changing hands really does: EVE kills its refresh
// tokens, so the refresh fails with invalid_grant and the token is invalid;
// the new owner's login then shows the change in SaveResult.
func TestTransferInvalidatesThenLoginShowsNewOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(7)
		old := e.save(id, "core.default", someScopes)
		src := NewSource(e.store, e.client, SourceOptions{})
		if _, err := e.sim.Universe.TransferCharacter(id, 0); err != nil {
			t.Fatal(err)
		}
		e.expire()
		if _, err := src.AccessToken(ctx, id, "core.default"); !errors.Is(err, ErrTokenInvalid) {
			t.Fatalf("after a transfer: %v, want ErrTokenInvalid", err)
		}
		tok := e.login(id, someScopes)
		res, err := e.store.Save(ctx, db, tok, "core.default")
		if err != nil || res.Kept || res.PreviousOwner != old.Claims.Owner || !res.OwnerChanged(tok) {
			t.Fatalf("new owner's login: %+v, %v (old owner %s, new %s)", res, err, old.Claims.Owner, tok.Claims.Owner)
		}
		if got, err := src.AccessToken(ctx, id, "core.default"); err != nil || got != tok.AccessToken {
			t.Fatalf("after the new owner's login: %v", err)
		}
	})
}

// Should a refresh ever name another owner (EVE kills the tokens first, so
// the SSO is wrapped to fake one), the new token is stored and
// ErrOwnerChanged reported on every call, without asking the SSO, until a
// new login saves a token.
func TestRefreshWithNewOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := timeout(t)
		e := newEnv(t, db, true)
		id := e.character(8)
		old := e.save(id, "core.default", someScopes)
		var issued sso.Token
		newOwner := refresherFunc(func(ctx context.Context, refreshToken string) (sso.Token, error) {
			tok, err := e.client.Refresh(ctx, refreshToken)
			tok.Claims.Owner = "bm90IHRoZSBvbGQgb3duZXI="
			issued = tok
			return tok, err
		})
		src := NewSource(e.store, newOwner, SourceOptions{})
		e.expire()
		for range 2 {
			if _, err := src.AccessToken(ctx, id, "core.default"); !errors.Is(err, ErrOwnerChanged) {
				t.Fatalf("refresh with a new owner: %v, want ErrOwnerChanged", err)
			}
		}
		wantRefreshes(t, e, 1)
		row := e.get(id, "core.default")
		if row.OwnerHash != issued.Claims.Owner || row.PreviousOwnerHash != old.Claims.Owner ||
			row.RefreshToken != issued.RefreshToken || row.AccessToken != issued.AccessToken || !row.Valid {
			t.Fatalf("stored after an owner change: %+v", row)
		}
		tok := e.save(id, "core.default", someScopes)
		if got, err := src.AccessToken(ctx, id, "core.default"); err != nil || got != tok.AccessToken {
			t.Fatalf("after a new login: %v", err)
		}
		if row := e.get(id, "core.default"); row.PreviousOwnerHash != "" {
			t.Errorf("a new login left the owner change flagged")
		}
	})
}

// Asking for a token never stored says ErrNotFound, without the SSO.
func TestAccessTokenNotFound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, true)
		src := NewSource(e.store, e.client, SourceOptions{})
		if _, err := src.AccessToken(timeout(t), e.character(9), "core.default"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%v, want ErrNotFound", err)
		}
		wantRefreshes(t, e, 0)
	})
}
