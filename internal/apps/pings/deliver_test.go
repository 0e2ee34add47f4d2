package pings

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestDeliverOnce: a delivery is sent once. Its job run again after it
// was sent does nothing; a job that finds it begun (the process stopped
// while sending) records it as failed without sending again.
func TestDeliverOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, d config.Dialect) {
		ctx := context.Background()
		p, inst, group, calls := setUp(t, d, 3)
		sender := Sender{AccountID: 1, Name: "Pilot 0", All: true}
		ping, err := p.Send(ctx, sender, Request{Groups: []int64{group, group}, Message: "Form up", Instance: inst.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ping.Groups) != 1 || len(ping.Deliveries) != 1 {
			t.Fatalf("ping %+v: a group twice is one group", ping)
		}
		id := ping.Deliveries[0].ID
		for range 2 {
			if err := p.deliver(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		_, got, err := delivery(ctx, p.db, id)
		if err != nil || got.Status != StatusSent || got.Recipients != 3 || got.Delivered != 3 || calls.Load() != 1 {
			t.Fatalf("after two runs: %+v, %d calls (%v)", got, calls.Load(), err)
		}

		ping, err = p.Send(ctx, sender, Request{Groups: []int64{group}, Message: "Again", Instance: inst.ID})
		if err != nil {
			t.Fatal(err)
		}
		id = ping.Deliveries[0].ID
		if _, err := p.db.Exec(ctx, `UPDATE ping_deliveries SET status = 'sending' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if err := p.deliver(ctx, id); err != nil {
			t.Fatal(err)
		}
		_, got, err = delivery(ctx, p.db, id)
		if err != nil || got.Status != StatusFailed || got.Error == "" || got.DoneAt.IsZero() || calls.Load() != 1 {
			t.Fatalf("an interrupted delivery: %+v, %d calls (%v)", got, calls.Load(), err)
		}
		// A job for a delivery that no longer exists ends quietly.
		if err := p.deliver(ctx, 999999); err != nil {
			t.Errorf("a missing delivery: %v", err)
		}
	})
}

// TestSendLimits: 1,500 characters of message, and 2,000 with the "sent
// by" line (a Discord message's limit), counted in characters.
func TestSendLimits(t *testing.T) {
	ctx := context.Background()
	p, inst, group, _ := setUp(t, config.SQLite, 1)
	sender := Sender{AccountID: 1, Name: "Pilot 0", All: true}
	req := Request{Groups: []int64{group}, Message: strings.Repeat("語", MaxMessage), Instance: inst.ID}
	ping, err := p.Send(ctx, sender, req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ping.Message, req.Message+"\n\n##### SENT BY Pilot 0 TO Fleet WHEN ") || !strings.HasSuffix(ping.Message, " UTC #####") {
		t.Errorf("composed %q", ping.Message[len(req.Message):])
	}
	var invalid *i18n.InvalidError
	req.Message += "x"
	if _, err := p.Send(ctx, sender, req); !errors.As(err, &invalid) || invalid.Problems[0].Message.ID != "pings.error.too_long" {
		t.Errorf("1,501 characters: %v", err)
	}
	req.Message = strings.Repeat("a", MaxMessage)
	sender.Name = strings.Repeat("n", 500)
	if _, err := p.Send(ctx, sender, req); !errors.As(err, &invalid) || invalid.Problems[0].Message.ID != "pings.error.too_long_composed" {
		t.Errorf("over 2,000 with the line: %v", err)
	}
	sender = Sender{AccountID: 999999, Name: "Pilot 0"} // only the groups one is in: none
	if _, err := p.Send(ctx, sender, Request{Groups: []int64{group}, Message: "x", Instance: inst.ID}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a group one is not in: %v", err)
	}
}
