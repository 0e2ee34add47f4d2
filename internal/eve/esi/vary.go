package esi

import (
	"strings"
	"time"
)

// The request headers an ESI answer varies by, besides the path, query and
// token: X-Compatibility-Date and Accept-Language. A relayed client names
// its own; each distinct value is another call to ESI and another row in
// the cache, so only the values ESI's specification allows are taken, in
// one spelling each.

// Languages are the values of Accept-Language that ESI's specification
// allows (its AcceptLanguage parameter); "en" is the default.
var Languages = []string{"en", "de", "fr", "ja", "ru", "zh", "ko", "es"}

// Language gives the canonical spelling of an Accept-Language value: one of
// Languages, matched without regard to case, with the legacy "en-us" of
// ESI's Swagger 2.0 specification (the same English) as "en", and "en" for
// none. ok is false for anything else, a list with weights included: ESI
// takes one language, not a negotiation.
func Language(v string) (lang string, ok bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch v {
	case "", "en-us":
		return "en", true
	}
	for _, l := range Languages {
		if v == l {
			return l, true
		}
	}
	return "", false
}

// FirstCompatibilityDate is the oldest compatibility date of ESI's routes
// (the specification's x-compatibility-date values start there): an earlier
// date selects the same versions.
const FirstCompatibilityDate = "2020-01-01"

// CompatibilityDateOf gives the canonical X-Compatibility-Date for a value
// a client sent: CompatibilityDate for none; a calendar date as ESI takes
// it, YYYY-MM-DD and not after today (UTC), which ESI refuses with 400 as
// the simulator does; dates before FirstCompatibilityDate as that date.
// ok is false for a value ESI would refuse.
func CompatibilityDateOf(v string, now time.Time) (date string, ok bool) {
	if v == "" {
		return CompatibilityDate, true
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return "", false
	}
	if d.After(now.UTC().Truncate(24 * time.Hour)) {
		return "", false
	}
	if s := d.Format(time.DateOnly); s > FirstCompatibilityDate {
		return s, true
	}
	return FirstCompatibilityDate, true
}
