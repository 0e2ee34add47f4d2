package esi

import (
	"testing"
	"time"
)

// Accept-Language takes the specification's languages, one spelling each.
func TestLanguage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "en", "en": "en", "EN": "en", "en-us": "en", "en-US": "en", "de": "de", " fr ": "fr", "zh": "zh", "ko": "ko",
		"es": "es", "ja": "ja", "ru": "ru",
		"en-GB": "", "de-DE": "", "en-US,en;q=0.9": "", "xx": "", "de\x00": "", "*": "",
	} {
		got, ok := Language(in)
		if got != want || ok != (want != "") {
			t.Errorf("Language(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// X-Compatibility-Date takes what ESI takes: a date not after today (UTC);
// none is Keepstar's date, and dates before ESI's first one are that one.
func TestCompatibilityDateOf(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 9, 1, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)) // 2026-09-02 04:30 UTC
	for in, want := range map[string]string{
		"":                     CompatibilityDate,
		"2026-08-18":           "2026-08-18",
		"2025-08-26":           "2025-08-26",
		"2026-09-02":           "2026-09-02",
		"2020-01-01":           "2020-01-01",
		"2019-06-30":           "2020-01-01",
		"0001-01-01":           "2020-01-01",
		"2026-09-03":           "", // tomorrow in UTC
		"2099-01-01":           "",
		"2026-8-18":            "",
		"2026-08-18T00:00:00Z": "",
		"20260818":             "",
		"2026-02-30":           "",
		"latest":               "",
		" 2026-08-18":          "",
	} {
		got, ok := CompatibilityDateOf(in, now)
		if got != want || ok != (want != "") {
			t.Errorf("CompatibilityDateOf(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
