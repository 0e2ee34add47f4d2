package pings

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
)

// DeliverArgs is the job sending one ping over one service instance.
type DeliverArgs struct {
	Delivery int64 `json:"delivery"`
}

// Kind names the job in the queue.
func (DeliverArgs) Kind() string { return "ping_deliver" }

// deliverOpts: a job that fails to record its outcome is tried again (the
// delivery's status keeps it from sending twice); a few attempts suffice.
func deliverOpts() *river.InsertOpts { return &river.InsertOpts{MaxAttempts: 5} }

// deliverTimeout bounds one delivery: a ping to thousands over XMPP takes
// seconds, a Discord channel waits at most half a minute for its limit.
const deliverTimeout = 5 * time.Minute

// maxError bounds the error recorded for a delivery.
const maxError = 500

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	p *Pings
}

func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return deliverTimeout }

func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.p.deliver(ctx, job.Args.Delivery)
}

// deliver sends a ping over one instance and records the outcome. A
// delivery already begun is not sent again: a job interrupted while
// sending (the process stopped) may have reached some members, and a
// second copy to all is worse than a record saying it was cut short.
func (p *Pings) deliver(ctx context.Context, id int64) error {
	ok, err := start(ctx, p.db, id)
	if err != nil {
		return err
	}
	ping, d, err := delivery(ctx, p.db, id)
	if errors.Is(err, errNoDelivery) {
		return nil // deleted meanwhile: nothing to do
	}
	if err != nil {
		return err
	}
	if !ok {
		if d.Status != StatusSending {
			return nil // done already
		}
		d.Status, d.Error = StatusFailed, "interrupted while sending; not sent again"
		d.Failed = max(d.Recipients-d.Delivered, 0)
		d.DoneAt = p.now().UTC()
		return finish(ctx, p.db, d)
	}
	sendErr := p.send(ctx, ping, &d)
	d.DoneAt = p.now().UTC()
	d.Status = StatusSent
	if sendErr != nil {
		d.Status, d.Error = StatusFailed, clip(sendErr.Error())
		p.logger.WarnContext(ctx, "ping not delivered to all", "ping", ping.ID, "delivery", d.ID, "instance", d.Instance,
			"recipients", d.Recipients, "delivered", d.Delivered, "error", sendErr)
	} else {
		p.logger.InfoContext(ctx, "ping delivered", "ping", ping.ID, "delivery", d.ID, "instance", d.Instance,
			"recipients", d.Recipients, "delivered", d.Delivered)
	}
	// Recorded even when the job's time ran out: the sending is over.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return finish(rctx, p.db, d)
}

// send does one delivery, filling in its counts.
func (p *Pings) send(ctx context.Context, ping Ping, d *Delivery) error {
	if d.InstanceID == 0 {
		return errors.New("the service was deleted")
	}
	_, conn, err := p.services.Connector(ctx, d.InstanceID)
	if err != nil {
		if d.Kind == KindChannel {
			d.Recipients, d.Failed = 1, 1
		}
		return err
	}
	switch d.Kind {
	case KindChannel:
		d.Recipients = 1
		a, ok := conn.(Announcer)
		if !ok {
			d.Failed = 1
			return errors.New("the service no longer posts pings")
		}
		if err := a.Announce(ctx, ping.Message); err != nil {
			d.Failed = 1
			return err
		}
		d.Delivered = 1
		return nil
	default:
		pinger, ok := conn.(Pinger)
		if !ok {
			return errors.New("the service no longer sends pings")
		}
		accounts, err := members(ctx, p.db, ping.Groups)
		if err != nil {
			return err
		}
		to, err := p.services.ActiveAccounts(ctx, d.InstanceID, accounts)
		if err != nil {
			return err
		}
		d.Recipients = len(to)
		if len(to) == 0 {
			return nil
		}
		n, err := pinger.Ping(ctx, to, ping.Message)
		d.Delivered = min(max(n, 0), len(to))
		d.Failed = len(to) - d.Delivered
		if err == nil && d.Failed > 0 {
			err = fmt.Errorf("%d of %d recipients not reached", d.Failed, len(to))
		}
		return err
	}
}

// clip bounds an error's text for the record.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxError {
		return s
	}
	return string([]rune(s)[:maxError]) + "…"
}
