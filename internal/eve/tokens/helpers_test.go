package tokens

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/evesimtest"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/store"
)

const (
	callback = "http://127.0.0.1:9/sso/callback"
	purpose  = "eve tokens"
)

var someScopes = []string{"esi-location.read_location.v1", "esi-mail.read_mail.v1"}

// env is a simulated EVE on a real port, a database and a Store, all on one
// clock that tests move forward.
type env struct {
	t      *testing.T
	sim    *evesim.Sim
	base   string
	clock  *universe.Clock
	client *sso.Client
	db     *store.DB
	key    []byte
	box    *secrets.Box
	store  *Store

	// refreshes counts the refresh_token grants that reached the SSO.
	refreshes atomic.Int64
	// down makes the SSO's token endpoint answer 503.
	down atomic.Bool
}

func newEnv(t *testing.T, db *store.DB, rotate bool) *env {
	t.Helper()
	e := &env{t: t, db: db, key: make([]byte, 32),
		clock: universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })}
	rand.Read(e.key)
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/oauth/token") {
			if e.down.Load() {
				http.Error(w, `{"error":"server_error"}`, http.StatusServiceUnavailable)
				return
			}
			if r.ParseForm() == nil && r.PostForm.Get("grant_type") == "refresh_token" {
				e.refreshes.Add(1)
			}
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	sim, err := evesim.New(evesim.Options{
		BaseURL: ts.URL, Seed: 7, Characters: 40, RotateRefreshTokens: rotate, Issuer: simsso.IssuerEVE,
		Clients: []simsso.Client{{ID: "app", Secret: "app-secret", Callback: callback}},
		Clock:   e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = sim
	e.sim, e.base = sim, ts.URL
	e.client = e.newClient()
	if e.box, err = secrets.New(e.key, purpose); err != nil {
		t.Fatal(err)
	}
	e.store = NewStore(db, e.box, e.clock.Now)
	return e
}

// newClient is an SSO client on the simulator and the test's clock, as a
// keepstar process would have.
func (e *env) newClient() *sso.Client {
	c, err := sso.New(sso.Config{BaseURL: e.base, ClientID: "app", ClientSecret: "app-secret", RedirectURL: callback, Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// process is a second keepstar process on the same database: its own
// Store, SSO client and Source.
func (e *env) process() *Source {
	return NewSource(NewStore(e.db, e.box, e.clock.Now), e.newClient(), SourceOptions{})
}

func (e *env) character(i int) int32 { return e.sim.Universe.CharacterIDs()[i] }

// login runs the authorization code flow with the SSO client, using the
// simulator's character_id shortcut in place of the player's clicks.
func (e *env) login(characterID int32, scopes []string) sso.Token {
	e.t.Helper()
	return evesimtest.Login(e.t, e.client, characterID, scopes...)
}

// save logs the character in and stores its token, as the login flow will.
func (e *env) save(characterID int32, login string, scopes []string) sso.Token {
	e.t.Helper()
	tok := e.login(characterID, scopes)
	if res, err := e.store.Save(context.Background(), e.db, tok, login); err != nil || res.Kept {
		e.t.Fatalf("save: %+v, %v", res, err)
	}
	return tok
}

func (e *env) get(characterID int32, login string) Token {
	e.t.Helper()
	got, err := e.store.Get(context.Background(), characterID, login)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// expire moves the clock to 30 s before a fresh token's expiry, inside the
// minute Source keeps in hand.
func (e *env) expire() { e.clock.Advance(simsso.AccessTokenLifetime - 30*time.Second) }

// rawColumns gives every column of every row of eve_tokens as text, read
// without this package's code, whatever columns the schema has.
func rawColumns(t *testing.T, db *store.DB) []string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM pragma_table_info('eve_tokens')`
	if db.Dialect() == config.Postgres {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'eve_tokens'`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cols) < 10 {
		t.Fatalf("columns %v, err %v", cols, err)
	}
	rows, err = db.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM eve_tokens")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, fmt.Sprint(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertNotAtRest fails if any 16-character piece of a secret appears in
// any column of eve_tokens.
func assertNotAtRest(t *testing.T, db *store.DB, secrets ...string) {
	t.Helper()
	cols := rawColumns(t, db)
	for _, s := range secrets {
		if len(s) < 16 {
			t.Fatalf("secret of %d characters is too short to check", len(s))
		}
		for i := 0; i+16 <= len(s); i++ {
			for _, c := range cols {
				if strings.Contains(c, s[i:i+16]) {
					t.Fatalf("a token's characters %d..%d are stored in plain text", i, i+16)
				}
			}
		}
	}
}

// refresherFunc adapts a function to Refresher.
type refresherFunc func(ctx context.Context, refreshToken string) (sso.Token, error)

func (f refresherFunc) Refresh(ctx context.Context, refreshToken string) (sso.Token, error) {
	return f(ctx, refreshToken)
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
