package corpstats_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/corpstats"
	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/notifications"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// harness is the feature's engine (and member tracking's, for the shared
// data) over a fresh database and a simulated EVE whose requests it
// counts: what the pages and the job do, without the web site.
type harness struct {
	db    *store.DB
	sim   *evesim.Sim
	clock *universe.Clock
	cs    *corpstats.CorpStats
	tr    *tracking.Tracking
	toks  *tokens.Store
	mu    sync.Mutex
	calls map[string]int
}

const (
	hClient   = "keepstar-corpstats"
	hCallback = "http://127.0.0.1:9/sso/callback"
	// membersLogin is the administrator's EVE login asking for the scope.
	membersLogin = "members"
)

var hKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newHarness(tb testing.TB, d config.Dialect, n int) *harness {
	tb.Helper()
	ctx := context.Background()
	h := &harness{calls: map[string]int{}}
	db, err := store.Open(ctx, storetest.Database(tb, d), 10)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.MigrateSchema(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	h.db = db
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.calls[r.Method+" "+r.URL.Path]++
		h.mu.Unlock()
		handler.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	h.clock = universe.NewClock(time.Now)
	h.sim, err = evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 11, Characters: n, Issuer: simsso.IssuerEVE,
		SigningKey: hKey(), Clock: h.clock,
		Clients: []simsso.Client{{ID: hClient, Secret: "secret", Callback: hCallback}}})
	if err != nil {
		tb.Fatal(err)
	}
	handler = h.sim
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secrets.New(key, tokens.SecretPurpose)
	if err != nil {
		tb.Fatal(err)
	}
	h.toks = tokens.NewStore(db, box, h.clock.Now)
	client, err := sso.New(sso.Config{BaseURL: ts.URL, ClientID: hClient, ClientSecret: "secret", RedirectURL: hCallback})
	if err != nil {
		tb.Fatal(err)
	}
	e, err := esi.New(esi.Config{BaseURL: ts.URL, UserAgent: "keepstar-test", Cache: esi.NewCache(db, 0),
		Gate: esi.NewGate(db, esi.GateOptions{}), ClientID: hClient, Now: h.clock.Now,
		Tokens: tokens.NewSource(h.toks, client, tokens.SourceOptions{})})
	if err != nil {
		tb.Fatal(err)
	}
	st := settings.NewStore(db, settings.NewRegistry(notifications.Settings), h.clock.Now, 0)
	h.cs = corpstats.NewCorpStats(corpstats.Deps{DB: db, ESI: e, Notify: notifications.NewStore(db, st, h.clock.Now), Now: h.clock.Now})
	h.tr = tracking.NewTracking(tracking.Deps{DB: db, ESI: e, Now: h.clock.Now})
	return h
}

// esiCalls counts the requests made to ESI, the SSO's (token refreshes)
// left out.
func (h *harness) esiCalls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for route, c := range h.calls {
		if !strings.Contains(route, "/oauth/") {
			n += c
		}
	}
	return n
}

func (h *harness) count(route string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[route]
}

func (h *harness) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = map[string]int{}
}

// account makes an account whose characters are chars (the first its
// main), each recorded in its corporation in the simulated universe.
func (h *harness) account(tb testing.TB, chars ...int32) int64 {
	tb.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	var acc int64
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
			VALUES ($1, 'standard', TRUE, FALSE, '', '', $2, $2) RETURNING id`, "acc-"+strconv.Itoa(int(chars[0])), now).Scan(&acc); err != nil {
			return err
		}
		for i, id := range chars {
			c, err := h.sim.Universe.Character(id)
			if err != nil {
				return err
			}
			var alliance *int64
			if a := h.sim.Universe.AllianceOf(c); a != 0 {
				v := int64(a)
				alliance = &v
			}
			if _, err := tx.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at)
				VALUES ($1, $2, $3, 'hash', $4, $5, $6, $7)`, id, acc, c.Name, i == 0, c.CorporationID, alliance, now); err != nil {
				return err
			}
			if err := h.directory(ctx, tx, c.CorporationID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return acc
}

// directory records a corporation (and its alliance) in Keepstar's
// directory, as the affiliations job does.
func (h *harness) directory(ctx context.Context, q store.Querier, corp int32) error {
	co, err := h.sim.Universe.Corporation(corp)
	if err != nil {
		return err
	}
	var alliance *int64
	if co.AllianceID != 0 {
		v := int64(co.AllianceID)
		alliance = &v
		al, err := h.sim.Universe.Alliance(co.AllianceID)
		if err != nil {
			return err
		}
		if _, err := q.Exec(ctx, `INSERT INTO eve_alliances (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING`, co.AllianceID, al.Name, al.Ticker, h.clock.Now()); err != nil {
			return err
		}
	}
	_, err = q.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, alliance_id, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, corp, co.Name, co.Ticker, alliance, h.clock.Now())
	return err
}

// token gives a character a valid token of login with scopes, as an EVE
// login would.
func (h *harness) token(tb testing.TB, id int32, login string, scopes ...string) {
	tb.Helper()
	u := h.sim.Universe
	c, err := u.Character(id)
	if err != nil {
		tb.Fatal(err)
	}
	rt, err := h.sim.SSO.IssueRefreshToken(hClient, id, scopes)
	if err != nil {
		tb.Fatal(err)
	}
	tok := sso.Token{AccessToken: "expired-" + strconv.Itoa(int(id)), RefreshToken: rt, Expiry: h.clock.Now().Add(-time.Hour),
		Claims: sso.Claims{CharacterID: id, Name: c.Name, Owner: u.OwnerHash(c), Scopes: scopes}}
	if _, err := h.toks.Save(context.Background(), h.db, tok, login); err != nil {
		tb.Fatal(err)
	}
}

// playerCorps lists the corporations whose CEO is a simulated character,
// with at least min members, the most members first.
func (h *harness) playerCorps(tb testing.TB, min int) []int32 {
	tb.Helper()
	u := h.sim.Universe
	var out []int32
	for _, id := range u.CorporationIDs() {
		co, err := u.Corporation(id)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := u.Character(co.CEOID); err == nil && u.MemberCount(id) >= min {
			out = append(out, id)
		}
	}
	slices.SortStableFunc(out, func(a, b int32) int { return u.MemberCount(b) - u.MemberCount(a) })
	if len(out) == 0 {
		tb.Fatalf("no player corporation of %d members", min)
	}
	return out
}

// members lists a corporation's members in the simulated universe.
func (h *harness) members(tb testing.TB, corp int32) []int32 {
	tb.Helper()
	ms, err := h.sim.Universe.Members(corp)
	if err != nil {
		tb.Fatal(err)
	}
	return ms
}

// director gives a character of corp the role Director, an account, and
// a core.tracking token, for member tracking to read corp.
func (h *harness) director(tb testing.TB, id int32) {
	tb.Helper()
	if err := h.sim.Universe.SetRoles(id, []string{"Director"}); err != nil {
		tb.Fatal(err)
	}
	h.account(tb, id)
	h.token(tb, id, logins.Tracking, "esi-corporations.track_members.v1", "esi-universe.read_structures.v1")
	if err := h.toks.SetHasRoles(context.Background(), h.db, id, logins.Tracking, true); err != nil {
		tb.Fatal(err)
	}
}

func itoa(id int32) string { return strconv.Itoa(int(id)) }
