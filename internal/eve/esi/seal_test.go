package esi

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const rolesScope = "esi-characters.read_corporation_roles.v1"

// cacheRows gives the cached bodies by whether they are sealed.
func cacheRows(t *testing.T, db *store.DB) (sealed, plain [][]byte) {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT body, sealed FROM esi_cache`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		var s bool
		if err := rows.Scan(&body, &s); err != nil {
			t.Fatal(err)
		}
		if s {
			sealed = append(sealed, body)
		} else {
			plain = append(plain, body)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sealed, plain
}

// The answer of an authenticated call is kept sealed and bound to its key,
// and opens only under the key that sealed it; public answers are kept as
// they came; a cache without a sealer keeps no authenticated answer.
func TestCacheSealsAuthenticatedAnswers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		me := e.sim.Universe.CharacterIDs()[3]
		e.login(t, me, rolesScope)
		rolesPath := "/characters/" + strconv.Itoa(int(me)) + "/roles"
		roles := Request{Route: "GET /characters/{character_id}/roles", Path: rolesPath, CharacterID: me, Login: "audit"}
		res, err := c.Get(ctx, roles)
		if err != nil || res.Status != 200 || !bytes.Contains(res.Body, []byte(`"roles"`)) {
			t.Fatalf("roles: %+v %v", res, err)
		}
		public := Request{Route: "GET /characters/{character_id}", Path: "/characters/" + strconv.Itoa(int(me))}
		pub, err := c.Get(ctx, public)
		if err != nil {
			t.Fatal(err)
		}

		sealed, plain := cacheRows(t, db)
		if len(sealed) != 1 || len(plain) != 1 {
			t.Fatalf("%d sealed rows, %d plain; want one each", len(sealed), len(plain))
		}
		if bytes.Contains(sealed[0], []byte("roles")) || bytes.Equal(sealed[0], res.Body) {
			t.Errorf("the authenticated answer is stored readable: %q", sealed[0])
		}
		if !bytes.Equal(plain[0], pub.Body) {
			t.Errorf("the public answer is stored as %q, want %q", plain[0], pub.Body)
		}
		if again, err := c.Get(ctx, roles); err != nil || !again.FromCache || !bytes.Equal(again.Body, res.Body) || e.count("GET "+rolesPath) != 1 {
			t.Errorf("again: %+v %v, %d requests; want the same body from the cache", again, err, e.count("GET "+rolesPath))
		}

		// Under another secret key the sealed answer does not open: ESI is
		// asked again, and the row resealed.
		other, err := secrets.New([]byte("another-secret-key-of-at-least-32-bytes"), SecretPurpose)
		if err != nil {
			t.Fatal(err)
		}
		c2 := e.client(t, nil)
		c2.cfg.Cache.SealWith(other)
		if res2, err := c2.Get(ctx, roles); err != nil || res2.FromCache || !bytes.Equal(res2.Body, res.Body) || e.count("GET "+rolesPath) != 2 {
			t.Errorf("under another key: %+v %v, %d requests; want a fresh answer", res2, err, e.count("GET "+rolesPath))
		}

		// A row in the clear (an earlier version's) is not served to an
		// authenticated call.
		if _, err := db.Exec(ctx, `UPDATE esi_cache SET body = $1, sealed = $2 WHERE sealed = $3`, res.Body, false, true); err != nil {
			t.Fatal(err)
		}
		if res3, err := c.Get(ctx, roles); err != nil || res3.FromCache || e.count("GET "+rolesPath) != 3 {
			t.Errorf("over a row in the clear: %+v %v; want a fresh answer", res3, err)
		}

		// Without a sealer, authenticated answers are not kept at all.
		if _, err := db.Exec(ctx, `DELETE FROM esi_cache`); err != nil {
			t.Fatal(err)
		}
		bare := e.client(t, nil)
		bare.cfg.Cache = NewCache(db, 0)
		for range 2 {
			if res, err := bare.Get(ctx, roles); err != nil || res.FromCache {
				t.Fatalf("without a sealer: %+v %v", res, err)
			}
		}
		if sealed, plain := cacheRows(t, db); len(sealed)+len(plain) != 0 || e.count("GET "+rolesPath) != 5 {
			t.Errorf("without a sealer: %d sealed and %d plain rows, %d requests; want none kept, every call asked",
				len(sealed), len(plain), e.count("GET "+rolesPath))
		}
	})
}

// An answer from the cache carries the headers ESI sent with it, and after
// a 304 those of the revalidation, as Neucore's HTTP cache replays them.
func TestCachedAnswerCarriesESIHeaders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		e := newEnv(t, db, 200)
		c := e.client(t, nil)
		ctx := context.Background()
		me := e.sim.Universe.CharacterIDs()[3]
		e.login(t, me, rolesScope)
		roles := Request{Route: "GET /characters/{character_id}/roles", Path: "/characters/" + strconv.Itoa(int(me)) + "/roles",
			CharacterID: me, Login: "audit"}
		fresh, err := c.Get(ctx, roles)
		if err != nil || fresh.FromCache {
			t.Fatalf("fresh: %+v %v", fresh, err)
		}
		names := []string{"Content-Type", "ETag", "Last-Modified", "Expires", "X-Ratelimit-Group", "X-Ratelimit-Limit",
			"X-Ratelimit-Remaining", "X-Ratelimit-Used"}
		for _, name := range names {
			if fresh.Header.Get(name) == "" {
				t.Fatalf("the simulator sent no %s: %v", name, fresh.Header)
			}
		}
		cached, err := c.Get(ctx, roles)
		if err != nil || !cached.FromCache {
			t.Fatalf("cached: %+v %v", cached, err)
		}
		for _, name := range names {
			if got, want := cached.Header.Values(name), fresh.Header.Values(name); !slices.Equal(got, want) {
				t.Errorf("from the cache %s = %q, want ESI's %q", name, got, want)
			}
		}
		if v := cached.Header.Get("X-Esi-Error-Limit-Remain"); v != "" {
			t.Errorf("the cache replays the error limit of the moment: %q", v)
		}

		// After Expires, the 304's headers: a new Expires and bucket state.
		e.clock.Advance(2 * time.Hour)
		e.login(t, me, rolesScope) // the access token lives 20 minutes
		revalidated, err := c.Get(ctx, roles)
		if err != nil || !revalidated.Revalidated {
			t.Fatalf("revalidated: %+v %v", revalidated, err)
		}
		if revalidated.Header.Get("Expires") == fresh.Header.Get("Expires") || revalidated.Header.Get("Content-Type") == "" {
			t.Errorf("after the 304: %v", revalidated.Header)
		}
		again, err := c.Get(ctx, roles)
		if err != nil || !again.FromCache || again.Revalidated {
			t.Fatalf("after the 304, cached: %+v %v", again, err)
		}
		for _, name := range []string{"Expires", "X-Ratelimit-Remaining", "ETag", "Content-Type"} {
			if got, want := again.Header.Get(name), revalidated.Header.Get(name); got != want {
				t.Errorf("from the cache after the 304, %s = %q, want the 304's %q", name, got, want)
			}
		}
	})
}
