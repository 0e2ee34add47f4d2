package discord

import (
	"encoding/json"
	"slices"
	"strconv"
)

// A Discord service account's State is the member's role ids as last seen
// (the answer of the PATCH or PUT that set them, or an observation), a JSON
// array of snowflakes, sorted: Apply reads the member's current roles from
// it instead of asking Discord.

// parseState reads a State. ok is false for anything but a JSON array of
// snowflakes (an account linked before States were kept, a damaged row):
// the caller then reads the member.
func parseState(state string) (roles []string, ok bool) {
	if err := json.Unmarshal([]byte(state), &roles); err != nil || roles == nil {
		return nil, false
	}
	for _, id := range roles {
		if !isSnowflake(id) {
			return nil, false
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles), true
}

// formatState writes a State of role ids.
func formatState(roles []string) string {
	ids := slices.Clone(roles)
	if ids == nil {
		ids = []string{}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	b, _ := json.Marshal(ids) // strings always encode
	return string(b)
}

// isSnowflake reports whether id is a Discord id: the decimal digits of a
// 64-bit number other than 0, without leading zeros.
func isSnowflake(id string) bool {
	_, err := strconv.ParseUint(id, 10, 64)
	return err == nil && id[0] != '0'
}

// lessID orders snowflakes as numbers (older first), which for canonical
// digits is shorter first, then by text.
func lessID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
