package esi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The header parsers read what a server (or a proxy in front of it) sent:
// anything may be missing or malformed. None panics, and each bounds what it
// accepts so that a bad header can never make the gate wait for a year.
const (
	maxHeaderWait = 24 * time.Hour
	maxPages      = 100000
	maxTokens     = 1 << 20
	maxGroupLen   = 100
)

// errorLimit reads the legacy error limit: errors left in the window and
// the time until it resets. ok is false unless both are there and sane.
func errorLimit(h http.Header) (remain int, reset time.Duration, ok bool) {
	r, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-ESI-Error-Limit-Remain")))
	s, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-ESI-Error-Limit-Reset")))
	if err1 != nil || err2 != nil || r < 0 || r > maxTokens || s < 0 || s > int(maxHeaderWait/time.Second) {
		return 0, 0, false
	}
	return r, time.Duration(s) * time.Second, true
}

// bucketState is what a bucketed route's headers tell of its bucket.
type bucketState struct {
	group     string
	limit     int
	window    time.Duration
	remaining int
}

// rateLimit reads X-Ratelimit-Group, -Limit ("600/15m") and -Remaining.
func rateLimit(h http.Header) (bucketState, bool) {
	group := strings.TrimSpace(h.Get("X-Ratelimit-Group"))
	if group == "" || len(group) > maxGroupLen || !utf8.ValidString(group) || strings.ContainsAny(group, ": \t") {
		return bucketState{}, false
	}
	limit, window, ok := parseLimit(h.Get("X-Ratelimit-Limit"))
	if !ok {
		return bucketState{}, false
	}
	remaining, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Ratelimit-Remaining")))
	if err != nil || remaining < 0 {
		return bucketState{}, false
	}
	return bucketState{group: group, limit: limit, window: window, remaining: min(remaining, limit)}, true
}

// parseLimit reads "600/15m": tokens per window.
func parseLimit(v string) (tokens int, window time.Duration, ok bool) {
	n, w, found := strings.Cut(strings.TrimSpace(v), "/")
	if !found {
		return 0, 0, false
	}
	tokens, err := strconv.Atoi(n)
	if err != nil || tokens < 1 || tokens > maxTokens {
		return 0, 0, false
	}
	window, err = time.ParseDuration(strings.TrimSpace(w))
	if err != nil || window < time.Second || window > maxHeaderWait {
		return 0, 0, false
	}
	return tokens, window, true
}

// retryAfter reads Retry-After, in seconds or as an HTTP date; ok is false
// when it is missing or unreadable.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return min(time.Duration(min(s, int(maxHeaderWait/time.Second)))*time.Second, maxHeaderWait), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxHeaderWait), true
}

// pages reads X-Pages: 1 when missing or malformed.
func pages(h http.Header) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Pages")))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPages)
}

// httpTime reads an HTTP date header; the zero time when missing or bad.
func httpTime(h http.Header, name string) time.Time {
	t, err := http.ParseTime(h.Get(name))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// expiry is when an answer goes stale: its Expires, never before now (a
// missing or past Expires means revalidate at every use) and never more
// than a day ahead (ESI's longest cache is a day).
func expiry(h http.Header, now time.Time) time.Time {
	t := httpTime(h, "Expires")
	if t.Before(now) {
		return now
	}
	if limit := now.Add(maxHeaderWait + time.Hour); t.After(limit) {
		return limit
	}
	return t
}

// errorMessage gives the message of ESI's {"error": "..."} body, or a short
// printable prefix of whatever else came (a proxy's HTML page).
func errorMessage(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return truncate(e.Error, 300)
	}
	s := strings.ToValidUTF8(string(body[:min(len(body), 300)]), "")
	return strings.Join(strings.Fields(s), " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
