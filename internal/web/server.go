package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/settings"
)

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
	// Sessions keeps logins across requests and restarts
	// (internal/sessions); Viewers finds a session's member
	// (internal/accounts).
	Sessions *sessions.Manager
	Viewers  Viewers
	I18n     *i18n.Catalogue
	// Settings holds the site's texts and the features' switches.
	Settings *settings.Store
	// RateLimited counts the requests the per-address limit refuses
	// (internal/ratelimit); nil counts nothing.
	RateLimited *ratelimit.Metrics
	// AddressCounts counts each address's requests across every process
	// serving the site, for the per-address limit; nil counts in this
	// process only.
	AddressCounts ratelimit.Counter
	// Hints, when set, gives the notes a page shows above its content,
	// beside the flash messages (the demo's guide); nil shows none.
	Hints func(r *http.Request) []Hint
}

// Hint is a note a page shows among its flash messages, translated for
// each visitor: Message is a message id, Args its key, value pairs.
type Hint struct {
	Kind    string // a Bootstrap alert colour: info, warning...
	Message string
	Args    []any
}

// Server is the web application.
type Server struct {
	deps     Deps
	mux      *http.ServeMux
	routes   []Route
	menu     []MenuItem
	assets   *assets
	layout   *template.Template
	ownPages *Pages
	markdown *markdown
	handler  http.Handler
	// quiet holds the routes whose requests are logged at debug level
	// (see Quiet). Filled while routes are mounted, read while serving.
	quiet map[string]bool
	// hidden holds the routes whose paths carry a secret (see HidePath).
	hidden map[string]bool
}

// maxRequestBody bounds what a request may send: forms, JSON and the logo
// upload all fit well within it.
const maxRequestBody = 2 << 20

// New builds the server with its own routes mounted; features mount theirs
// with Handle before it serves.
func New(deps Deps) (*Server, error) {
	if deps.Sessions == nil || deps.Viewers == nil || deps.I18n == nil || deps.Settings == nil {
		return nil, errors.New("web: sessions, viewers, translations and settings are required")
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	s := &Server{deps: deps, mux: http.NewServeMux(), assets: a, markdown: newMarkdown(), quiet: map[string]bool{}, hidden: map[string]bool{}}
	if err := s.parseLayout(); err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	// Sessions record the client's address as the rate limit reads it:
	// behind a trusted proxy, the address it forwarded.
	deps.Sessions.SetAddress(func(r *http.Request) netip.Addr {
		a, _ := clientAddr(r, deps.Config.TrustedProxies)
		return a
	})

	// Operational endpoints and assets: no session.
	s.handleBare("GET /healthz", Public, http.HandlerFunc(s.healthz))
	s.handleBare("GET /readyz", Public, http.HandlerFunc(s.readyz))
	if deps.Config.MetricsListen == "" {
		// Else /metrics is served on its own listener only (ServeMetrics),
		// and here it is a page that does not exist.
		s.handleBare("GET /metrics", MetricsReaders, metricsHandler(deps.Metrics, deps.Logger))
	}
	s.handleBare("GET /static/{file...}", Public, http.HandlerFunc(s.assets.serve))
	s.handleBare("GET /site/logo", Public, http.HandlerFunc(s.logo))
	// Load balancers and Prometheus poll these, and every page fetches the
	// assets and the logo: an access log line for each would drown the ones
	// an operator reads.
	s.Quiet("GET /healthz", "GET /readyz", "GET /metrics", "GET /static/{file...}", "GET /site/logo")
	// A page that does not exist is a page too, in the visitor's language.
	s.Handle("/", Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Fail(w, r, http.StatusNotFound, "web.error.not_found")
	}))

	cop := http.NewCrossOriginProtection()
	// Requests whose Origin is the public URL are same-site even when a
	// reverse proxy rewrites the Host header.
	if err := cop.AddTrustedOrigin(origin(deps.Config.BaseURL.Scheme, deps.Config.BaseURL.Host)); err != nil {
		return nil, fmt.Errorf("web: trusted origin: %w", err)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Forbidden: cross-origin request refused. Submit forms from this site's own pages.", http.StatusForbidden)
	}))
	csp := contentSecurityPolicy(deps.Config.EVEImagesURL, "'self'")
	s.handler = observe(deps.Logger, newHTTPMetrics(deps.Registerer), s.quiet, s.hidden,
		secureHeaders(csp, deps.Config.SecureCookies(), s.limitAddresses(cop.Handler(s.mux))))
	return s, nil
}

func origin(scheme, host string) string { return scheme + "://" + host }

// Handle mounts h at pattern for the visitors access admits. The request
// carries its session and, when logged in, its member (ViewerFrom).
func (s *Server) Handle(pattern string, access Access, h http.Handler) {
	s.mount(pattern, access, h, true)
}

// HandleAPI mounts a route of an API whose clients authenticate every
// request themselves (the Application API's bearer secrets): no session is
// read or written.
func (s *Server) HandleAPI(pattern string, access Access, h http.Handler) {
	s.mount(pattern, access, h, false)
}

// Quiet logs the requests of the routes (their patterns, as mounted) at
// debug level rather than info: routes that pages poll or fetch on every
// view, whose requests tell an operator nothing. Call it while mounting
// routes, before the server serves.
func (s *Server) Quiet(patterns ...string) {
	for _, p := range patterns {
		s.quiet[p] = true
	}
}

// HidePath logs the requests of the routes (their patterns, as mounted)
// with the pattern in place of the path: routes whose path carries a
// secret (a member's calendar feed link), which the log must not keep.
// Call it while mounting routes, before the server serves.
func (s *Server) HidePath(patterns ...string) {
	for _, p := range patterns {
		s.hidden[p] = true
	}
}

// handleBare mounts a route that needs no session: operational endpoints
// and assets, polled often, never read or write the session store.
func (s *Server) handleBare(pattern string, access Access, h http.Handler) {
	s.mount(pattern, access, h, false)
}

func (s *Server) mount(pattern string, access Access, h http.Handler, session bool) {
	if access.allow == nil {
		panic("web: route " + pattern + " has no access rule")
	}
	s.routes = append(s.routes, Route{Pattern: pattern, Access: access.name})
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !access.allow(s, r) {
			s.refuse(w, r, access)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		h.ServeHTTP(w, r)
	})
	if session {
		handler = s.deps.Sessions.Handler(s.withViewer(handler))
	}
	s.mux.Handle(pattern, handler)
}

// refuse answers a request its route's access refused: a visitor who is not
// logged in is sent to log in (and brought back after), a member without the
// right is told so.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, access Access) {
	switch {
	case access.status != 0:
		http.Error(w, access.message, access.status)
	case access.login && ViewerFrom(r.Context()) == nil:
		if r.Method == http.MethodGet && !wantsJSON(r) {
			http.Redirect(w, r, "/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		s.Fail(w, r, http.StatusUnauthorized, "web.error.login_required")
	default:
		s.Fail(w, r, http.StatusForbidden, "web.error.forbidden")
	}
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

// CookieName gives the name a cookie of the site goes by: on an https site
// with the __Host- prefix, so that the browser takes it only from this very
// host, over TLS, for the whole site; no other subdomain can plant it. Such
// a cookie must be set with SetCookie and no Path.
func (s *Server) CookieName(name string) string {
	if s.deps.Config.SecureCookies() {
		return "__Host-" + name
	}
	return name
}

// Routes lists the mounted routes and who may use each.
func (s *Server) Routes() []Route { return s.routes }

// BaseURL is the site's public address (KEEPSTAR_BASE_URL), as pages show
// it to be copied elsewhere: an EVE application's callback, an API's server.
func (s *Server) BaseURL() string { return strings.TrimSuffix(s.deps.Config.BaseURL.String(), "/") }

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
		// The cause (a database address, a driver's message, the schema
		// version) is for operators: it goes to the log, under the request
		// id the answer gives; /readyz is public.
		s.deps.Logger.WarnContext(ctx, "not ready", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: the reason is in the log; request id", RequestID(r))
		return
	}
	fmt.Fprintln(w, "ready")
}

func (s *Server) isMetricsReader(r *http.Request) bool {
	if token := s.deps.Config.MetricsToken; token != "" {
		return hasMetricsToken(r, token)
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
	return serve(ctx, ln, s, s.deps.Logger, shutdownTimeout)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, shutdownTimeout time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
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
		logger.Warn("shutdown timeout reached; open connections closed")
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: %w", err)
	}
	return nil
}

// Languages lists the languages the site is translated into, for pages
// where members choose theirs.
func (s *Server) Languages() []i18n.Language { return s.deps.I18n.Languages() }
