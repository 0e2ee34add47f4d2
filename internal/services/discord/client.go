package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPath is the pinned API version prefix.
const APIPath = "/api/v10"

// InvalidWindow is the window over which Discord counts invalid responses.
const InvalidWindow = 10 * time.Minute

// Options configure a Client.
type Options struct {
	// BaseURL is Discord's origin, "https://discord.com" when empty; the
	// client appends /api/v10 itself.
	BaseURL string
	// BotToken is sent as "Authorization: Bot <token>"; it is never logged.
	BotToken string
	// AppURL and Version fill "User-Agent: DiscordBot (<url>, <version>)".
	AppURL, Version string
	// ClientID and ClientSecret are the OAuth2 application's, for the token
	// endpoints (ExchangeCode, RevokeToken).
	ClientID, ClientSecret string
	// AuditReason is the default X-Audit-Log-Reason of mutating calls
	// (WithReason overrides it per call); "Keepstar" when empty.
	AuditReason string
	HTTP        *http.Client
	// Limiter defaults to a MemoryLimiter on Now and Sleep.
	Limiter Limiter
	// Now and Sleep let tests drive time; nil means real time.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Waited, when set, is told the time each call spent waiting for the
	// Limiter (measured on Now), for the metrics.
	Waited func(time.Duration)
	// MaxRetries bounds the retries after 429s (default 3).
	MaxRetries int
	// BreakerAt is the count of invalid responses in ten minutes at which
	// calls are refused (default 1000; Discord bans at 10,000).
	BreakerAt int
}

// Client calls Discord's REST API v10. It is safe for concurrent use.
type Client struct {
	o        Options
	base     string
	mu       sync.Mutex
	invalids []time.Time
}

// New builds a Client.
func New(o Options) *Client {
	if o.BaseURL == "" {
		o.BaseURL = "https://discord.com"
	}
	if o.AuditReason == "" {
		o.AuditReason = "Keepstar"
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = realSleep
	}
	if o.Limiter == nil {
		o.Limiter = NewMemoryLimiter(o.Now, o.Sleep, 0)
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 3
	}
	if o.BreakerAt <= 0 {
		o.BreakerAt = 1000
	}
	return &Client{o: o, base: strings.TrimRight(o.BaseURL, "/") + APIPath}
}

type reasonKey struct{}

// WithReason sets the X-Audit-Log-Reason of the mutating calls made with ctx.
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, reason)
}

// InvalidResponses is how many 401, 403 and non-shared 429 answers the
// client got in the last ten minutes.
func (c *Client) InvalidResponses() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pruneLocked())
}

func (c *Client) pruneLocked() []time.Time {
	since := c.o.Now().Add(-InvalidWindow)
	i := 0
	for i < len(c.invalids) && !c.invalids[i].After(since) {
		i++
	}
	c.invalids = c.invalids[i:]
	return c.invalids
}

func (c *Client) countInvalid(status int, scope string) {
	if status != http.StatusUnauthorized && status != http.StatusForbidden &&
		(status != http.StatusTooManyRequests || scope == "shared") {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalids = append(c.invalids, c.o.Now())
}

func (c *Client) breakerOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pruneLocked()) >= c.o.BreakerAt
}

// call is one REST request: method, the route template with its values,
// the top-level resource, an optional JSON body (or form, for the OAuth2
// endpoints), the Authorization value ("" for none).
type call struct {
	method, template, major string
	path                    string
	body                    any
	form                    url.Values
	auth                    string
	mutating                bool
}

// do sends c, waiting for the limiter and retrying 429s, and decodes a 2xx
// JSON answer into out (nil: ignored). It returns the final status.
func (c *Client) do(ctx context.Context, k call, out any) (int, error) {
	var payload []byte
	switch {
	case k.form != nil:
		payload = []byte(k.form.Encode())
	case k.body != nil:
		var err error
		if payload, err = json.Marshal(k.body); err != nil {
			return 0, fmt.Errorf("discord: encode %s %s: %w", k.method, k.template, err)
		}
	}
	route := Route{Method: k.method, Template: k.template, Major: k.major}
	for attempt := 0; ; attempt++ {
		if c.breakerOpen() {
			return 0, ErrBreakerOpen
		}
		start := c.o.Now()
		err := c.o.Limiter.Wait(ctx, route)
		if waited := c.o.Now().Sub(start); waited > 0 && c.o.Waited != nil {
			c.o.Waited(waited)
		}
		if err != nil {
			return 0, fmt.Errorf("discord: waiting for the rate limit of %s %s: %w", k.method, k.template, err)
		}
		status, info, data, err := c.send(ctx, k, payload)
		if err != nil {
			// No answer: the limiter frees what it held for one.
			if uerr := c.update(ctx, route, RateInfo{}); uerr != nil {
				return 0, errors.Join(err, uerr)
			}
			return 0, err
		}
		info.Status = status
		if err := c.update(ctx, route, info); err != nil {
			// Discord answered (status says how), but the limits it told
			// could not be shared: better to stop than to overrun them.
			return status, err
		}
		c.countInvalid(status, info.Scope)
		if status >= 200 && status < 300 {
			if out != nil && status != http.StatusNoContent {
				if err := json.Unmarshal(data, out); err != nil {
					return status, fmt.Errorf("discord: decode %s %s: %w", k.method, k.template, err)
				}
			}
			return status, nil
		}
		apiErr := decodeError(status, data)
		if status == http.StatusTooManyRequests && attempt < c.o.MaxRetries {
			// The limiter now holds the wait; the next Wait honours it.
			continue
		}
		apiErr.RetryAfter = info.RetryAfter
		return status, apiErr
	}
}

// updateTimeout bounds recording an answer's limits.
const updateTimeout = 10 * time.Second

// update records what an answer said of the limits even when the caller
// has given up meanwhile: the request was sent, and every other request of
// the bot (in any process) must count with it.
func (c *Client) update(ctx context.Context, route Route, info RateInfo) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), updateTimeout)
	defer cancel()
	if err := c.o.Limiter.Update(ctx, route, info); err != nil {
		return fmt.Errorf("discord: recording the rate limits of %s %s: %w", route.Method, route.Template, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, k call, payload []byte) (int, RateInfo, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, k.method, c.base+k.path, body)
	if err != nil {
		return 0, RateInfo{}, nil, fmt.Errorf("discord: %s %s: %w", k.method, k.template, err)
	}
	if k.auth != "" {
		req.Header.Set("Authorization", k.auth)
	}
	req.Header.Set("User-Agent", fmt.Sprintf("DiscordBot (%s, %s)", c.o.AppURL, c.o.Version))
	switch {
	case k.form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case payload != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	if k.mutating {
		reason, _ := ctx.Value(reasonKey{}).(string)
		if reason == "" {
			reason = c.o.AuditReason
		}
		// Discord reads the header URL-encoded, so non-ASCII reasons survive.
		req.Header.Set("X-Audit-Log-Reason", url.PathEscape(reason))
	}
	resp, err := c.o.HTTP.Do(req)
	if err != nil {
		return 0, RateInfo{}, nil, fmt.Errorf("discord: %s %s: %w", k.method, k.template, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, RateInfo{}, nil, fmt.Errorf("discord: %s %s: reading the answer: %w", k.method, k.template, err)
	}
	info := rateInfo(resp.Header)
	if resp.StatusCode == http.StatusTooManyRequests {
		info.TooMany = true
		var b struct {
			RetryAfter *float64 `json:"retry_after"`
			Global     bool     `json:"global"`
		}
		_ = json.Unmarshal(data, &b)
		info.Global = info.Global || b.Global
		switch {
		case b.RetryAfter != nil:
			info.RetryAfter = floatSeconds(*b.RetryAfter)
		default:
			// Without a body, the Retry-After header (whole seconds).
			n, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			info.RetryAfter = time.Duration(n) * time.Second
		}
		if info.RetryAfter <= 0 {
			// A 429 with no usable wait must still not become a hot loop.
			info.RetryAfter = time.Second
		}
	}
	return resp.StatusCode, info, data, nil
}

// decodeError reads an error answer: Discord's JSON error, or the OAuth2
// endpoints' RFC 6749 one; anything else is named by its status.
func decodeError(status int, data []byte) *APIError {
	e := &APIError{Status: status}
	var b struct {
		Code        int             `json:"code"`
		Message     string          `json:"message"`
		Errors      json.RawMessage `json:"errors"`
		OAuth       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(data, &b) == nil {
		e.Code, e.Message, e.Errors = b.Code, b.Message, b.Errors
		if e.Code == 0 && e.Message == "" && b.OAuth != "" {
			e.OAuth, e.Message = b.OAuth, b.Description
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.Message == "" {
		e.Message = "HTTP status " + strconv.Itoa(status)
	}
	return e
}

var errEmptyID = errors.New("discord: empty id")

func (c *Client) bot() string { return "Bot " + c.o.BotToken }

// checkIDs refuses empty ids before any request: an empty path segment
// would call a different route.
func checkIDs(ids ...string) error {
	for _, id := range ids {
		if id == "" {
			return errEmptyID
		}
	}
	return nil
}
