package universe

import (
	"sync"
	"time"
)

// Clock is the universe's time: a base clock (the wall clock, or a fixed
// instant in tests) moved forward by an offset, so a demo, the control API or
// a test can make codes expire or caches go stale without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	wall   func() time.Time
}

// NewClock gives a clock that follows wall (time.Now when nil). Tests pass a
// function returning a fixed instant and move it with Advance.
func NewClock(wall func() time.Time) *Clock {
	if wall == nil {
		wall = time.Now
	}
	return &Clock{wall: wall}
}

// Now gives the simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall().Add(c.offset)
}

// Advance moves the clock forward by d (never back).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}
