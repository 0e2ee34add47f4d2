package discord

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestExchangeAndRevoke(t *testing.T) {
	w := newWorld(t, Options{ClientID: clientID, ClientSecret: secret})
	ctx := context.Background()
	tok, err := w.c.ExchangeCode(ctx, w.code(w.user.ID), callback)
	if err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.Scope != "identify guilds.join" {
		t.Fatalf("token %+v, %v", tok, err)
	}
	if h := w.lastHeader(); h.Get("Content-Type") != "application/x-www-form-urlencoded" || h.Get("Authorization") != "" {
		t.Fatalf("headers %v", h)
	}
	if _, err := w.c.CurrentUser(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	if err := w.c.RevokeToken(ctx, tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err = w.c.CurrentUser(ctx, tok.AccessToken)
	wantIs(t, err, ErrUnauthorized)
	// A code is good once.
	code := w.code(w.user.ID)
	if _, err := w.c.ExchangeCode(ctx, code, callback); err != nil {
		t.Fatal(err)
	}
	_, err = w.c.ExchangeCode(ctx, code, callback)
	wantIs(t, err, ErrInvalidGrant)
	var api *APIError
	if errors.As(err, &api); api.OAuth != "invalid_grant" || api.Message == "" || api.Status != 400 {
		t.Fatalf("error %+v", api)
	}
	bad := New(Options{BaseURL: w.srv.URL, ClientID: clientID, ClientSecret: "wrong", Now: w.clk.now, Sleep: w.clk.sleep})
	_, err = bad.ExchangeCode(ctx, w.code(w.user.ID), callback)
	wantIs(t, err, ErrUnauthorized)
	if _, err := New(Options{}).ExchangeCode(ctx, "c", callback); !errors.Is(err, errNoClient) {
		t.Fatalf("no client: %v", err)
	}
}

func TestBotUser(t *testing.T) {
	w := newWorld(t, Options{})
	u, err := w.c.BotUser(context.Background())
	if err != nil || u.ID != w.sim.BotUser().ID || !u.Bot {
		t.Fatalf("bot %+v, %v", u, err)
	}
}

// A wait longer than the caller allows is not slept: the limiter says how
// long the limit holds.
func TestWaitBeyondTheAllowedIsAnError(t *testing.T) {
	w := newWorld(t, Options{})
	w.sim.Force429(1, time.Minute)
	ctx := WithMaxWait(context.Background(), 10*time.Second)
	_, err := w.c.Guild(ctx, w.guild.ID)
	var wait *WaitError
	if !errors.As(err, &wait) || wait.After != time.Minute || w.clk.slept != 0 {
		t.Fatalf("err %v, slept %v", err, w.clk.slept)
	}
	// A deadline bounds it too (in real time, whatever the limiter's clock).
	dctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	w.sim.Force429(1, 2*time.Hour)
	w.clk.advance(time.Minute)
	if _, err := w.c.Guild(dctx, w.guild.ID); !errors.As(err, &wait) || wait.After != 2*time.Hour {
		t.Fatalf("err %v", err)
	}
	// Within the bound, it waits.
	w.clk.advance(2 * time.Hour)
	w.sim.Force429(1, 5*time.Second)
	var waited time.Duration
	w.c.o.Waited = func(d time.Duration) { waited += d }
	if _, err := w.c.Guild(ctx, w.guild.ID); err != nil || waited != 5*time.Second {
		t.Fatalf("err %v, waited %v", err, waited)
	}
}

func FuzzDecodeError(f *testing.F) {
	for _, s := range []string{`{"code":10007,"message":"Unknown Member"}`, `{"error":"invalid_grant","error_description":"x"}`,
		`{"code":50035,"message":"Invalid Form Body","errors":{"nick":{}}}`, `upstream connect error`, ``, `{"error":5}`, `null`, `{"code":1,"error":"x"}`} {
		f.Add(400, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		e := decodeError(status, data)
		if e.Status != status || e.Message == "" {
			t.Fatalf("decoded %+v", e)
		}
		_ = e.Error()
		if e.Code != 0 && e.OAuth != "" {
			t.Fatalf("both a code and an OAuth error: %+v", e)
		}
	})
}
