package teamspeak3

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
	"time"
)

// WebQuery sends commands over the HTTP interface of servers since 3.12
// (the server's doc/webquery.md): one request per command, POST to
// /{sid}/{command} or /byport/{port}/{command}, the parameters in the query
// string as they are (no escaping), the API key in the x-api-key header,
// and a JSON answer whose status carries ServerQuery's error ids. It has no
// session to keep alive; the limiter applies as to a session.
type WebQuery struct {
	base     string // http(s)://host:port
	path     string // "/1" or "/byport/9987"
	key      string
	client   *http.Client
	limiter  *Limiter
	sendMu   chan struct{} // one request at a time, as a session
	timeout  time.Duration
	maxReply int64
}

// ErrAPIKey is WebQuery refusing the API key.
var ErrAPIKey = errors.New("teamspeak3: WebQuery refused the API key")

// WebQueryOptions configure a WebQuery.
type WebQueryOptions struct {
	// BaseURL is the server's WebQuery origin ("https://ts.example.org:10443").
	BaseURL string
	// ServerID or VoicePort select the virtual server (the port wins).
	ServerID, VoicePort int
	APIKey              string
	HTTP                *http.Client
	Limiter             *Limiter
}

// NewWebQuery makes a WebQuery client.
func NewWebQuery(o WebQueryOptions) *WebQuery {
	w := &WebQuery{base: strings.TrimRight(o.BaseURL, "/"), key: o.APIKey, client: o.HTTP, limiter: o.Limiter,
		sendMu: make(chan struct{}, 1), timeout: exchangeTimeout, maxReply: maxLine}
	if w.client == nil {
		w.client = &http.Client{Timeout: exchangeTimeout}
	}
	w.path = "/" + strconv.Itoa(max(o.ServerID, 1))
	if o.VoicePort != 0 {
		w.path = "/byport/" + strconv.Itoa(o.VoicePort)
	}
	return w
}

// Close implements the querier: WebQuery keeps no connection of its own.
func (w *WebQuery) Close() error { return nil }

// Exec sends one command; an answer's status other than 0 is an *Error.
// Commands with several items (clid=1|clid=2) are not WebQuery's.
func (w *WebQuery) Exec(ctx context.Context, c Command) ([]Item, error) {
	if len(c.More) > 0 {
		return nil, fmt.Errorf("teamspeak3: %s: WebQuery takes one item per command", c.Name)
	}
	select {
	case w.sendMu <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-w.sendMu }()
	if w.limiter != nil {
		if err := w.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		defer w.limiter.Done()
	}
	q := url.Values{}
	for _, a := range c.Args {
		q.Set(a.Key, a.Value)
	}
	u := w.base + w.path + "/" + url.PathEscape(c.Name) + "?" + q.Encode()
	for _, o := range c.Options {
		u += "&-" + url.QueryEscape(o)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, fmt.Errorf("teamspeak3: webquery: %w", err)
	}
	req.Header.Set("X-Api-Key", w.key)
	res, err := w.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnection, c.Name, stripKey(err))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, w.maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnection, c.Name, err)
	}
	if int64(len(body)) > w.maxReply {
		return nil, fmt.Errorf("%w: an answer longer than %d bytes", ErrBadReply, w.maxReply)
	}
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("%w (HTTP %d)", ErrAPIKey, res.StatusCode)
	}
	items, err := decodeWebQuery(body)
	var qe *Error
	if err != nil && !errors.As(err, &qe) {
		if res.StatusCode >= 500 {
			return nil, fmt.Errorf("%w: %s: HTTP %d", ErrConnection, c.Name, res.StatusCode)
		}
		return nil, fmt.Errorf("teamspeak3: %s: HTTP %d: %w", c.Name, res.StatusCode, err)
	}
	return items, err
}

// stripKey keeps a transport error from carrying the request's URL, which
// holds the command's parameters (a privilege key, say).
func stripKey(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// decodeWebQuery reads a WebQuery answer: its body's objects as items
// (strings as they are, other JSON values as their text), its status as
// nil or an *Error.
func decodeWebQuery(b []byte) ([]Item, error) {
	var ans struct {
		Body   []map[string]json.RawMessage `json:"body"`
		Status *struct {
			Code         int    `json:"code"`
			Message      string `json:"message"`
			ExtraMessage string `json:"extra_message"`
		} `json:"status"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&ans); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	if ans.Status == nil {
		return nil, fmt.Errorf("%w: no status", ErrBadReply)
	}
	if ans.Status.Code != 0 {
		e := &Error{ID: ans.Status.Code, Msg: ans.Status.Message}
		if ans.Status.ExtraMessage != "" {
			e.Extra = map[string]string{"extra_msg": ans.Status.ExtraMessage}
		}
		return nil, e
	}
	items := make([]Item, 0, len(ans.Body))
	for _, obj := range ans.Body {
		it := Item{}
		for k, raw := range obj {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = string(bytes.TrimSpace(raw))
			}
			it[k] = s
		}
		items = append(items, it)
	}
	return items, nil
}
