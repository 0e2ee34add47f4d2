package web

import (
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/ratelimit"
)

// unlimitedPaths are polled by load balancers and Prometheus, often from
// one address for many: never refused, or a busy address would take the
// site out of its balancer.
var unlimitedPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// addressLimit is the per-address rate limit of every request (Neucore's
// RateLimitIP). It is there to shield the rest, the database above all,
// from one client's flood, so each process counts in memory first and
// refuses an address over the limit by itself, with no other work. Below
// the limit, a shared counter (Deps.AddressCounts: the database's when
// several processes serve) counts the address's requests across all of
// them, so that the limit holds for the site, not for each process.
type addressLimit struct {
	limit   ratelimit.Limit
	counter *ratelimit.Memory
	shared  ratelimit.Counter // nil: this process's count is the site's
	proxies []netip.Prefix
	metrics *ratelimit.Metrics
	logger  *slog.Logger
	now     func() time.Time
}

// limitAddresses wraps next in the per-address limit the configuration
// sets, or gives it back as it is when none is set.
func (s *Server) limitAddresses(next http.Handler) http.Handler {
	cfg := s.deps.Config
	l := &addressLimit{limit: ratelimit.Limit{Max: int64(cfg.RateLimitIPMax), Window: cfg.RateLimitIPWindow},
		counter: ratelimit.NewMemory(0), shared: s.deps.AddressCounts, proxies: cfg.TrustedProxies,
		metrics: s.deps.RateLimited, logger: s.deps.Logger, now: time.Now}
	if !l.limit.On() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unlimitedPaths[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		addr, ok := clientAddr(r, l.proxies)
		key := limitKey(addr, ok, r.RemoteAddr)
		now := l.now()
		win, _ := l.counter.Hit(r.Context(), key, l.limit.Window, now) // Memory never fails
		res := l.limit.Check(win, now)
		// Over the limit here is over it for the site too: this process's
		// requests are some of the site's.
		if l.shared != nil && !res.Exceeded() {
			shared, err := l.shared.Hit(r.Context(), "ip:"+key, l.limit.Window, now)
			if err == nil {
				res = l.limit.Check(shared, now)
			} else if r.Context().Err() == nil {
				// A database that cannot count does not stop the site:
				// this process's count decides.
				l.logger.WarnContext(r.Context(), "IP rate limit not shared", "error", err)
			}
		}
		ratelimit.SetHeaders(w.Header(), res)
		if !res.Exceeded() {
			next.ServeHTTP(w, r)
			return
		}
		l.metrics.Limited(ratelimit.KindIP, true)
		attrs := []any{"client", key, "requests", res.Requests, "seconds", ratelimit.Seconds(res.Elapsed)}
		if id := bearerAppID(r); id != "" {
			attrs = append(attrs, "app_id", id)
		}
		l.logger.Log(r.Context(), res.LogLevel(), "IP rate limit exceeded", attrs...)
		ratelimit.Refuse(w, "IP", res)
	})
}

// ClientKey gives what the per-address limits count a request by: its
// client's address, read past the trusted proxies (KEEPSTAR_TRUSTED_PROXIES),
// an IPv6 one by its /64.
func (s *Server) ClientKey(r *http.Request) string {
	addr, ok := clientAddr(r, s.deps.Config.TrustedProxies)
	return limitKey(addr, ok, r.RemoteAddr)
}

// clientAddr gives the address a request came from: its TCP peer, unless
// the peer is a trusted proxy. Then X-Forwarded-For, to which each proxy
// appends the address it heard from, is read from the right, past the
// trusted proxies: the first address that is not one is the client's. An
// entry may carry a port (`198.51.100.7:5678`, `[2001:db8::1]:443`, as some
// proxies write them), which is not part of the address. An entry that is
// no address at all is passed over: taking it for the proxy's own address
// would put every client behind that proxy in one count. ok is false when
// the peer itself cannot be read.
func clientAddr(r *http.Request, trusted []netip.Prefix) (addr netip.Addr, ok bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	addr, err = netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	addr = addr.Unmap().WithZone("")
	if !isTrusted(addr, trusted) {
		return addr, true
	}
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := forwardedAddr(entries[j])
			if !ok {
				continue
			}
			addr = a
			if !isTrusted(addr, trusted) {
				return addr, true
			}
		}
	}
	return addr, true
}

// forwardedAddr reads one entry of X-Forwarded-For: an address, an IPv6
// one in brackets, either with a port or without.
func forwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, perr := netip.ParseAddrPort(entry)
		if perr != nil {
			inner, found := strings.CutPrefix(entry, "[")
			if inner, found = strings.CutSuffix(inner, "]"); !found {
				return netip.Addr{}, false
			}
			if a, err = netip.ParseAddr(inner); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	// A zone names an interface of the proxy's host, not the client.
	if a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limitKey is what the limit counts by: an IPv4 address, or the /64 of an
// IPv6 address (one host's usual share, which it can change at will inside
// it); the raw peer when it cannot be read.
func limitKey(a netip.Addr, ok bool, peer string) string {
	switch {
	case !ok:
		return peer
	case a.Is6():
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// bearerAppID gives the app id an Application API request claims, for
// the log of a refusal; the secret is never read, let alone logged.
func bearerAppID(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return ""
	}
	id, _, ok := strings.Cut(string(decoded), ":")
	if n, err := strconv.ParseInt(id, 10, 64); !ok || err != nil || n <= 0 {
		return ""
	}
	return id
}
