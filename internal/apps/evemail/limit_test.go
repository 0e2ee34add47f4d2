package evemail_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/evemail"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// More mails queued than the limit allows: four go out, the fifth's job
// is told to wait until the first frees its slot, and they all go out as
// time passes; the simulated EVE server, which refuses a fifth within a
// minute, never has to.
func TestMailLimit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		h.set(t, map[string]string{"evemail.invalid_subject": "Test"})
		to := h.next()
		for range 6 {
			if _, err := h.mailer.SendTest(ctx, evemail.KindInvalidToken, to, "Pilot"); err != nil {
				t.Fatal(err)
			}
		}
		ids := h.queued(t)
		for i, id := range ids[:4] {
			if err := h.mailer.Deliver(ctx, id); err != nil {
				t.Fatalf("mail %d: %v", i, err)
			}
			h.clock.Advance(10 * time.Second)
		}
		// 40 s after the first: it frees its slot in 20 s.
		var wait *evemail.WaitError
		if err := h.mailer.Deliver(ctx, ids[4]); !errors.As(err, &wait) || wait.For != 20*time.Second || wait.SnoozeFor() != wait.For {
			t.Fatalf("fifth mail: %v; want to wait 20s", err)
		}
		h.clock.Advance(20 * time.Second)
		if err := h.mailer.Deliver(ctx, ids[4]); err != nil {
			t.Fatalf("fifth mail after the wait: %v", err)
		}
		if err := h.mailer.Deliver(ctx, ids[5]); !errors.As(err, &wait) || wait.For != 10*time.Second {
			t.Fatalf("sixth mail: %v; want to wait 10s", err)
		}
		h.clock.Advance(10 * time.Second)
		if err := h.mailer.Deliver(ctx, ids[5]); err != nil {
			t.Fatalf("sixth mail after the wait: %v", err)
		}
		if got := h.received(t, to); len(got) != 6 {
			t.Fatalf("%d mails received, want 6", len(got))
		}
		log, err := h.mailer.Log(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range log {
			if m.Status != evemail.StatusSent || m.EVEMailID == 0 || m.SenderID != h.sender {
				t.Errorf("mail %d: %+v", m.ID, m)
			}
		}
		// A job run again for a mail sent does nothing.
		if err := h.mailer.Deliver(ctx, ids[0]); err != nil || len(h.received(t, to)) != 6 {
			t.Errorf("a sent mail's job again: %v", err)
		}
	})
}

// A recipient with a CSPA charge: ESI refuses (520 ContactCostNotApproved),
// Keepstar approves no cost, and the refusal is recorded; an
// invalid-token mail so refused keeps its account's flag (it would be
// refused again).
func TestCSPARefusalRecorded(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		account, chars := h.account(t, false, character{main: true, corporation: ourCorp})
		h.control(t, "PUT", fmt.Sprintf("/control/characters/%d/cspa", chars[0]), `{"charge":10000}`, nil)
		h.set(t, map[string]string{"evemail.invalid_active": "true", "evemail.invalid_corporations": "98000001",
			"evemail.invalid_subject": "Token"})
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 1 {
			t.Fatalf("pass: %d, %v", n, err)
		}
		h.deliverAll(t)
		log, err := h.mailer.Log(ctx, 10)
		if err != nil || len(log) != 1 {
			t.Fatalf("log %+v, %v", log, err)
		}
		if m := log[0]; m.Status != evemail.StatusRefusedCSPA || m.Error != "ContactCostNotApproved" || m.AccountID != account || m.RecipientID != chars[0] {
			t.Errorf("refused mail recorded as %+v", m)
		}
		if got := h.received(t, chars[0]); len(got) != 0 {
			t.Errorf("received %d mails through a CSPA charge", len(got))
		}
		if n, _, err := h.mailer.InvalidTokenPass(ctx); err != nil || n != 0 {
			t.Errorf("pass after the refusal: %d queued, %v; want none", n, err)
		}
	})
}

// Many send jobs at once, as workers of several processes run them: only
// four take a slot within the minute, whatever the interleaving; the
// others are told to wait.
func TestMailLimitUnderConcurrentJobs(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		to := h.next()
		for range 10 {
			if _, err := h.mailer.SendTest(ctx, evemail.KindMissingCharacter, to, "Pilot"); err != nil {
				t.Fatal(err)
			}
		}
		// A second mailer over the same database: another process.
		other := evemail.NewMailer(h.deps)
		ids := h.queued(t)
		errs := make(chan error, len(ids))
		for i, id := range ids {
			m := h.mailer
			if i%2 == 1 {
				m = other
			}
			go func() { errs <- m.Deliver(ctx, id) }()
		}
		sent, waiting := 0, 0
		for range ids {
			var wait *evemail.WaitError
			switch err := <-errs; {
			case err == nil:
				sent++
			case errors.As(err, &wait):
				waiting++
			default:
				t.Errorf("deliver: %v", err)
			}
		}
		if sent != evemail.Limit || waiting != len(ids)-evemail.Limit {
			t.Errorf("%d sent and %d told to wait, want %d and %d", sent, waiting, evemail.Limit, len(ids)-evemail.Limit)
		}
		if got := h.received(t, to); len(got) != evemail.Limit {
			t.Errorf("%d mails received within the minute, want %d", len(got), evemail.Limit)
		}
	})
}

// Another program mailing with the same character: Keepstar's own count
// lets a mail through, the EVE server refuses it (520 MailStopSpamming);
// the mail goes back to the queue, its job waits a minute, then it goes.
func TestEVEServerLimitRequeues(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		h := newHarness(t, d)
		to := h.next()
		for range 5 {
			if _, err := h.mailer.SendTest(ctx, evemail.KindInvalidToken, to, "Pilot"); err != nil {
				t.Fatal(err)
			}
		}
		ids := h.queued(t)
		for _, id := range ids[:4] {
			if err := h.mailer.Deliver(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		// Those four were another program's: Keepstar does not count them.
		if _, err := h.db.Exec(ctx, `UPDATE evemail_mails SET attempted_at = NULL`); err != nil {
			t.Fatal(err)
		}
		var wait *evemail.WaitError
		if err := h.mailer.Deliver(ctx, ids[4]); !errors.As(err, &wait) || wait.For != evemail.Window {
			t.Fatalf("a mail the EVE server refuses: %v; want to wait a minute", err)
		}
		if q := h.queued(t); len(q) != 1 || q[0] != ids[4] {
			t.Fatalf("queued after the refusal: %v", q)
		}
		h.clock.Advance(evemail.Window)
		if err := h.mailer.Deliver(ctx, ids[4]); err != nil {
			t.Fatalf("after a minute: %v", err)
		}
		if got := h.received(t, to); len(got) != 5 {
			t.Errorf("%d received, want 5", len(got))
		}
	})
}
