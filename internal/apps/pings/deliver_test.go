package pings

import (
	"context"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
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
