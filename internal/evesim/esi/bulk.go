package esi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxBulkIDs is ESI's limit on the ids of one bulk request (affiliation,
// names): the spec's maxItems.
const maxBulkIDs = 1000

// maxBodyBytes bounds a request body: 1000 ids of 19 digits fit many times.
const maxBodyBytes = 1 << 20

// ErrBulkBody is the cause of a 400 for a bad bulk body.
var ErrBulkBody = errors.New("invalid bulk body")

// readIDs reads a bulk body: a JSON array of 1 to limit distinct int64 ids,
// as the spec's schema (minItems 1, maxItems, uniqueItems) asks.
func readIDs(r *http.Request, limit int) ([]int64, error) {
	ids, err := parseIDs(io.LimitReader(r.Body, maxBodyBytes), limit)
	if err != nil {
		return nil, errBadRequest(err.Error())
	}
	return ids, nil
}

// parseIDs is readIDs' parser, apart for fuzzing.
func parseIDs(body io.Reader, limit int) ([]int64, error) {
	var ids []int64
	dec := json.NewDecoder(body)
	if err := dec.Decode(&ids); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBulkBody, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the array", ErrBulkBody)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the array", ErrBulkBody)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no ids", ErrBulkBody)
	}
	if len(ids) > limit {
		return nil, fmt.Errorf("%w: %d ids, at most %d allowed", ErrBulkBody, len(ids), limit)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return nil, fmt.Errorf("%w: id %d repeated", ErrBulkBody, id)
		}
		seen[id] = true
	}
	return ids, nil
}
