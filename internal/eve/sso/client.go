package sso

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultBaseURL is CCP's SSO.
const DefaultBaseURL = "https://login.eveonline.com"

// EVE writes the iss claim of its access tokens in one of these two forms,
// whatever address its SSO was reached at: CCP's host, a mirror, an egress
// proxy or a test double all hand out tokens naming login.eveonline.com.
var eveIssuers = []string{"login.eveonline.com", "https://login.eveonline.com"}

// DefaultUserAgent is sent when Config.UserAgent is empty.
const DefaultUserAgent = "Keepstar"

// DefaultLeeway is the clock skew tolerated on a token's expiry.
const DefaultLeeway = 5 * time.Second

// maxBody bounds what is read of any SSO answer.
const maxBody = 1 << 20

// Errors callers tell apart with errors.Is.
var (
	// ErrInvalidGrant: the SSO refused the code or refresh token (400
	// invalid_grant). For a refresh token it means the token is dead: the
	// player must log in again.
	ErrInvalidGrant = errors.New("sso: invalid grant")
	// ErrInvalidClient: the SSO refused Keepstar's client id or secret
	// (401 invalid_client), a configuration problem.
	ErrInvalidClient = errors.New("sso: invalid client credentials")
	// ErrUnavailable: the SSO could not be reached or failed (network
	// error, timeout, 5xx, unreadable answer). Nothing is known of the
	// token: retry later, never treat it as dead.
	ErrUnavailable = errors.New("sso: EVE SSO unavailable")
	// ErrInvalidToken: an access token failed validation.
	ErrInvalidToken = errors.New("sso: invalid access token")
	// ErrUnknownKey: the token names a key the JWKS does not have, even
	// after fetching it again.
	ErrUnknownKey = errors.New("sso: unknown signing key")
)

// Error is an error answer of the SSO's token or revoke endpoint.
type Error struct {
	Status      int
	Code        string // the OAuth2 error code, e.g. invalid_grant
	Description string
}

func (e *Error) Error() string {
	return fmt.Sprintf("EVE SSO answered %d %s: %s", e.Status, e.Code, e.Description)
}

// Is maps the answer to the sentinel errors. Only a 400 invalid_grant means
// a dead grant: a proxy's 5xx page can never pass for one.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Status == http.StatusBadRequest && e.Code == "invalid_grant"
	case ErrInvalidClient:
		return e.Status == http.StatusUnauthorized || e.Code == "invalid_client"
	case ErrUnavailable:
		return e.Status >= 500 || e.Status == http.StatusTooManyRequests
	}
	return false
}

// Config configures a Client.
type Config struct {
	// BaseURL is the SSO (KEEPSTAR_EVE_SSO_URL); empty means DefaultBaseURL.
	BaseURL string
	// ClientID and ClientSecret are the EVE developer application's. With
	// no secret the client acts as a public PKCE client, sending client_id
	// alone.
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback registered with the application.
	RedirectURL string
	// HTTPClient makes the requests; nil means one with a 15 s timeout.
	HTTPClient *http.Client
	// Now is the clock tokens are checked against; nil means time.Now.
	Now func() time.Time
	// Leeway is the tolerated clock skew; 0 means DefaultLeeway.
	Leeway time.Duration
	// UserAgent identifies Keepstar on every request to the SSO (metadata,
	// JWKS, token, revoke), as CCP asks of every third-party application;
	// empty means DefaultUserAgent.
	UserAgent string
}

// Metadata is what the client uses of the SSO's metadata document.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
}

// Client talks to one EVE SSO. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	now  func() time.Time

	metaMu sync.Mutex
	meta   *Metadata
	keys   keyCache
}

// maxIdleConns is how many idle connections to the SSO a client keeps:
// more than the token check refreshes at once.
const maxIdleConns = 32

// ErrConfig is wrapped by New's errors.
var ErrConfig = errors.New("sso: bad configuration")

// New makes a client. It does not contact the SSO: the metadata and keys
// are fetched when first needed, so Keepstar starts while the SSO is down.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("%w: SSO URL %q must be http(s)://host", ErrConfig, cfg.BaseURL)
	}
	if cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, fmt.Errorf("%w: client id and redirect URL are required", ErrConfig)
	}
	if cfg.HTTPClient == nil {
		// Go keeps two idle connections per host by default: the token
		// check's parallel refreshes would then open (and handshake) a new
		// connection for most requests.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = maxIdleConns
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second, Transport: t}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if strings.TrimSpace(cfg.UserAgent) == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	// A copy of the caller's client whose transport names Keepstar: the
	// token and refresh requests x/oauth2 makes go through it too.
	hc := *cfg.HTTPClient
	hc.Transport = &userAgentTransport{base: cmp.Or[http.RoundTripper](hc.Transport, http.DefaultTransport), agent: cfg.UserAgent}
	return &Client{cfg: cfg, base: base, http: &hc, now: cfg.Now}, nil
}

// userAgentTransport sets the User-Agent of every request it carries.
type userAgentTransport struct {
	base  http.RoundTripper
	agent string
}

func (t *userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the request it is given.
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.agent)
	return t.base.RoundTrip(r)
}

// NewState makes a random OAuth2 state value.
func NewState() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// NewVerifier makes a random PKCE code verifier.
func NewVerifier() string { return oauth2.GenerateVerifier() }

// Metadata gives the SSO's metadata document, fetched once and kept.
func (c *Client) Metadata(ctx context.Context) (Metadata, error) {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	if c.meta != nil {
		return *c.meta, nil
	}
	body, err := c.get(ctx, c.base.JoinPath("/.well-known/oauth-authorization-server").String())
	if err != nil {
		return Metadata{}, fmt.Errorf("sso: metadata: %w", err)
	}
	var m Metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return Metadata{}, fmt.Errorf("sso: metadata: %w: %w", ErrUnavailable, err)
	}
	for _, u := range []string{m.AuthorizationEndpoint, m.TokenEndpoint, m.JWKSURI, m.RevocationEndpoint} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return Metadata{}, fmt.Errorf("sso: metadata: %w: endpoint %q is not an absolute URL", ErrUnavailable, u)
		}
	}
	c.meta = &m
	return m, nil
}

// get fetches a document of the SSO; failures wrap ErrUnavailable.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: %s", ErrUnavailable, u, resp.Status)
	}
	return body, nil
}

func (c *Client) oauthConfig(m Metadata, scopes []string) *oauth2.Config {
	style := oauth2.AuthStyleInHeader
	if c.cfg.ClientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint, TokenURL: m.TokenEndpoint, AuthStyle: style},
	}
}

// AuthorizeURL gives the URL to send the player to. The caller keeps state
// and verifier (from NewState and NewVerifier) until the player comes back.
// It takes a context because the first call reads the metadata document.
func (c *Client) AuthorizeURL(ctx context.Context, state string, scopes []string, verifier string) (string, error) {
	if state == "" || verifier == "" {
		return "", errors.New("sso: authorize URL: state and PKCE verifier are required")
	}
	m, err := c.Metadata(ctx)
	if err != nil {
		return "", err
	}
	return c.oauthConfig(m, scopes).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}
