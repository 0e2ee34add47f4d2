package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Memory counts in this process's memory: the counter of a site on SQLite,
// which one process serves, and of the per-address limits, which must cost
// no database work (they are there to shield the database from a flood).
//
// It holds at most MaxKeys windows, in shards each under its own lock, so
// that requests of different keys seldom wait for each other. Each shard
// keeps its windows in the order they began, which, for windows of one
// length, is the order they end: the windows that ended are dropped from
// the front a few at each request, never in a scan of the whole table. A
// shard that is full of open windows (a flood from that many addresses
// within one window) drops its oldest window to take a new key: every key
// is counted, full or not, and the one that loses its count is the one
// whose window was nearest its end.
type Memory struct {
	seed   maphash.Seed
	shards []memoryShard // a power of two of them
}

// maxShards is the most shards a Memory has: plenty for a few cores.
const maxShards = 64

// minShardKeys is the least share of the bound a shard holds.
const minShardKeys = 1024

type memoryShard struct {
	mu      sync.Mutex
	maxKeys int
	windows map[string]memoryWindow
	// order lists the windows as they began, from head on; an entry whose
	// key has since begun another window is stale and skipped.
	order []orderEntry
	head  int
	// deleted counts the windows deleted since the map was made: a map
	// that keeps deleting and adding keys slows down on the marks its
	// deletions leave, so it is remade after as many as it holds.
	deleted int
}

type memoryWindow struct {
	start, end time.Time
	requests   int64
}

type orderEntry struct {
	key string
	end time.Time
}

// DefaultMaxKeys bounds a Memory's windows to a few megabytes.
const DefaultMaxKeys = 100_000

// NewMemory makes a Memory keeping up to maxKeys windows (rounded up to a
// multiple of its shards), each shard an equal share; 0 means
// DefaultMaxKeys.
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	// Shards of at least minShardKeys: a shard holds an equal share of the
	// bound, and keys fall into shards by hash, unevenly; small shards would
	// fill (and drop windows) long before the table does.
	n := 1
	for n < maxShards && 2*n*minShardKeys <= maxKeys {
		n *= 2
	}
	m := &Memory{seed: maphash.MakeSeed(), shards: make([]memoryShard, n)}
	for i := range m.shards {
		m.shards[i] = memoryShard{maxKeys: (maxKeys + n - 1) / n, windows: map[string]memoryWindow{}}
	}
	return m
}

func (m *Memory) shard(key string) *memoryShard {
	return &m.shards[maphash.String(m.seed, key)&uint64(len(m.shards)-1)]
}

// Hit implements Counter.
func (m *Memory) Hit(_ context.Context, key string, window time.Duration, now time.Time) (Window, error) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropEnded(now)
	w, ok := s.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(s.windows) >= s.maxKeys {
			s.dropOldest()
		}
		w = memoryWindow{start: now, end: now.Add(window)}
		s.push(key, w.end)
	}
	w.requests++
	s.windows[key] = w
	return Window{Start: w.start, Requests: w.requests}, nil
}

// Peek gives key's open window at now without counting a request; ok is
// false when it has none.
func (m *Memory) Peek(key string, now time.Time) (w Window, ok bool) {
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	mw, ok := s.windows[key]
	if !ok || !now.Before(mw.end) {
		return Window{}, false
	}
	return Window{Start: mw.start, Requests: mw.requests}, true
}

// dropEnded drops the windows at the front that ended; s.mu is held. Each
// entry is dropped once, so the work is paid for by the requests that
// began the windows.
func (s *memoryShard) dropEnded(now time.Time) {
	for s.head < len(s.order) {
		e := s.order[s.head]
		if now.Before(e.end) {
			break
		}
		if w, ok := s.windows[e.key]; ok && w.end.Equal(e.end) {
			s.delete(e.key)
		}
		s.pop()
	}
}

// dropOldest drops the window that began first among those open; s.mu is
// held.
func (s *memoryShard) dropOldest() {
	for s.head < len(s.order) {
		e := s.order[s.head]
		s.pop()
		if w, ok := s.windows[e.key]; ok && w.end.Equal(e.end) {
			s.delete(e.key)
			return
		}
	}
}

// delete drops key's window; s.mu is held.
func (s *memoryShard) delete(key string) {
	delete(s.windows, key)
	if s.deleted++; s.deleted >= s.maxKeys && s.deleted >= 64 {
		fresh := make(map[string]memoryWindow, len(s.windows))
		for k, w := range s.windows {
			fresh[k] = w
		}
		s.windows, s.deleted = fresh, 0
	}
}

// push appends a window to the order. Windows of mixed lengths can leave
// stale entries behind a longer window at the front: when the order grows
// past twice the bound, it is rebuilt from the open windows, a cost shared
// by as many requests as entries it drops.
func (s *memoryShard) push(key string, end time.Time) {
	if len(s.order)-s.head >= 2*s.maxKeys {
		live := s.order[:0:0]
		for _, e := range s.order[s.head:] {
			if w, ok := s.windows[e.key]; ok && w.end.Equal(e.end) {
				live = append(live, e)
			}
		}
		s.order, s.head = live, 0
	}
	s.order = append(s.order, orderEntry{key: key, end: end})
}

// pop drops the front entry, moving the rest down once half the slice is
// dropped ones, so that the slice does not grow for ever.
func (s *memoryShard) pop() {
	s.order[s.head] = orderEntry{}
	s.head++
	if s.head == len(s.order) {
		s.order, s.head = s.order[:0], 0
	} else if s.head > len(s.order)/2 && s.head > 64 {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order, s.head = s.order[:n], 0
	}
}

// Len gives the number of windows kept, for tests.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.windows)
		s.mu.Unlock()
	}
	return n
}

var _ Counter = (*Memory)(nil)
