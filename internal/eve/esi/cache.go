package esi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// DefaultMaxCacheBody bounds the answers the cache keeps: larger ones (a
// huge paged list) are not worth a database row and are fetched again.
const DefaultMaxCacheBody = 1 << 20

// SecretPurpose names the key that seals cached answers of authenticated
// calls (secrets.New(key, SecretPurpose)): not the tokens' key, so that a
// cached body never opens as a token nor a token as a body.
const SecretPurpose = "esi cache"

// Sealer encrypts the bodies of authenticated answers at rest
// (*secrets.Box).
type Sealer interface {
	Seal(plaintext, additional string) string
	Open(sealed, additional string) (string, error)
}

// Cache keeps ESI's GET answers in the database (table esi_cache), so every
// process shares them: until Expires an answer is served without asking
// ESI, after it the ETag revalidates it. With each answer it keeps the
// headers ESI sent with it (cachedHeaders), so an answer from the cache
// tells what the fresh one told. Bodies of authenticated calls are a
// character's private data, as sensitive as the token that read them: they
// are sealed like tokens (SealWith), bound to their key, and a cache without
// a Sealer does not keep them at all. Public answers are stored as they
// came. Nothing of a body is ever logged.
type Cache struct {
	db      *store.DB
	maxBody int
	sealer  Sealer
}

// NewCache gives a cache over db; maxBody <= 0 means DefaultMaxCacheBody.
func NewCache(db *store.DB, maxBody int) *Cache {
	if maxBody <= 0 {
		maxBody = DefaultMaxCacheBody
	}
	return &Cache{db: db, maxBody: maxBody}
}

// SealWith makes the cache keep the answers of authenticated calls, sealed
// by s, and gives the cache.
func (c *Cache) SealWith(s Sealer) *Cache {
	c.sealer = s
	return c
}

// cachedHeaders are the headers of ESI's answer that the cache keeps with
// it: what describes the answer (its type, language, validators, expiry,
// pages) and the rate-limit bucket it was counted in, as Neucore's HTTP
// cache replays them. The error limit's headers are not kept: they tell of
// the moment, not of the answer, and the gate reads them as they come.
var cachedHeaders = []string{
	"Content-Type", "Content-Language", "ETag", "Last-Modified", "Expires", "X-Pages",
	"X-Ratelimit-Group", "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Used",
	"X-Compatibility-Date", "Warning",
}

// keptHeaders picks the cachedHeaders of h.
func keptHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, name := range cachedHeaders {
		if v := h.Values(name); len(v) > 0 {
			out[http.CanonicalHeaderKey(name)] = v
		}
	}
	return out
}

// withKept gives h with the kept headers it lacks filled in: a 304 carries
// the validators, expiry and bucket, seldom the type or page count.
func withKept(h, kept http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for name, v := range kept {
		if len(out.Values(name)) == 0 {
			out[name] = v
		}
	}
	return out
}

func encodeHeader(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	b, _ := json.Marshal(h) // a map of strings always encodes
	return string(b)
}

// decodeHeader reads a stored header; a row from before headers were kept
// (or a damaged one) gives none, and the answer is served without them.
func decodeHeader(s string) http.Header {
	h := http.Header{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &h)
	}
	return h
}

// cacheEntry is one cached answer.
type cacheEntry struct {
	etag         string
	expires      time.Time
	lastModified time.Time
	body         []byte
	pages        int
	header       http.Header // the cachedHeaders ESI sent
}

// noTime stands for "none" in the NOT NULL time columns.
var noTime = time.Unix(0, 0).UTC()

// cacheKey names an answer by everything that selects it: method, path and
// query, whose token asked, and the request headers the answer varies by
// (vary; empty for Keepstar's own calls). It is hashed so that long queries
// fit any index.
func cacheKey(method, path, query string, characterID int32, login, vary string) string {
	s := method + "\n" + path + "?" + query + "\n" + strconv.Itoa(int(characterID)) + "\n" + login
	if vary != "" {
		s += "\n" + vary
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// get reads an entry; found is false when there is none. An entry of an
// authenticated call counts only when it is sealed and opens: one stored
// in the clear (by a process of an earlier version), or sealed under
// another secret key, is as good as none and is replaced by the next answer.
func (c *Cache) get(ctx context.Context, key string, authenticated bool) (e cacheEntry, found bool, err error) {
	var header string
	var sealed bool
	err = c.db.QueryRow(ctx, `SELECT etag, expires, last_modified, body, pages, header, sealed FROM esi_cache WHERE key = $1`, key).
		Scan(&e.etag, &e.expires, &e.lastModified, &e.body, &e.pages, &header, &sealed)
	if errors.Is(err, store.ErrNoRows) {
		return cacheEntry{}, false, nil
	}
	if err != nil {
		return cacheEntry{}, false, fmt.Errorf("esi: read cache: %w", err)
	}
	if authenticated {
		if !sealed || c.sealer == nil {
			return cacheEntry{}, false, nil
		}
		plain, err := c.sealer.Open(string(e.body), key)
		if err != nil {
			return cacheEntry{}, false, nil
		}
		e.body = []byte(plain)
	}
	if e.lastModified.Equal(noTime) {
		e.lastModified = time.Time{}
	}
	e.header = decodeHeader(header)
	return e, true, nil
}

// put stores an answer, unless it is too large or cannot be revalidated
// and is already stale (nothing would ever read it), or is the answer of an
// authenticated call and there is no Sealer to seal it.
func (c *Cache) put(ctx context.Context, key string, e cacheEntry, authenticated bool, now time.Time) error {
	if len(e.body) > c.maxBody || (e.etag == "" && !e.expires.After(now)) || (authenticated && c.sealer == nil) {
		return nil
	}
	lm := e.lastModified
	if lm.IsZero() {
		lm = noTime
	}
	body := e.body
	if body == nil {
		body = []byte{} // NOT NULL, and ESI's empty answers are empty
	}
	if authenticated {
		body = []byte(c.sealer.Seal(string(body), key))
	}
	_, err := c.db.Exec(ctx, `INSERT INTO esi_cache (key, etag, expires, last_modified, body, pages, header, sealed, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, expires = excluded.expires,
			last_modified = excluded.last_modified, body = excluded.body, pages = excluded.pages,
			header = excluded.header, sealed = excluded.sealed, updated = excluded.updated`,
		key, e.etag, e.expires, lm, body, e.pages, encodeHeader(e.header), authenticated, now)
	if err != nil {
		return fmt.Errorf("esi: write cache: %w", err)
	}
	return nil
}

// refresh records a 304: the cached body is good until the new expiry,
// and the headers are those the 304 brought (with the kept ones it lacked).
func (c *Cache) refresh(ctx context.Context, key string, expires time.Time, header http.Header, now time.Time) error {
	if _, err := c.db.Exec(ctx, `UPDATE esi_cache SET expires = $2, header = $3, updated = $4 WHERE key = $1`,
		key, expires, encodeHeader(header), now); err != nil {
		return fmt.Errorf("esi: refresh cache: %w", err)
	}
	return nil
}

// DeleteExpired removes the answers that expired before now minus
// olderThan (kept that long for revalidation by ETag) and tells how many.
func (c *Cache) DeleteExpired(ctx context.Context, now time.Time, olderThan time.Duration) (int64, error) {
	n, err := c.db.Exec(ctx, `DELETE FROM esi_cache WHERE expires < $1`, now.Add(-olderThan))
	if err != nil {
		return 0, fmt.Errorf("esi: delete expired cache: %w", err)
	}
	return n, nil
}
