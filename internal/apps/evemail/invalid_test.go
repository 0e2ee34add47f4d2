package evemail_test

import (
	"context"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

const (
	ourCorp     = 98000001
	ourAlliance = 99000001
	otherCorp   = 98000002
)

// The invalid-token mail goes once per account, to its main (else to its
// first character with an invalid token), for the configured alliances and
// corporations only, never to managed accounts; it goes again only after
// all the account's tokens were valid once more.
func TestInvalidTokenMail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		// A main with a valid token and an alt with an invalid one, in
		// the corporation.
		_, a := h.account(t, false, character{main: true, corporation: ourCorp, valid: true}, character{corporation: otherCorp})
		// No main: the first character with an invalid token, matched
		// through the alliance.
		_, b := h.account(t, false, character{corporation: otherCorp, valid: true}, character{corporation: otherCorp, alliance: ourAlliance},
			character{corporation: otherCorp})
		// Managed: never.
		_, managed := h.account(t, true, character{main: true, corporation: ourCorp})
		// Outside the configured entities: never.
		_, outside := h.account(t, false, character{main: true, corporation: otherCorp})
		// All valid: nothing to say.
		_, fine := h.account(t, false, character{main: true, corporation: ourCorp, valid: true})

		// Inactive: nothing queued.
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 0 {
			t.Fatalf("inactive pass: %d, %v", n, err)
		}
		h.set(t, map[string]string{"evemail.invalid_active": "true", "evemail.invalid_corporations": "98000001",
			"evemail.invalid_alliances": "99000001", "evemail.invalid_subject": "Token", "evemail.invalid_body": "Log in again."})
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 2 {
			t.Fatalf("first pass: %d queued, %v; want 2", n, err)
		}
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 0 {
			t.Fatalf("second pass: %d queued, %v; want none (once per account)", n, err)
		}
		h.deliverAll(t)
		for who, want := range map[int32]int{a[0]: 1, a[1]: 0, b[0]: 0, b[1]: 1, b[2]: 0, managed[0]: 0, outside[0]: 0, fine[0]: 0} {
			got := h.received(t, who)
			if len(got) != want {
				t.Errorf("character %d received %d mails, want %d", who, len(got), want)
			}
			if len(got) == 1 && (got[0].From != h.sender || got[0].Subject != "Token" || got[0].Body != "Log in again.") {
				t.Errorf("character %d received %+v", who, got[0])
			}
		}

		// The alt logs in again: all valid, the flag is reset; nothing is
		// sent. Its token lost again: mailed again.
		h.token(t, a[1], logins.Default, "publicData")
		if n, reset, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 0 || reset != 1 {
			t.Fatalf("after the token is valid again: %d queued, %d reset, %v; want 0 and 1", n, reset, err)
		}
		if err := h.tokens.MarkInvalid(ctx, h.db, a[1], logins.Default); err != nil {
			t.Fatal(err)
		}
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 1 {
			t.Fatalf("after the token is lost again: %d queued, %v; want 1", n, err)
		}
		h.deliverAll(t)
		if got := h.received(t, a[0]); len(got) != 2 {
			t.Errorf("the main received %d mails, want 2", len(got))
		}
	})
}
