package esi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
// once (Config.Concurrency). Ids ESI does not know are left out of the
// answer, as ESI leaves them out. On error nothing is returned: the caller
// retries the whole set (cached chunks cost nothing).
func (c *Client) Affiliations(ctx context.Context, ids []int32) ([]Affiliation, error) {
	chunks := chunk(validIDs(ids), maxBulkIDs)
	results := make([][]Affiliation, len(chunks))
	err := c.forEach(ctx, len(chunks), func(ctx context.Context, i int) error {
		res, err := c.Post(ctx, Request{Route: "POST /characters/affiliation", Path: "/characters/affiliation", Body: chunks[i]})
		if errors.Is(err, ErrNotFound) {
			return nil // none of the chunk's ids is a character
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(res.Body, &results[i]); err != nil {
			return fmt.Errorf("esi: affiliations: decode answer: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(results...), nil
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
	chunks := chunk(validIDs(ids), maxBulkIDs)
	type part struct {
		names []Name
		bad   []int32
	}
	parts := make([]part, len(chunks))
	err = c.forEach(ctx, len(chunks), func(ctx context.Context, i int) error {
		var err error
		parts[i].names, parts[i].bad, err = c.names(ctx, chunks[i])
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	for _, p := range parts {
		names = append(names, p.names...)
		unresolved = append(unresolved, p.bad...)
	}
	return names, unresolved, nil
}

func (c *Client) names(ctx context.Context, ids []int32) ([]Name, []int32, error) {
	res, err := c.Post(ctx, Request{Route: "POST /universe/names", Path: "/universe/names", Body: ids})
	if errors.Is(err, ErrNotFound) {
		if len(ids) == 1 {
			return nil, ids, nil
		}
		half := len(ids) / 2
		n1, bad1, err := c.names(ctx, ids[:half])
		if err != nil {
			return nil, nil, err
		}
		n2, bad2, err := c.names(ctx, ids[half:])
		if err != nil {
			return nil, nil, err
		}
		return append(n1, n2...), append(bad1, bad2...), nil
	}
	if err != nil {
		return nil, nil, err
	}
	var out []Name
	if err := json.Unmarshal(res.Body, &out); err != nil {
		return nil, nil, fmt.Errorf("esi: names: decode answer: %w", err)
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
