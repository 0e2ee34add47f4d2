package esi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CompatibilityDate is the ESI compatibility date this client was written
// against, sent as X-Compatibility-Date on every request.
const CompatibilityDate = "2026-08-18"

// DefaultBaseURL is Tranquility's ESI.
const DefaultBaseURL = "https://esi.evetech.net"

// maxBody bounds any answer read: ESI's largest pages are a few MB.
const maxBody = 32 << 20

// TokenSource gives a character's current access token for a login (the
// set of scopes Keepstar asked for). internal/eve/tokens implements it;
// its errors (such as a dead refresh token) come back wrapped with %w.
type TokenSource interface {
	AccessToken(ctx context.Context, characterID int32, login string) (string, error)
}

// Config configures a Client.
type Config struct {
	// BaseURL is ESI (KEEPSTAR_ESI_URL); empty means DefaultBaseURL.
	BaseURL string
	// UserAgent is required: CCP asks for a way to contact the maker
	// ("Keepstar/<version> (+<site URL>)").
	UserAgent string
	// HTTPClient makes the requests; nil means one with a 30 s timeout.
	HTTPClient *http.Client
	// Cache and Gate are required; share them between Clients of one
	// process (they keep their state in the database anyway).
	Cache *Cache
	Gate  *Gate
	// Tokens gives access tokens for authenticated calls.
	Tokens TokenSource
	// ClientID is the EVE application's id: with the character it names
	// the rate-limit bucket of authenticated calls.
	ClientID string
	Now      func() time.Time // nil: time.Now
	Sleep    Sleeper          // backoff between retries; nil: sleep on the wall clock
	// Attempts bounds the tries of a call that meets server errors or
	// network failures; 0 means 3.
	Attempts int
	// Concurrency bounds the parallel calls of bulk helpers; 0 means 10.
	Concurrency int
	Logger      *slog.Logger // nil discards
	// Metrics, when set, counts the requests sent.
	Metrics *Metrics
}

// Client calls ESI. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New makes a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("%w: ESI URL %q must be http(s)://host", ErrConfig, cfg.BaseURL)
	}
	if strings.TrimSpace(cfg.UserAgent) == "" || cfg.Cache == nil || cfg.Gate == nil {
		return nil, fmt.Errorf("%w: a User-Agent, a cache and a gate are required", ErrConfig)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = realSleeper(cfg.Now)
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: base}, nil
}

// Request is one ESI call.
type Request struct {
	// Route is the spec's pattern, as "GET /characters/{character_id}":
	// it gives the method and names the call in limits and errors.
	Route string
	// Path is the route's path filled in, as "/characters/90000001".
	Path  string
	Query url.Values
	// CharacterID, when not 0, makes the call authenticated with that
	// character's token for Login.
	CharacterID int32
	Login       string
	// AccessToken, when set, authenticates the call instead of the token
	// source: a token in hand that is not stored yet (a login whose
	// in-game roles are checked before its token is kept), or one the
	// caller fetched already (the ESI proxy, which must refuse a character
	// without a valid token before anything else).
	AccessToken string
	// Body is encoded as JSON (POST).
	Body any
	// RawBody, when not nil, is sent as it is instead of Body: a proxied
	// client's own JSON.
	RawBody []byte
	// Header adds request headers, in place of the client's own of the
	// same name: a proxied client's X-Compatibility-Date and
	// Accept-Language. Cached answers are kept apart by these two.
	Header http.Header
	// Relay makes the call for a client that handles ESI's answer itself
	// (the Application API's ESI proxy): the gate refuses with a
	// *LimitedError instead of waiting, nothing is retried, and every
	// answer, errors, 420 and 429 included, comes back as a Response with
	// its headers (the gate still learns from it).
	Relay bool
}

// Response is a successful answer (2xx, or a cached or revalidated one).
type Response struct {
	Status       int
	Body         []byte
	Expires      time.Time
	LastModified time.Time // zero when ESI sent none
	ETag         string
	Pages        int
	// FromCache is true when the body came from the cache: without asking
	// ESI (before Expires) or after a 304 (Revalidated).
	FromCache   bool
	Revalidated bool
	// Header is the answer's headers: of the 304 when Revalidated (with
	// those the cache kept that it lacked), the ones the cache kept with the
	// answer when it came from the cache without asking ESI.
	Header http.Header
}

// Get runs a GET route.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	return c.checked(ctx, http.MethodGet, req)
}

// Post runs a POST route.
func (c *Client) Post(ctx context.Context, req Request) (*Response, error) {
	return c.checked(ctx, http.MethodPost, req)
}

func (c *Client) checked(ctx context.Context, method string, req Request) (*Response, error) {
	if m, _, _ := strings.Cut(req.Route, " "); m != method {
		return nil, fmt.Errorf("%w: route %q is not a %s", ErrConfig, req.Route, method)
	}
	return c.Do(ctx, req)
}

// Do runs any route, with the cache (GET only), the gate and retries.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	return c.do(ctx, req, false)
}

// idempotentPosts are the POST routes that only read, so a failed try may
// be sent again; any other POST (sending mail) is tried once.
var idempotentPosts = map[string]bool{
	"POST /characters/affiliation": true,
	"POST /universe/names":         true,
	"POST /universe/ids":           true,
}

// retryable tells whether a status is a server error worth another try.
func retryable(status int) bool {
	switch status {
	case 500, 502, 503, 504, 520:
		return true
	}
	return false
}

// maxLimitTries bounds how often one call meets 420 or 429 and waits.
const maxLimitTries = 10

// Check tells, without waiting, whether the gate would let a call of route
// for the character (0: anonymous) through now under m (see Gate.Check).
func (c *Client) Check(ctx context.Context, route string, characterID int32, m Margins) (Hold, error) {
	return c.cfg.Gate.Check(ctx, route, c.tokenKey(characterID), m)
}

// tokenKey names the caller whose limits a call spends: ESI keeps the
// buckets of authenticated calls per application and character.
func (c *Client) tokenKey(characterID int32) string {
	if characterID == 0 {
		return anonymous
	}
	return c.cfg.ClientID + ":" + strconv.Itoa(int(characterID))
}

// vary is what, besides the URL and the token, selects a proxied answer:
// the compatibility date and language its client asked for. It is empty
// for Keepstar's own calls, whose cache keys stay as they were.
func vary(h http.Header) string {
	if h == nil {
		return ""
	}
	return h.Get("X-Compatibility-Date") + "\n" + h.Get("Accept-Language")
}

// do runs a call. fresh skips the cache (a paged walk restarting).
func (c *Client) do(ctx context.Context, req Request, fresh bool) (*Response, error) {
	method, _, _ := strings.Cut(req.Route, " ")
	if method == "" || !strings.HasPrefix(req.Path, "/") {
		return nil, fmt.Errorf("%w: route %q with path %q", ErrConfig, req.Route, req.Path)
	}
	query := req.Query.Encode() // sorted by key: one cache key per query
	key := cacheKey(method, req.Path, query, req.CharacterID, req.Login, vary(req.Header))
	authenticated := req.CharacterID != 0 || req.AccessToken != ""
	var cached cacheEntry
	haveCached := false
	if method == http.MethodGet && !fresh {
		var err error
		if cached, haveCached, err = c.cfg.Cache.get(ctx, key, authenticated); err != nil {
			return nil, err
		}
		if haveCached && c.cfg.Now().Before(cached.expires) {
			return cached.response(false), nil
		}
	}
	body := req.RawBody
	if body == nil && req.Body != nil {
		var err error
		if body, err = json.Marshal(req.Body); err != nil {
			return nil, fmt.Errorf("esi: %s: encode body: %w", req.Route, err)
		}
	}
	tokenKey := c.tokenKey(req.CharacterID)
	u := *c.base
	u.Path += req.Path
	u.RawQuery = query
	mayRetry := !req.Relay && (method == http.MethodGet || idempotentPosts[req.Route])
	failures, limited := 0, 0
	for {
		if req.Relay {
			hold, err := c.cfg.Gate.Check(ctx, req.Route, tokenKey, Margins{})
			if err != nil {
				return nil, err
			}
			if hold.Limit != NoLimit {
				return nil, &LimitedError{RetryAfter: hold.Until.Sub(c.cfg.Now()), Reason: hold.Limit.String(), Hold: hold}
			}
		} else if err := c.cfg.Gate.Wait(ctx, req.Route, tokenKey); err != nil {
			return nil, err
		}
		etag := ""
		if haveCached {
			etag = cached.etag
		}
		status, h, resBody, err := c.send(ctx, method, u.String(), req, body, etag)
		if err != nil {
			if ctx.Err() != nil || !mayRetry || errors.Is(err, errNoRetry) {
				return nil, err
			}
			failures++
			if failures >= c.cfg.Attempts {
				return nil, err
			}
			if err := c.backoff(ctx, req.Route, failures, err); err != nil {
				return nil, err
			}
			continue
		}
		if err := c.cfg.Gate.learn(ctx, req.Route, tokenKey, status, h); err != nil {
			return nil, err
		}
		now := c.cfg.Now()
		switch {
		case status >= 200 && status < 300:
			res := &Response{Status: status, Body: resBody, Expires: expiry(h, now), LastModified: httpTime(h, "Last-Modified"),
				ETag: h.Get("ETag"), Pages: pages(h), Header: h}
			if method == http.MethodGet && status == http.StatusOK {
				e := cacheEntry{etag: res.ETag, expires: res.Expires, lastModified: res.LastModified, body: resBody, pages: res.Pages,
					header: keptHeaders(h)}
				if err := c.cfg.Cache.put(ctx, key, e, authenticated, now); err != nil {
					return nil, err
				}
			}
			return res, nil
		case status == http.StatusNotModified && haveCached:
			cached.expires = expiry(h, now)
			merged := withKept(h, cached.header)
			if err := c.cfg.Cache.refresh(ctx, key, cached.expires, keptHeaders(merged), now); err != nil {
				return nil, err
			}
			res := cached.response(true)
			res.Header = merged
			return res, nil
		case req.Relay:
			return &Response{Status: status, Body: resBody, Expires: expiry(h, now), Pages: pages(h), Header: h}, nil
		case status == 420 || status == http.StatusTooManyRequests:
			limited++
			msg := errorMessage(resBody)
			c.cfg.Logger.WarnContext(ctx, "esi: limited", "route", req.Route, "status", status, "message", msg)
			if limited >= maxLimitTries {
				return nil, &LimitedError{RetryAfter: defaultBlock, Status: status, Reason: msg}
			}
			// The gate learnt the block and waits it out on the next round.
		case retryable(status) && mayRetry && failures+1 < c.cfg.Attempts:
			failures++
			if err := c.backoff(ctx, req.Route, failures, fmt.Errorf("status %d", status)); err != nil {
				return nil, err
			}
		default:
			return nil, &StatusError{Route: req.Route, Status: status, Message: errorMessage(resBody)}
		}
	}
}

// errNoRetry marks failures another try would not mend: no token, a
// request that cannot be built, an oversized answer.
var errNoRetry = errors.New("esi: request not sent")

// send makes one HTTP request and reads the answer.
func (c *Client) send(ctx context.Context, method, u string, req Request, body []byte, etag string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: %s: %w", errNoRetry, req.Route, err)
	}
	hr.Header.Set("User-Agent", c.cfg.UserAgent)
	hr.Header.Set("X-Compatibility-Date", CompatibilityDate)
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for name, values := range req.Header {
		hr.Header[name] = values
	}
	if etag != "" {
		hr.Header.Set("If-None-Match", etag)
	}
	if req.AccessToken != "" {
		hr.Header.Set("Authorization", "Bearer "+req.AccessToken)
	} else if req.CharacterID != 0 {
		if c.cfg.Tokens == nil {
			return 0, nil, nil, fmt.Errorf("%w: %s: no token source for an authenticated call", errNoRetry, req.Route)
		}
		tok, err := c.cfg.Tokens.AccessToken(ctx, req.CharacterID, req.Login)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: %s: access token of character %d: %w", errNoRetry, req.Route, req.CharacterID, err)
		}
		hr.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.cfg.HTTPClient.Do(hr)
	if err != nil {
		c.cfg.Metrics.sent(req.Route, 0)
		return 0, nil, nil, fmt.Errorf("esi: %s: %w", req.Route, err)
	}
	c.cfg.Metrics.sent(req.Route, res.StatusCode)
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("esi: %s: read answer: %w", req.Route, err)
	}
	if len(b) > maxBody {
		return 0, nil, nil, fmt.Errorf("%w: %s: answer over %d bytes", errNoRetry, req.Route, maxBody)
	}
	return res.StatusCode, res.Header, b, nil
}

// backoff waits before the next try: 1 s, 2 s, 4 s... capped at 10 s.
func (c *Client) backoff(ctx context.Context, route string, failures int, cause error) error {
	d := min(time.Second<<(failures-1), 10*time.Second)
	c.cfg.Logger.InfoContext(ctx, "esi: retrying", "route", route, "after", d, "cause", cause)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return fmt.Errorf("esi: %s: no time left to retry: %w", route, cause)
	}
	if err := c.cfg.Sleep(ctx, c.cfg.Now().Add(d)); err != nil {
		return fmt.Errorf("esi: %s: %w", route, err)
	}
	return nil
}

func (e cacheEntry) response(revalidated bool) *Response {
	return &Response{Status: http.StatusOK, Body: e.body, Expires: e.expires, LastModified: e.lastModified, ETag: e.etag,
		Pages: max(e.pages, 1), FromCache: true, Revalidated: revalidated, Header: e.header.Clone()}
}
