package esi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// DefaultMaxCacheBody bounds the answers the cache keeps: larger ones (a
// huge paged list) are not worth a database row and are fetched again.
const DefaultMaxCacheBody = 1 << 20

// Cache keeps ESI's GET answers in the database (table esi_cache), so every
// process shares them: until Expires an answer is served without asking
// ESI, after it the ETag revalidates it. Bodies of authenticated routes are
// stored like the others (keyed by character and login) and never logged.
type Cache struct {
	db      *store.DB
	maxBody int
}

// NewCache gives a cache over db; maxBody <= 0 means DefaultMaxCacheBody.
func NewCache(db *store.DB, maxBody int) *Cache {
	if maxBody <= 0 {
		maxBody = DefaultMaxCacheBody
	}
	return &Cache{db: db, maxBody: maxBody}
}

// cacheEntry is one cached answer.
type cacheEntry struct {
	etag         string
	expires      time.Time
	lastModified time.Time
	body         []byte
	pages        int
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

// get reads an entry; found is false when there is none.
func (c *Cache) get(ctx context.Context, key string) (e cacheEntry, found bool, err error) {
	err = c.db.QueryRow(ctx, `SELECT etag, expires, last_modified, body, pages FROM esi_cache WHERE key = $1`, key).
		Scan(&e.etag, &e.expires, &e.lastModified, &e.body, &e.pages)
	if errors.Is(err, store.ErrNoRows) {
		return cacheEntry{}, false, nil
	}
	if err != nil {
		return cacheEntry{}, false, fmt.Errorf("esi: read cache: %w", err)
	}
	if e.lastModified.Equal(noTime) {
		e.lastModified = time.Time{}
	}
	return e, true, nil
}

// put stores an answer, unless it is too large or cannot be revalidated
// and is already stale (nothing would ever read it).
func (c *Cache) put(ctx context.Context, key string, e cacheEntry, now time.Time) error {
	if len(e.body) > c.maxBody || (e.etag == "" && !e.expires.After(now)) {
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
	_, err := c.db.Exec(ctx, `INSERT INTO esi_cache (key, etag, expires, last_modified, body, pages, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, expires = excluded.expires,
			last_modified = excluded.last_modified, body = excluded.body, pages = excluded.pages, updated = excluded.updated`,
		key, e.etag, e.expires, lm, body, e.pages, now)
	if err != nil {
		return fmt.Errorf("esi: write cache: %w", err)
	}
	return nil
}

// refresh records a 304: the cached body is good until the new expiry.
func (c *Cache) refresh(ctx context.Context, key string, expires, now time.Time) error {
	if _, err := c.db.Exec(ctx, `UPDATE esi_cache SET expires = $2, updated = $3 WHERE key = $1`, key, expires, now); err != nil {
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
