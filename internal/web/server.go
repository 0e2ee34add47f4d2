package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keepstar/keepstar/internal/config"
)

// Access states who may use a route. Every route is mounted with one, so no
// route is open by accident.
type Access struct {
	name  string
	allow func(*Server, *http.Request) bool
	// refusal is the status and message for a refused request.
	refusal int
	message string
}

// Public routes are open to anyone, logged in or not.
var Public = Access{name: "public", allow: func(*Server, *http.Request) bool { return true }}

// MetricsReaders are Prometheus servers: a request with the metrics token, or
// a direct request from this machine when no token is set.
var MetricsReaders = Access{
	name: "metrics readers", allow: (*Server).isMetricsReader, refusal: http.StatusForbidden,
	message: "Forbidden: /metrics answers requests with the metrics token (KEEPSTAR_METRICS_TOKEN), or direct requests from this machine when no token is set.",
}

// Route is one mounted route, kept for the route listing and its tests.
type Route struct {
	Pattern string
	Access  string
}

// Deps are what the server needs from the rest of Keepstar.
type Deps struct {
	Config *config.Config
	Logger *slog.Logger
	// Ready reports whether the process can serve: database reachable and
	// migrations current.
	Ready func(context.Context) error
	// Metrics gathers what /metrics shows; Registerer takes the HTTP metrics.
	Metrics    prometheus.Gatherer
	Registerer prometheus.Registerer
	Version    string
}

// Server is the web application.
type Server struct {
	deps    Deps
	mux     *http.ServeMux
	routes  []Route
	assets  *assets
	pages   *template.Template
	handler http.Handler
}

// New builds the server with every route mounted.
func New(deps Deps) (*Server, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	pages, err := parsePages(a)
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	s := &Server{deps: deps, mux: http.NewServeMux(), assets: a, pages: pages}

	// Operational endpoints.
	s.Handle("GET /healthz", Public, http.HandlerFunc(s.healthz))
	s.Handle("GET /readyz", Public, http.HandlerFunc(s.readyz))
	s.Handle("GET /metrics", MetricsReaders, promhttp.HandlerFor(deps.Metrics, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(deps.Logger.Handler(), slog.LevelError)}))
	s.Handle("GET /static/{file}", Public, http.HandlerFunc(s.assets.serve))

	// Pages.
	s.Handle("GET /{$}", Public, http.HandlerFunc(s.home))

	cop := http.NewCrossOriginProtection()
	// Requests whose Origin is the public URL are same-site even when a
	// reverse proxy rewrites the Host header.
	if err := cop.AddTrustedOrigin(origin(deps.Config.BaseURL.Scheme, deps.Config.BaseURL.Host)); err != nil {
		return nil, fmt.Errorf("web: trusted origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden: cross-origin request refused. Submit forms from this site's own pages.", http.StatusForbidden)
	}))
	s.handler = observe(deps.Logger, newHTTPMetrics(deps.Registerer),
		secureHeaders(deps.Config.SecureCookies(), cop.Handler(s.mux)))
	return s, nil
}

func origin(scheme, host string) string { return scheme + "://" + host }

// Handle mounts h at pattern for the users access admits.
func (s *Server) Handle(pattern string, access Access, h http.Handler) {
	if access.allow == nil {
		panic("web: route " + pattern + " has no access rule")
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Access: access.name})
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !access.allow(s, r) {
			http.Error(w, access.message, access.refusal)
			return
		}
		h.ServeHTTP(w, r)
	}))
}

// SetCookie sets a cookie under Keepstar's policy: HttpOnly, SameSite=Lax,
// path / unless given, and Secure whenever the site's base URL is https, so
// no cookie of an https site ever travels in clear text.
func (s *Server) SetCookie(w http.ResponseWriter, c *http.Cookie) {
	c.HttpOnly = true
	c.Secure = s.deps.Config.SecureCookies()
	if c.SameSite == 0 || c.SameSite == http.SameSiteDefaultMode {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.Path == "" {
		c.Path = "/"
	}
	http.SetCookie(w, c)
}

// Routes lists the mounted routes and who may use each.
func (s *Server) Routes() []Route { return s.routes }

// ServeHTTP serves a request through all middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.deps.Ready(ctx); err != nil {
		s.deps.Logger.WarnContext(ctx, "not ready", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready:", err)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (s *Server) isMetricsReader(r *http.Request) bool {
	if token := s.deps.Config.MetricsToken; token != "" {
		given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1 {
			return true
		}
		return false
	}
	// A request that came through a reverse proxy carries forwarding headers
	// and, though its TCP peer is local, was sent from elsewhere.
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve runs the server on ln until ctx ends, then shuts down gracefully,
// giving requests in flight up to shutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.deps.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		if !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("web: shutdown: %w", err)
		}
		s.deps.Logger.Warn("shutdown timeout reached; open connections closed")
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}
