package sso

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// Lifetimes of EVE SSO, from CCP's documentation.
const (
	// CodeLifetime is how long an authorization code may be exchanged.
	CodeLifetime = 5 * time.Minute
	// AccessTokenLifetime is exp - iat of an access token. The token
	// response says one second less (expires_in 1199), as the real one does.
	AccessTokenLifetime = 20 * time.Minute
	expiresIn           = 1199
)

// IssuerForm chooses the iss claim and the metadata's issuer. EVE SSO
// writes login.eveonline.com, in one of two forms, whatever address it was
// reached at; a client must take its tokens from a mirror, a proxy or this
// simulator just as from CCP's host. So the simulator issues EVE's own
// issuer unless told otherwise.
type IssuerForm int

const (
	// IssuerEVE writes "https://login.eveonline.com", as EVE's tokens
	// and metadata document since 2024 do. It is the default.
	IssuerEVE IssuerForm = iota
	// IssuerEVEHost writes "login.eveonline.com", as older tokens and
	// the legacy documentation do.
	IssuerEVEHost
	// IssuerSelf writes the simulator's own scheme and host
	// ("http://127.0.0.1:8081"), as a test double naming itself would.
	IssuerSelf
)

// The two forms of EVE's issuer.
const (
	eveIssuerURL  = "https://login.eveonline.com"
	eveIssuerHost = "login.eveonline.com"
)

// Client is a registered third-party application.
type Client struct {
	ID string
	// Secret authenticates a confidential client; empty for a public client.
	Secret string
	// Callback is the registered redirect URI; the authorize request's
	// redirect_uri must equal it exactly.
	Callback string
	// Public clients have no secret: they must use PKCE and identify
	// themselves with client_id alone.
	Public bool
}

// Options configure a Server.
type Options struct {
	// BaseURL is the public URL the simulator is reached at (scheme and
	// host, e.g. http://127.0.0.1:8081); the metadata's URLs are built from
	// it (the issuer only with IssuerSelf).
	BaseURL string
	// Clients are the registered applications.
	Clients []Client
	// Issuer chooses the iss claim; the zero value is EVE's.
	Issuer IssuerForm
	// RotateRefreshTokens makes each refresh return a new refresh token and
	// kill the one sent; when false the same token comes back.
	RotateRefreshTokens bool
	// Universe holds the characters and drives the clock.
	Universe *universe.Universe
	// SigningKey signs access tokens; nil means a fresh 2048-bit key. Tests
	// share one to save the key generation.
	SigningKey *rsa.PrivateKey
}

// Server is the simulated SSO. It is an http.Handler and safe for
// concurrent use.
type Server struct {
	opts    Options
	base    *url.URL
	issuer  string
	clients map[string]Client
	keys    *keySet
	u       *universe.Universe
	mux     *http.ServeMux
	pages   *template.Template

	mu sync.Mutex
	// codes and refresh tokens are keyed by the sha256 of the secret, so
	// the simulator never holds them in clear.
	codes   map[string]codeGrant
	refresh map[string]refreshGrant
}

// Errors of New and VerifyAccessToken.
var (
	ErrConfig       = errors.New("sso simulator: bad options")
	ErrInvalidToken = errors.New("sso simulator: invalid access token")
)

// New builds a server; it generates the signing keys.
func New(opts Options) (*Server, error) {
	if opts.Universe == nil {
		return nil, fmt.Errorf("%w: no universe", ErrConfig)
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.Path != "" {
		return nil, fmt.Errorf("%w: base URL %q must be http(s)://host[:port]", ErrConfig, opts.BaseURL)
	}
	clients := map[string]Client{}
	for _, c := range opts.Clients {
		switch {
		case c.ID == "":
			return nil, fmt.Errorf("%w: a client has no id", ErrConfig)
		case c.Public != (c.Secret == ""):
			return nil, fmt.Errorf("%w: client %q: a public client has no secret, a confidential one has one", ErrConfig, c.ID)
		case c.Callback == "":
			return nil, fmt.Errorf("%w: client %q has no callback", ErrConfig, c.ID)
		}
		if _, err := url.Parse(c.Callback); err != nil {
			return nil, fmt.Errorf("%w: client %q callback: %w", ErrConfig, c.ID, err)
		}
		clients[c.ID] = c
	}
	keys, err := newKeySet(opts.SigningKey)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, base: base, clients: clients, keys: keys, u: opts.Universe, pages: pages,
		codes: map[string]codeGrant{}, refresh: map[string]refreshGrant{},
	}
	switch opts.Issuer {
	case IssuerEVE:
		s.issuer = eveIssuerURL
	case IssuerEVEHost:
		s.issuer = eveIssuerHost
	case IssuerSelf:
		s.issuer = base.Scheme + "://" + base.Host
	default:
		return nil, fmt.Errorf("%w: unknown issuer form %d", ErrConfig, opts.Issuer)
	}
	s.mux = http.NewServeMux()
	s.mount(s.mux)
	return s, nil
}

// mount lists every route of the simulator, at the paths of the real
// login.eveonline.com.
func (s *Server) mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.metadata)
	mux.HandleFunc("GET /oauth/jwks", s.jwks)
	mux.HandleFunc("GET /v2/oauth/authorize", s.authorizePage)
	mux.HandleFunc("POST /v2/oauth/authorize", s.authorizeSubmit)
	mux.HandleFunc("POST /v2/oauth/token", s.token)
	mux.HandleFunc("POST /v2/oauth/revoke", s.revoke)
	mux.HandleFunc("GET /v2/oauth/verify", s.verify)
	// The login page's own stylesheet and icon.
	mux.HandleFunc("GET /oauth/simulator/{file}", asset)
}

// ServeHTTP serves the SSO's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Issuer gives the iss claim of this server's tokens.
func (s *Server) Issuer() string { return s.issuer }

func (s *Server) endpoint(path string) string { return s.base.JoinPath(path).String() }

// metadata is the RFC 8414 document, with the fields of the real one (the
// legacy document plus the 2026 additions).
func (s *Server) metadata(w http.ResponseWriter, _ *http.Request) {
	authMethods := []string{"client_secret_basic", "client_secret_post", "client_secret_jwt"}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                   s.issuer,
		"authorization_endpoint":   s.endpoint("/v2/oauth/authorize"),
		"token_endpoint":           s.endpoint("/v2/oauth/token"),
		"userinfo_endpoint":        s.endpoint("/v2/oauth/verify"),
		"response_types_supported": []string{"code", "token"},
		"jwks_uri":                 s.endpoint("/oauth/jwks"),
		"revocation_endpoint":      s.endpoint("/v2/oauth/revoke"),
		"revocation_endpoint_auth_methods_supported":       authMethods,
		"token_endpoint_auth_methods_supported":            authMethods,
		"token_endpoint_auth_signing_alg_values_supported": []string{"HS256"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            []string{"HS256"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, s.keys.jwks)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// An encoding error here means the connection is gone; nothing to do.
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError is an RFC 6749 error answer of the token and revoke endpoints.
type oauthError struct {
	status int
	code   string
	desc   string
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", desc}
}

func errInvalidClient(desc string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", desc}
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.code == "invalid_client" {
		w.Header().Set("WWW-Authenticate", `Basic realm="EVE SSO"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.desc})
}
