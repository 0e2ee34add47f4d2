package i18n

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
)

const (
	// matchCacheSize bounds the headers Match remembers. Real browsers send
	// a few dozen distinct Accept-Language headers; when more arrive (a
	// crawler, someone sending junk) the cache starts afresh rather than
	// growing.
	matchCacheSize = 512

	// matchCacheMaxHeader is the longest header Match remembers; a longer
	// one is matched every time, so nobody fills memory with huge keys.
	matchCacheMaxHeader = 256
)

// matchCache remembers the language Match chose for recent Accept-Language
// headers: parsing and matching one costs about two microseconds and twenty
// allocations, on every request.
type matchCache struct {
	mu sync.RWMutex
	m  map[string]string
}

// Match returns the tag of the language to show a page in: choice, the
// user's stored choice, if it is a supported tag (it may be empty); else the
// supported language that best fits the Accept-Language header; else
// English.
//
// Matching follows CLDR through golang.org/x/text/language: regions and
// close variants match their language (de-AT is German, es-419 Spanish,
// zh-CN Simplified Chinese), and the header's order and q-values are
// honoured. zh-TW, zh-HK and zh-Hant get Simplified Chinese, a weak match
// that x/text allows: a reader of Traditional Chinese reads Simplified
// better than English, and one who would rather have English says so in the
// header (zh-TW,en;q=0.8 gets English). A zh-Hant catalogue would be chosen
// for them as soon as it exists. A wildcard, an empty or a malformed header
// gets English.
func (c *Catalogue) Match(choice, acceptLanguage string) string {
	if choice != "" {
		if _, ok := c.localizers[choice]; ok {
			return choice
		}
	}
	if acceptLanguage == "" {
		return Source
	}
	if c.pseudo && acceptLanguage == PseudoTag {
		return PseudoTag
	}
	c.matched.mu.RLock()
	tag, ok := c.matched.m[acceptLanguage]
	c.matched.mu.RUnlock()
	if ok {
		return tag
	}

	tag = c.matchHeader(acceptLanguage)
	if len(acceptLanguage) <= matchCacheMaxHeader {
		c.matched.mu.Lock()
		if len(c.matched.m) >= matchCacheSize {
			clear(c.matched.m)
		}
		// A copy, so the cache does not keep the request's memory alive.
		c.matched.m[strings.Clone(acceptLanguage)] = tag
		c.matched.mu.Unlock()
	}
	return tag
}

// matchHeader does Match's work for an Accept-Language header.
func (c *Catalogue) matchHeader(acceptLanguage string) string {
	wanted, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(wanted) == 0 {
		return Source
	}
	// The index, not the tag returned, which carries extensions
	// (zh-Hans-u-rg-cnzzzz). With no match the index is 0, English.
	_, i, confidence := c.matcher.Match(wanted...)
	if confidence == language.No {
		return Source
	}
	return c.tags[i]
}
