package esi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxIDNames is ESI's limit on the names of one POST /universe/ids (the
// spec's maxItems); a name is 1 to 100 characters (minLength, maxLength).
const (
	maxIDNames   = 500
	maxNameRunes = 100
)

// IDs is the answer of POST /universe/ids for the kinds Keepstar names:
// the exact matches of the names asked, by category. ESI leaves out a
// name without a match, and matches regardless of case.
type IDs struct {
	Characters   []IDName `json:"characters"`
	Corporations []IDName `json:"corporations"`
	Alliances    []IDName `json:"alliances"`
	Factions     []IDName `json:"factions"`
}

// IDName is one match of POST /universe/ids.
type IDName struct {
	ID   int32  `json:"id"`
	Name string `json:"name"`
}

// Of gives the matches of one kind ("character", "corporation", "alliance"
// or "faction").
func (ids IDs) Of(kind string) []IDName {
	switch kind {
	case "character":
		return ids.Characters
	case "corporation":
		return ids.Corporations
	case "alliance":
		return ids.Alliances
	case "faction":
		return ids.Factions
	}
	return nil
}

// ResolveNames asks ESI for the ids of exact names, 500 to a request. What
// ESI would refuse the whole request for is left out first: blank names,
// names over 100 characters, repeats (the spec's uniqueItems; compared
// without case, as ESI matches).
func (c *Client) ResolveNames(ctx context.Context, names []string) (IDs, error) {
	var valid []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		key := strings.ToLower(n)
		if n == "" || utf8.RuneCountInString(n) > maxNameRunes || seen[key] {
			continue
		}
		seen[key] = true
		valid = append(valid, n)
	}
	var out IDs
	for len(valid) > 0 {
		n := min(maxIDNames, len(valid))
		res, err := c.Post(ctx, Request{Route: "POST /universe/ids", Path: "/universe/ids", Body: valid[:n]})
		if err != nil {
			return IDs{}, err
		}
		var part IDs
		if err := json.Unmarshal(res.Body, &part); err != nil {
			return IDs{}, fmt.Errorf("esi: POST /universe/ids: decode answer: %w", err)
		}
		out.Characters = append(out.Characters, part.Characters...)
		out.Corporations = append(out.Corporations, part.Corporations...)
		out.Alliances = append(out.Alliances, part.Alliances...)
		out.Factions = append(out.Factions, part.Factions...)
		valid = valid[n:]
	}
	return out, nil
}
