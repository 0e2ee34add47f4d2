package esi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// CompatibilityDate is the newest compatibility date the simulator knows,
// the one its routes follow (the spec's X-Compatibility-Date enum).
const CompatibilityDate = "2026-08-18"

// Options configure a Server.
type Options struct {
	// Universe is the world served; required.
	Universe *universe.Universe
	// Tokens verifies bearer access tokens. Nil makes every authenticated
	// route answer 401, which suits a public-only simulator.
	Tokens TokenVerifier
	// Logger receives one line per internal error; nil discards.
	Logger *slog.Logger
}

// Server is the ESI simulator, an http.Handler serving the routes at its
// root (as https://esi.evetech.net does).
type Server struct {
	u      *universe.Universe
	tokens TokenVerifier
	log    *slog.Logger
	mux    *http.ServeMux
	routes []*route
	limits *limiter
	faults *faultSet
	// requests counts what arrived, by route pattern (see Requests).
	requests requestCounter

	mailMu     sync.Mutex
	mails      []Mail
	nextMailID int32
	cspa       map[int32]int64 // CSPA charges by character
}

var _ http.Handler = (*Server)(nil)

// New builds a Server. It panics without a universe, a wiring mistake
// nothing at run time could recover from.
func New(opts Options) *Server {
	if opts.Universe == nil {
		panic("esi: New without a universe")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		u:          opts.Universe,
		tokens:     opts.Tokens,
		log:        log,
		mux:        http.NewServeMux(),
		limits:     newLimiter(),
		faults:     newFaultSet(),
		nextMailID: 400000000,
		cspa:       map[int32]int64{},
	}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	// Unknown paths and methods still answer ESI's JSON errors and count
	// against the error limit, as on Tranquility. A second mux of the bare
	// paths tells a wrong method (405) from an unknown path (404).
	paths := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range s.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if allowed[path] == nil {
			paths.Handle(path, http.NotFoundHandler())
		}
		allowed[path] = append(allowed[path], method)
	}
	s.mux.Handle("/", s.wrap(&route{pattern: "/", handle: func(_ context.Context, c *call) (result, error) {
		if _, p := paths.Handler(c.r); p != "" {
			return result{}, &apiError{http.StatusMethodNotAllowed, "Method not allowed", strings.Join(allowed[p], ", ")}
		}
		return result{}, errNotFound("Not found")
	}}))
	return s
}

// ServeHTTP serves one ESI request, at its current path or at a legacy
// spelling of it (canonicalPath).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := canonicalPath(r.URL.Path); p != r.URL.Path {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		r = &r2
	}
	s.mux.ServeHTTP(w, r)
}

// canonicalPath turns the spellings ESI still serves from its versioned
// days into the current route's path: a leading /latest, /legacy, /dev or
// /vN segment is dropped, and so is a trailing slash. So
// /v4/characters/96061222/assets/?page=1, as apps written for the legacy
// specification (and Neucore's own examples) ask, reaches
// /characters/96061222/assets. Other paths are left as they are.
func canonicalPath(p string) string {
	if rest, ok := strings.CutPrefix(p, "/"); ok {
		first, tail, found := strings.Cut(rest, "/")
		if found && tail != "" && isLegacyPrefix(first) {
			p = "/" + tail
		}
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "//") {
		p = p[:len(p)-1]
	}
	return p
}

// isLegacyPrefix tells a version segment of ESI's legacy paths: latest,
// legacy, dev, or v and a version number (v1 to v99).
func isLegacyPrefix(seg string) bool {
	switch seg {
	case "latest", "legacy", "dev":
		return true
	}
	n, ok := strings.CutPrefix(seg, "v")
	if !ok || len(n) == 0 || len(n) > 2 || n[0] == '0' {
		return false
	}
	for _, c := range n {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Patterns lists the method and path patterns of every simulated route, in
// the form the fault-injection methods take ("GET /status").
func (s *Server) Patterns() []string {
	out := make([]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = rt.pattern
	}
	return out
}

// call is what a route handler gets: the request, the verified grant (zero
// on public routes) and the instant the request is served at.
type call struct {
	r     *http.Request
	grant Grant
	now   time.Time
}

// result is a handler's success: the status (200 or 201), the value to
// encode as JSON, and when the data last changed (for Last-Modified).
type result struct {
	status   int
	body     any
	modified time.Time
}

type handlerFunc func(ctx context.Context, c *call) (result, error)

// apiError is an answer other than success, with ESI's error body.
type apiError struct {
	status int
	msg    string
	allow  string // the Allow header of a 405
}

func (e *apiError) Error() string { return fmt.Sprintf("esi: %d %s", e.status, e.msg) }

func errNotFound(msg string) error   { return &apiError{status: http.StatusNotFound, msg: msg} }
func errBadRequest(msg string) error { return &apiError{status: http.StatusBadRequest, msg: msg} }
func errForbidden(msg string) error  { return &apiError{status: http.StatusForbidden, msg: msg} }

// reply is a response under construction.
type reply struct {
	status int
	header http.Header
	body   []byte
	// byLimiter marks the error limit's own 420, which must not count
	// against the budget it reports as spent.
	byLimiter bool
}

func errorReply(status int, msg string) *reply {
	body, err := json.Marshal(errorBody{Error: msg})
	if err != nil {
		panic(err) // a struct of one string always encodes
	}
	return &reply{status: status, header: http.Header{}, body: body}
}

// errorBody is ESI's error shape (the spec's Error schema).
type errorBody struct {
	Error string `json:"error"`
}

// wrap runs a route through the pipeline every ESI answer shares: limits,
// faults, compatibility date, authentication, the handler, caching, and
// the accounting of the answer against the caller's limits.
func (s *Server) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s.requests.add(rt.pattern)
		if d, cleared := s.faults.latency(rt.pattern); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-cleared:
				t.Stop()
			case <-t.C:
			}
		}
		now := s.u.Now()
		var grant Grant
		var authErr error
		if rt.scope != "" {
			grant, authErr = s.authenticate(r, now)
		}
		ip := clientIP(r)
		key := ip
		if rt.scope != "" && authErr == nil {
			key = grant.ClientID + ":" + strconv.FormatInt(int64(grant.CharacterID), 10)
		}
		rep := s.serve(ctx, rt, r, grant, authErr, now, key, ip)
		if rt.group != "" {
			s.limits.spend(rt, key, now, rep)
		} else {
			s.limits.countError(ip, now, rep)
		}
		h := w.Header()
		for k, v := range rep.header {
			h[k] = v
		}
		if rep.body != nil {
			h.Set("Content-Type", "application/json; charset=utf-8")
			h.Set("Content-Length", strconv.Itoa(len(rep.body)))
		}
		w.WriteHeader(rep.status)
		if rep.body != nil && r.Method != http.MethodHead {
			_, _ = w.Write(rep.body) // the client is gone if this fails
		}
	})
}

func (s *Server) serve(ctx context.Context, rt *route, r *http.Request, grant Grant, authErr error, now time.Time, key, ip string) *reply {
	// Only unbucketed routes spend the error budget, but once it is spent
	// ESI answers 420 on every route, bucketed ones included (CCP's
	// rate-limiting documentation).
	if s.limits.errorLimited(ip, now) {
		rep := errorReply(420, "This software has exceeded the error limit for ESI. If you are a user, please contact the maker of this software.")
		rep.byLimiter = true
		return rep
	}
	if rt.group != "" {
		if wait, blocked := s.limits.bucketBlocked(rt, key, now); blocked {
			rep := errorReply(http.StatusTooManyRequests, "Too many requests, slow down")
			rep.header.Set("Retry-After", strconv.Itoa(ceilSeconds(wait)))
			return rep
		}
	}
	if rep := s.faults.take(rt.pattern, now); rep != nil {
		return rep
	}
	if err := checkCompatibilityDate(r.Header.Get("X-Compatibility-Date"), now); err != nil {
		return errorReply(http.StatusBadRequest, err.Error())
	}
	if rt.scope != "" {
		if authErr != nil {
			return errorReply(http.StatusUnauthorized, authErr.Error())
		}
		if err := s.authorize(rt, r, grant); err != nil {
			return s.errorReply(ctx, err)
		}
	}
	res, err := rt.handle(ctx, &call{r: r, grant: grant, now: now})
	if err != nil {
		return s.errorReply(ctx, err)
	}
	body, err := json.Marshal(res.body)
	if err != nil {
		return s.errorReply(ctx, fmt.Errorf("encode %s: %w", rt.pattern, err))
	}
	rep := &reply{status: res.status, header: http.Header{}, body: body}
	if res.status == http.StatusOK {
		setCaching(rep, rt, r, now, res.modified)
	}
	return rep
}

// errorReply turns a handler error into ESI's answer; anything but an
// apiError is a bug in the simulator and answers 500.
func (s *Server) errorReply(ctx context.Context, err error) *reply {
	var ae *apiError
	if errors.As(err, &ae) {
		rep := errorReply(ae.status, ae.msg)
		if ae.allow != "" {
			rep.header.Set("Allow", ae.allow)
		}
		return rep
	}
	s.log.ErrorContext(ctx, "esi simulator: internal error", "err", err)
	return errorReply(http.StatusInternalServerError, "Internal server error")
}

// ErrCompatibilityDate is the cause of a 400 for a bad X-Compatibility-Date.
var ErrCompatibilityDate = errors.New("invalid compatibility date")

// checkCompatibilityDate enforces X-Compatibility-Date. The spec makes the
// header required, but what Tranquility does without it is not documented
// reliably; the simulator serves such requests as if they named the oldest
// date (2020-01-01), so legacy clients keep working, and rejects only what
// ESI rejects for certain: a value that is not a YYYY-MM-DD date, or a date
// after today (by the universe clock, UTC).
func checkCompatibilityDate(v string, now time.Time) error {
	if v == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return fmt.Errorf("%w %q: want YYYY-MM-DD", ErrCompatibilityDate, v)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	if d.After(today) {
		return fmt.Errorf("%w %q: in the future", ErrCompatibilityDate, v)
	}
	return nil
}

// clientIP is the address the limits of anonymous callers are kept under.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func ceilSeconds(d time.Duration) int {
	n := int((d + time.Second - 1) / time.Second)
	return max(n, 1)
}

// pathID parses an id of the path: not a positive integer is ESI's 400;
// the spec allows int64, so a valid id beyond the universe's int32 ids is
// simply not found.
func pathID(r *http.Request, name string) (int32, error) {
	v, err := pathID64(r, name)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt32 {
		return 0, errNotFound(fmt.Sprintf("%s %d not found", name, v))
	}
	return int32(v), nil
}

// pathID64 parses an int64 id of the path (fleet ids).
func pathID64(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v < 1 {
		return 0, errBadRequest(fmt.Sprintf("Invalid %s %q", name, r.PathValue(name)))
	}
	return v, nil
}

// lastChange is the latest of the Last-Modified times of ids.
func (s *Server) lastChange(ids ...int64) time.Time {
	var t time.Time
	for _, id := range ids {
		if m := s.u.LastModified(id); m.After(t) {
			t = m
		}
	}
	if t.IsZero() {
		t = s.u.LastModified(0)
	}
	return t
}

// isPrivate tells whether a route's answers may be cached only by the
// caller: every authenticated route.
func (rt *route) isPrivate() bool { return rt.scope != "" }

// hasPathParam tells whether the route's path names the parameter.
func (rt *route) hasPathParam(name string) bool {
	return strings.Contains(rt.pattern, "{"+name+"}")
}
