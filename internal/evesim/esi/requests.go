package esi

import (
	"maps"
	"sync"
)

// requestCounter counts the requests that reached each route.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) add(pattern string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[pattern]++
}

// Requests counts the requests received since the server was made, by
// route pattern as Patterns names them ("/" for unknown paths). Every
// request counts the moment it arrives, whatever it is answered (a fault,
// a limit's 420 or 429, an error) and even while an injected latency
// holds it: tests see what a client sent, which is what a shared limit
// must hold back.
func (s *Server) Requests() map[string]int {
	s.requests.mu.Lock()
	defer s.requests.mu.Unlock()
	out := make(map[string]int, len(s.requests.n))
	maps.Copy(out, s.requests.n)
	return out
}
