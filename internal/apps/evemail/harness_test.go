package evemail_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/eve/tokens"
	"github.com/keepstar/keepstar/internal/evesim"
	simsso "github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
	"github.com/keepstar/keepstar/internal/jobs"
	"github.com/keepstar/keepstar/internal/secrets"
	"github.com/keepstar/keepstar/internal/settings"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// harness is the mailer as the application builds it, over a fresh
// database and the simulated EVE: the real ESI client and token source,
// the simulator's clock driving both the mailer and the EVE server's mail
// limit, so that tests move time instead of sleeping.
type harness struct {
	db     *store.DB
	sim    *evesim.Sim
	simURL string
	clock  *universe.Clock
	tokens *tokens.Store
	values *settings.Store
	mailer *evemail.Mailer
	deps   evemail.Deps
	esi    *esi.Client
	sender int32
	used   int
}

const (
	harnessClient   = "keepstar-evemail"
	harnessCallback = "http://127.0.0.1:9/sso/callback"
)

var harnessKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newHarness(t *testing.T, d config.Dialect) *harness {
	t.Helper()
	ctx := context.Background()
	// The clock stands still but for the tests' Advance.
	start := time.Now().UTC().Truncate(time.Second)
	h := &harness{db: storetest.Open(t, d), clock: universe.NewClock(func() time.Time { return start })}
	if _, err := jobs.Migrate(ctx, h.db, nil); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(ctx, h.db, jobs.NewRegistry(), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	h.simURL = ts.URL
	h.sim, err = evesim.New(evesim.Options{BaseURL: ts.URL, Seed: 7, Characters: 60, Issuer: simsso.IssuerEVE, Clock: h.clock,
		SigningKey: harnessKey(), Clients: []simsso.Client{{ID: harnessClient, Secret: "secret", Callback: harnessCallback}}})
	if err != nil {
		t.Fatal(err)
	}
	handler = h.sim
	key := make([]byte, 32)
	rand.Read(key)
	box, err := secrets.New(key, tokens.SecretPurpose)
	if err != nil {
		t.Fatal(err)
	}
	h.tokens = tokens.NewStore(h.db, box, h.clock.Now)
	client, err := sso.New(sso.Config{BaseURL: ts.URL, ClientID: harnessClient, ClientSecret: "secret", RedirectURL: harnessCallback})
	if err != nil {
		t.Fatal(err)
	}
	esiClient, err := esi.New(esi.Config{BaseURL: ts.URL, UserAgent: "keepstar-test", Cache: esi.NewCache(h.db, 0),
		Gate: esi.NewGate(h.db, esi.GateOptions{}), ClientID: harnessClient, Now: h.clock.Now,
		Tokens: tokens.NewSource(h.tokens, client, tokens.SourceOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	h.esi = esiClient
	h.values = settings.NewStore(h.db, settings.NewRegistry(evemail.Settings), nil, 0)
	h.deps = evemail.Deps{DB: h.db, ESI: esiClient, Settings: h.values, Queue: q, Members: evemail.TrackedMembers{DB: h.db}, Now: h.clock.Now}
	h.mailer = evemail.NewMailer(h.deps)

	// The sender: a character with a core.mail token, chosen.
	h.sender = h.next()
	h.token(t, h.sender, logins.Mail, "esi-mail.send_mail.v1")
	if _, err := h.mailer.SetSender(ctx, h.sender, 0); err != nil {
		t.Fatal(err)
	}
	return h
}

// next is a simulated character not used yet.
func (h *harness) next() int32 {
	id := h.sim.Universe.CharacterIDs()[h.used]
	h.used++
	return id
}

// token stores a token of the simulated SSO for a character and login.
func (h *harness) token(t *testing.T, id int32, login string, scopes ...string) {
	t.Helper()
	u := h.sim.Universe
	c, err := u.Character(id)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := h.sim.SSO.IssueRefreshToken(harnessClient, id, scopes)
	if err != nil {
		t.Fatal(err)
	}
	tok := sso.Token{AccessToken: "placeholder", RefreshToken: rt, Expiry: time.Now().Add(-time.Minute),
		Claims: sso.Claims{CharacterID: id, Name: c.Name, Owner: u.OwnerHash(c), Scopes: scopes}}
	if _, err := h.tokens.Save(context.Background(), h.db, tok, login); err != nil {
		t.Fatal(err)
	}
}

// character is one of an account's characters as a test makes it.
type character struct {
	main        bool
	corporation int32
	alliance    int32
	valid       bool
}

// account makes an account (managed or standard) with characters, each
// with a core.default token valid or not; it gives the account and the
// characters' ids.
func (h *harness) account(t *testing.T, managed bool, chars ...character) (int64, []int32) {
	t.Helper()
	ctx := context.Background()
	status := "standard"
	if managed {
		status = "managed"
	}
	now := time.Now().UTC()
	var account int64
	if err := h.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
		VALUES ('x', $1, TRUE, FALSE, '', '', $2, $2) RETURNING id`, status, now).Scan(&account)
	}); err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, c := range chars {
		id := h.next()
		ids = append(ids, id)
		ch, _ := h.sim.Universe.Character(id)
		var corp, alliance any
		if c.corporation != 0 {
			corp = c.corporation
		}
		if c.alliance != 0 {
			alliance = c.alliance
		}
		if _, err := h.db.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, alliance_id, created_at)
			VALUES ($1, $2, $3, 'hash', $4, $5, $6, $7)`, id, account, ch.Name, c.main, corp, alliance, now); err != nil {
			t.Fatal(err)
		}
		h.token(t, id, logins.Default, "publicData")
		if !c.valid {
			if err := h.tokens.MarkInvalid(ctx, h.db, id, logins.Default); err != nil {
				t.Fatal(err)
			}
		}
	}
	return account, ids
}

// set changes settings.
func (h *harness) set(t *testing.T, changes map[string]string) {
	t.Helper()
	if err := h.values.Set(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
}

// queued lists the ids of the mails waiting, oldest first.
func (h *harness) queued(t *testing.T) []int64 {
	t.Helper()
	log, err := h.mailer.Log(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for i := len(log) - 1; i >= 0; i-- {
		if log[i].Status == evemail.StatusQueued {
			out = append(out, log[i].ID)
		}
	}
	return out
}

// deliverAll runs the send job of every mail waiting, as the queue would,
// and fails on any error.
func (h *harness) deliverAll(t *testing.T) {
	t.Helper()
	for _, id := range h.queued(t) {
		if err := h.mailer.Deliver(context.Background(), id); err != nil {
			t.Fatalf("deliver %d: %v", id, err)
		}
	}
}

// received is what the simulator's control API says a character received.
type received struct {
	From    int32  `json:"from"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

func (h *harness) received(t *testing.T, to int32) []received {
	t.Helper()
	var out []received
	h.control(t, "GET", fmt.Sprintf("/control/mails?to=%d", to), "", &out)
	return out
}

func (h *harness) control(t *testing.T, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.simURL+path, strings.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
}
