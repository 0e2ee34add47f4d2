package teamspeak3

import (
	"context"
	"sync"
	"time"
)

// Limiter keeps a session's commands within the server's anti-flood rule
// for callers not on its allowlist: at most N commands in any Window (10
// in 3 s by default). It is exact rather than padded: a command is sent
// only once the one N commands before it was answered at least Window
// ago. The server counted that one when it arrived, before its answer, so
// it has left the server's window by the time the new one arrives, however
// long the network took: the rule is never broken and no time is given
// away beyond one round trip per N commands.
//
// The server counts per address, so the sessions of one Keepstar process
// to one server (several virtual servers, an instance's settings saved
// while its old connector finishes) share a Limiter: a command holds it
// from Wait to Done, one at a time.
type Limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	done   []time.Time // when the last n commands were answered, oldest first
	waited time.Duration
}

// NewLimiter makes a limiter of n commands per window; now and sleep are
// the clock (nil: real time).
func NewLimiter(n int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	return &Limiter{n: max(n, 1), window: window, now: now, sleep: sleep}
}

// Wait returns when the next command may be sent, holding the limiter
// until Done; on an error it is not held.
func (l *Limiter) Wait(ctx context.Context) error {
	l.mu.Lock()
	if len(l.done) < l.n {
		return nil
	}
	d := l.done[len(l.done)-l.n].Add(l.window).Sub(l.now())
	if d <= 0 {
		return nil
	}
	l.waited += d
	if err := l.sleep(ctx, d); err != nil {
		l.mu.Unlock()
		return err
	}
	return nil
}

// Done records that the command Wait let through was answered (or failed
// on the way), and lets the next one wait.
func (l *Limiter) Done() {
	l.done = append(l.done, l.now())
	if len(l.done) > l.n {
		l.done = append(l.done[:0], l.done[len(l.done)-l.n:]...)
	}
	l.mu.Unlock()
}

// Waited is the time spent waiting so far.
func (l *Limiter) Waited() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waited
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
