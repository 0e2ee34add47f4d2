package esi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// maxBulkIDs is ESI's limit on the ids of one bulk POST.
const maxBulkIDs = 1000

// Affiliation is a character's corporation, alliance and faction.
// CorporationID DoomheimID means the character was biomassed.
type Affiliation struct {
	CharacterID   int32 `json:"character_id"`
	CorporationID int32 `json:"corporation_id"`
	AllianceID    int32 `json:"alliance_id"`
	FactionID     int32 `json:"faction_id"`
}

// Affiliations resolves characters in chunks of 1000, several chunks at
// once (Config.Concurrency). ESI answers 404 for a whole chunk when any id
// in it is not a character (esi/esi-issues#719), so such a chunk is split
// until the culprits are alone, as Names does: they come back in unknown,
// the rest resolved. On error nothing is returned: the caller retries the
// whole set (cached chunks cost nothing).
func (c *Client) Affiliations(ctx context.Context, ids []int32) (affs []Affiliation, unknown []int32, err error) {
	return bulk[Affiliation](ctx, c, "POST /characters/affiliation", "/characters/affiliation", ids)
}

// Name is an entry of POST /universe/names.
type Name struct {
	ID       int32  `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
}

// Names resolves ids of any kind in chunks of 1000. ESI answers 404 for a
// whole chunk when one id in it cannot be resolved, so such a chunk is
// split in halves until the culprits are alone: they are returned in
// unresolved, the rest resolved.
func (c *Client) Names(ctx context.Context, ids []int32) (names []Name, unresolved []int32, err error) {
	return bulk[Name](ctx, c, "POST /universe/names", "/universe/names", ids)
}

// bulk posts ids to one of ESI's all-or-nothing bulk routes, in chunks of
// 1000 several at once, and isolates the ids ESI refuses (see resolve).
func bulk[T any](ctx context.Context, c *Client, route, path string, ids []int32) ([]T, []int32, error) {
	chunks := chunk(validIDs(ids), maxBulkIDs)
	type part struct {
		found []T
		bad   []int32
	}
	parts := make([]part, len(chunks))
	err := c.forEach(ctx, len(chunks), func(ctx context.Context, i int) error {
		var err error
		parts[i].found, parts[i].bad, err = resolve[T](ctx, c, route, path, chunks[i])
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var found []T
	var bad []int32
	for _, p := range parts {
		found = append(found, p.found...)
		bad = append(bad, p.bad...)
	}
	return found, bad, nil
}

// resolve posts one chunk. A 404 refuses the whole chunk for the sake of
// one id or a few: the chunk is split in halves until the culprits are
// alone. Each split costs a request, and each 404 one of ESI's error limit,
// so a single bad id among a thousand costs about twenty requests: callers
// keep the ids found bad out of later bulk requests.
func resolve[T any](ctx context.Context, c *Client, route, path string, ids []int32) ([]T, []int32, error) {
	res, err := c.Post(ctx, Request{Route: route, Path: path, Body: ids})
	if errors.Is(err, ErrNotFound) {
		if len(ids) == 1 {
			return nil, ids, nil
		}
		half := len(ids) / 2
		f1, bad1, err := resolve[T](ctx, c, route, path, ids[:half])
		if err != nil {
			return nil, nil, err
		}
		f2, bad2, err := resolve[T](ctx, c, route, path, ids[half:])
		if err != nil {
			return nil, nil, err
		}
		return append(f1, f2...), append(bad1, bad2...), nil
	}
	if err != nil {
		return nil, nil, err
	}
	var out []T
	if err := json.Unmarshal(res.Body, &out); err != nil {
		return nil, nil, fmt.Errorf("esi: %s: decode answer: %w", route, err)
	}
	return out, nil, nil
}

// validIDs drops what ESI would reject the whole body for: ids below 1 and
// repeats (the spec says uniqueItems).
func validIDs(ids []int32) []int32 {
	seen := make(map[int32]bool, len(ids))
	out := make([]int32, 0, len(ids))
	for _, id := range ids {
		if id > 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func chunk(ids []int32, size int) [][]int32 {
	var out [][]int32
	for len(ids) > 0 {
		n := min(size, len(ids))
		out = append(out, ids[:n:n])
		ids = ids[n:]
	}
	return out
}

// forEach runs fn for 0..n-1, Config.Concurrency at a time, and returns
// the first error; the first error cancels the calls not yet finished.
func (c *Client) forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, c.cfg.Concurrency)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel(err) })
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}
