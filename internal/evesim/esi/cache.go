package esi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// setCaching adds the caching headers of a 200 and turns it into a 304
// when the caller already holds the body (If-None-Match). Routes whose spec
// declares no cache age (x-cache-age) expire at once: clients revalidate
// them with their ETag on every use rather than trust an invented TTL.
func setCaching(rep *reply, rt *route, r *http.Request, now time.Time, modified time.Time) {
	sum := sha256.Sum256(rep.body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := rep.header
	h.Set("ETag", etag)
	if modified.IsZero() || modified.After(now) {
		modified = now
	}
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	h.Set("Expires", now.Add(time.Duration(rt.cacheSeconds)*time.Second).UTC().Format(http.TimeFormat))
	visibility := "public"
	if rt.isPrivate() {
		visibility = "private"
	}
	h.Set("Cache-Control", visibility+", max-age="+strconv.Itoa(rt.cacheSeconds))
	if notModified(r, etag, modified) {
		rep.status = http.StatusNotModified
		rep.body = nil
	}
}

// notModified applies the conditional headers the spec lists: If-None-Match
// and, only when that is absent (RFC 9110, 13.2.2), If-Modified-Since.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return etagMatches(inm, etag)
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	if err != nil {
		return false // absent or unparsable: ignored, as RFC 9110 asks
	}
	return !modified.Truncate(time.Second).After(ims)
}

// etagMatches tells whether an If-None-Match header names etag, comparing
// weakly as RFC 9110 asks for If-None-Match.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, cand := range strings.Split(header, ",") {
		cand = strings.TrimPrefix(strings.TrimSpace(cand), "W/")
		if cand == "*" || cand == etag {
			return true
		}
	}
	return false
}
