package esi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// AllRoutes, given as a fault's pattern, applies the fault to every route.
const AllRoutes = "*"

// Errors of the fault-injection methods.
var (
	ErrUnknownRoute = errors.New("esi: no such route pattern")
	ErrFaultStatus  = errors.New("esi: status cannot be injected")
)

// faultSet holds the injected faults, by route pattern or AllRoutes. A
// route's own fault wins over an AllRoutes one of the same kind.
type faultSet struct {
	mu       sync.Mutex
	delay    map[string]time.Duration
	fail     map[string]*forcedStatus
	storm    map[string]time.Time // forced 420 until then (universe clock)
	throttle map[string]*forcedThrottle
	// cleared is closed by ClearFaults, ending the latencies being waited
	// out: a test that held calls back lets them go.
	cleared chan struct{}
}

type forcedStatus struct {
	status int
	left   int
}

type forcedThrottle struct {
	left       int
	retryAfter time.Duration
}

func newFaultSet() *faultSet {
	return &faultSet{
		delay:    map[string]time.Duration{},
		fail:     map[string]*forcedStatus{},
		storm:    map[string]time.Time{},
		throttle: map[string]*forcedThrottle{},
		cleared:  make(chan struct{}),
	}
}

func (s *Server) checkPattern(pattern string) error {
	if pattern == AllRoutes || slices.Contains(s.Patterns(), pattern) {
		return nil
	}
	return fmt.Errorf("%w: %q", ErrUnknownRoute, pattern)
}

// SetLatency delays every answer of the route pattern (or AllRoutes) by d;
// zero removes the delay. The delay is real time, not the universe clock:
// it exists to exercise client timeouts.
func (s *Server) SetLatency(pattern string, d time.Duration) error {
	if err := s.checkPattern(pattern); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if d <= 0 {
		delete(s.faults.delay, pattern)
	} else {
		s.faults.delay[pattern] = d
	}
	return nil
}

// FailNext makes the next n answers of the route pattern (or AllRoutes)
// fail with status: 500, 502, 503, 504, or 520 (ESI's "internal error
// thrown from the EVE server"). Like real server errors they cost no
// rate-limit tokens but count against the legacy error limit.
func (s *Server) FailNext(pattern string, status, n int) error {
	if err := s.checkPattern(pattern); err != nil {
		return err
	}
	if _, ok := faultMessages[status]; !ok {
		return fmt.Errorf("%w: %d", ErrFaultStatus, status)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fail[pattern] = &forcedStatus{status: status, left: n}
	return nil
}

// StartErrorStorm makes the route pattern (or AllRoutes) answer 420 for d
// of universe time, as during an incident where ESI blocks clients.
func (s *Server) StartErrorStorm(pattern string, d time.Duration) error {
	if err := s.checkPattern(pattern); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.storm[pattern] = s.u.Now().Add(d)
	return nil
}

// ThrottleNext makes the next n answers of the route pattern (or
// AllRoutes) 429 with Retry-After set to retryAfter (whole seconds, at
// least one).
func (s *Server) ThrottleNext(pattern string, n int, retryAfter time.Duration) error {
	if err := s.checkPattern(pattern); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.throttle[pattern] = &forcedThrottle{left: n, retryAfter: retryAfter}
	return nil
}

// ClearFaults removes every injected fault, and answers at once the
// requests a latency still holds.
func (s *Server) ClearFaults() {
	fresh := newFaultSet()
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	close(s.faults.cleared)
	s.faults.delay, s.faults.fail, s.faults.storm, s.faults.throttle = fresh.delay, fresh.fail, fresh.storm, fresh.throttle
	s.faults.cleared = fresh.cleared
}

var faultMessages = map[int]string{
	http.StatusInternalServerError: "Internal server error",
	http.StatusBadGateway:          "Bad gateway",
	http.StatusServiceUnavailable:  "Service unavailable",
	http.StatusGatewayTimeout:      "Timeout contacting tranquility",
	520:                            "Internal error thrown from the EVE server",
}

// latency gives the delay of the route's answers, and the channel that
// ClearFaults closes to cut it short.
func (f *faultSet) latency(pattern string) (time.Duration, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.delay[pattern]; ok {
		return d, f.cleared
	}
	return f.delay[AllRoutes], f.cleared
}

// take gives the forced answer due for the route now, if any, using up one
// of its count. A storm wins over a throttle, which wins over a failure.
func (f *faultSet) take(pattern string, now time.Time) *reply {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range []string{pattern, AllRoutes} {
		if until, ok := f.storm[p]; ok && now.Before(until) {
			return errorReply(420, "This software has exceeded the error limit for ESI. If you are a user, please contact the maker of this software.")
		}
	}
	for _, p := range []string{pattern, AllRoutes} {
		if t := f.throttle[p]; t != nil && t.left > 0 {
			t.left--
			rep := errorReply(http.StatusTooManyRequests, "Too many requests, slow down")
			rep.header.Set("Retry-After", strconv.Itoa(ceilSeconds(t.retryAfter)))
			return rep
		}
	}
	for _, p := range []string{pattern, AllRoutes} {
		if fs := f.fail[p]; fs != nil && fs.left > 0 {
			fs.left--
			return errorReply(fs.status, faultMessages[fs.status])
		}
	}
	return nil
}
