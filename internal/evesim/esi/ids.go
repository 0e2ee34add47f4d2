package esi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"
)

// The spec's limits on the body of POST /universe/ids: 1 to 500 distinct
// names, each 1 to 100 characters.
const (
	maxIDNames   = 500
	maxNameRunes = 100
)

// idEntry is one match of POST /universe/ids (the spec's
// UniverseIdsPost_*_inner).
type idEntry struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ids resolves exact names, regardless of case, to the entities of every
// category the universe has. A name without a match is left out of the
// answer, and a category without matches too; a request where nothing
// matches gets an empty object, not a 404 (unlike /universe/names).
func (s *Server) ids(_ context.Context, c *call) (result, error) {
	names, err := parseNames(io.LimitReader(c.r.Body, maxBodyBytes))
	if err != nil {
		return result{}, errBadRequest(err.Error())
	}
	out := map[string][]idEntry{}
	for _, name := range names {
		for _, n := range s.u.FindByName(name) {
			out[n.Category] = append(out[n.Category], idEntry{ID: int64(n.ID), Name: n.Name})
		}
	}
	return result{status: http.StatusOK, body: out, modified: c.now}, nil
}

// parseNames reads the body of POST /universe/ids: a JSON array of 1 to 500
// distinct strings of 1 to 100 characters, as the spec's schema asks.
func parseNames(body io.Reader) ([]string, error) {
	var names []string
	dec := json.NewDecoder(body)
	if err := dec.Decode(&names); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBulkBody, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the array", ErrBulkBody)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no names", ErrBulkBody)
	}
	if len(names) > maxIDNames {
		return nil, fmt.Errorf("%w: %d names, at most %d allowed", ErrBulkBody, len(names), maxIDNames)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if l := utf8.RuneCountInString(n); l < 1 || l > maxNameRunes {
			return nil, fmt.Errorf("%w: a name must have 1 to %d characters", ErrBulkBody, maxNameRunes)
		}
		if seen[n] {
			return nil, fmt.Errorf("%w: name %q repeated", ErrBulkBody, n)
		}
		seen[n] = true
	}
	return names, nil
}
