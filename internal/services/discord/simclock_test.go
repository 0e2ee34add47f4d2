package discord

import (
	"context"
	"slices"
	"sync"
	"time"
)

// simClock is simulated time for tests with many goroutines: time stands
// still while any worker runs, and moves to the earliest wake-up once every
// worker sleeps (or has left). A request sent to the simulator therefore
// arrives at the instant it was reserved, as over a fast network, and no
// goroutine's sleep carries another's request into a later window. With no
// workers joined, every sleep moves the clock at once.
type simClock struct {
	mu       sync.Mutex
	t        time.Time
	running  int
	sleepers []*sleeper
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

func newSimClock() *simClock { return &simClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// join counts n workers running; each calls leave when it is done.
func (c *simClock) join(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running += n
}

func (c *simClock) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running--
	c.advanceLocked()
}

func (c *simClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	s := &sleeper{until: c.t.Add(d), wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.running--
	c.advanceLocked()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		if i := slices.Index(c.sleepers, s); i >= 0 {
			c.sleepers = slices.Delete(c.sleepers, i, i+1)
			c.running++
		}
		return ctx.Err()
	}
}

// advanceLocked moves the clock to the earliest wake-up and wakes every
// sleeper due, once nobody runs.
func (c *simClock) advanceLocked() {
	if c.running > 0 || len(c.sleepers) == 0 {
		return
	}
	next := c.sleepers[0].until
	for _, s := range c.sleepers[1:] {
		if s.until.Before(next) {
			next = s.until
		}
	}
	if next.After(c.t) {
		c.t = next
	}
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s *sleeper) bool {
		if s.until.After(c.t) {
			return false
		}
		close(s.wake)
		c.running++
		return true
	})
}
