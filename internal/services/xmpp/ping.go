package xmpp

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/keepstar/keepstar/internal/services"
)

// pingWorkers is how many messages of a ping are in flight at once. On
// the real ejabberd (2 cores shared with the test) one at a time already
// sends 5,000 in 2.1 s, 16 in 1.9 s, 32 in 1.5 s (docs/performance.md):
// the bound keeps a ping from taking every core of a server its members
// are chatting on, at a cost of fractions of a second.
const pingWorkers = 16

// Pinging is the connector of an instance whose server can send a message
// to chosen members (ejabberd): the group pings' Pinger.
type Pinging struct{ *Connector }

// Ping sends message to each of the given service accounts of this
// instance (a chat message from the instance's sender), and reports how
// many the service accepted. A message the server refuses is counted out
// and the others go on; the service out of reach stops the ping with
// services.ErrUnavailable and the count so far.
func (c *Pinging) Ping(ctx context.Context, to []services.Account, message string) (delivered int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		n     atomic.Int64
		once  sync.Once
		first error
		wg    sync.WaitGroup
	)
	jobs := make(chan string)
	for range min(pingWorkers, len(to)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for jid := range jobs {
				err := c.b.send(ctx, jid, message)
				switch {
				case err == nil:
					n.Add(1)
				case errors.Is(err, errNotDelivered):
					c.logger.WarnContext(ctx, "xmpp: a ping was not taken", "to", jid, "error", err)
				default:
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, a := range to {
		if a.ExternalName == "" {
			continue
		}
		select {
		case jobs <- a.ExternalName:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return int(n.Load()), first
}
