package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory counts in this process's memory: the counter of a site on SQLite,
// which one process serves, and of the per-address limit, which must cost no
// database work (it is there to shield the database from a flood).
//
// Windows that ended are swept once a minute. When MaxKeys windows are open
// at once even so (a flood from that many addresses inside one window), a
// new key is not remembered and each of its requests counts as the first of
// a window: the limit gives way rather than the memory.
type Memory struct {
	maxKeys int

	mu        sync.Mutex
	windows   map[string]memoryWindow
	nextSweep time.Time
}

type memoryWindow struct {
	start, end time.Time
	requests   int64
}

// DefaultMaxKeys bounds a Memory's windows to a few megabytes.
const DefaultMaxKeys = 100_000

// NewMemory makes a Memory keeping up to maxKeys windows; 0 means
// DefaultMaxKeys.
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Memory{maxKeys: maxKeys, windows: map[string]memoryWindow{}}
}

// sweepEvery is how often windows that ended are dropped.
const sweepEvery = time.Minute

// Hit implements Counter.
func (m *Memory) Hit(_ context.Context, key string, window time.Duration, now time.Time) (Window, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !now.Before(m.nextSweep) {
		m.sweep(now)
	}
	w, ok := m.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(m.windows) >= m.maxKeys {
			if m.sweep(now); len(m.windows) >= m.maxKeys {
				return Window{Start: now, Requests: 1}, nil
			}
		}
		w = memoryWindow{start: now, end: now.Add(window)}
	}
	w.requests++
	m.windows[key] = w
	return Window{Start: w.start, Requests: w.requests}, nil
}

// sweep drops the windows that ended; m.mu is held.
func (m *Memory) sweep(now time.Time) {
	for k, w := range m.windows {
		if !now.Before(w.end) {
			delete(m.windows, k)
		}
	}
	m.nextSweep = now.Add(sweepEvery)
}

// Len gives the number of windows kept, for tests.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.windows)
}

var _ Counter = (*Memory)(nil)
