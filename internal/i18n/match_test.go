package i18n

import (
	"fmt"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, tc := range []struct {
		choice, header, want string
	}{
		{"", "", "en"},
		{"de", "", "de"},
		{"es", "de-DE,de;q=0.9", "es"},        // the stored choice wins
		{"zh-Hans", "en", "zh-Hans"},          // ...even over English
		{"fr", "de", "de"},                    // an unsupported choice is ignored
		{"DE", "es", "es"},                    // choices are stored tags, spelt exactly
		{"", "de-AT,de;q=0.9", "de"},          // region
		{"", "de-CH", "de"},                   // region only
		{"", "en-US,en;q=0.9,de;q=0.8", "en"}, // order
		{"", "en;q=0.1,de;q=0.9", "de"},       // q-values, not order
		{"", "fr-FR,fr;q=0.9,es;q=0.5", "es"}, // first supported language
		{"", "fr-FR,fr;q=0.9", "en"},          // nothing supported
		{"", "es-419", "es"},                  // Latin American Spanish
		{"", "es-MX,es;q=0.9,en;q=0.8", "es"},
		{"", "zh-CN,zh;q=0.9", "zh-Hans"}, // Simplified Chinese
		{"", "zh", "zh-Hans"},
		{"", "zh-SG", "zh-Hans"},
		{"", "zh-TW", "zh-Hans"}, // Traditional: Simplified rather than English
		{"", "zh-HK", "zh-Hans"},
		{"", "zh-TW,en;q=0.8", "en"}, // ...unless English is asked for
		{"", "*", "en"},              // wildcard
		{"", "fr,*;q=0.5", "en"},
		{"", "de;q=0", "en"},     // q=0 means "not German"
		{"", "garbage!!!", "en"}, // malformed
		{"", ";;;,,,", "en"},
		{"", strings.Repeat("de,", 500), "de"}, // long, and not cached
		{"", "x-klingon", "en"},                // private use
		{"", "de-AT,de;q=0.9,en;q=0.8", "de"},  // the brief's example
		{"", "pt-BR,pt;q=0.9,es;q=0.8", "es"},
		{"", "  de-DE , en ; q=0.5 ", "de"}, // spaces
		{"", "EN-gb", "en"},                 // case
		{"", "sv-SE,sv;q=0.9,nb;q=0.8", "en"},
		{"", "sv-SE,de;q=0.1,en-US;q=0.05", "de"},
	} {
		t.Run(tc.choice+"|"+tc.header, func(t *testing.T) {
			for range 2 { // uncached, then cached
				if got := c.Match(tc.choice, tc.header); got != tc.want {
					t.Errorf("Match(%q, %q) = %q, want %q", tc.choice, tc.header, got, tc.want)
				}
			}
		})
	}
}

func TestMatchCacheIsBounded(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for i := range 3 * matchCacheSize {
		c.Match("", fmt.Sprintf("de,x-%d", i))
	}
	c.Match("", strings.Repeat("es,", 200))
	if n := len(c.matched.m); n > matchCacheSize {
		t.Errorf("the cache holds %d headers, more than %d", n, matchCacheSize)
	}
	if _, ok := c.matched.m[strings.Repeat("es,", 200)]; ok {
		t.Errorf("a header longer than %d bytes was cached", matchCacheMaxHeader)
	}
}

func BenchmarkMatch(b *testing.B) {
	c, err := Load()
	if err != nil {
		b.Fatalf("Load: %v", err)
	}
	const header = "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7"
	b.Run("choice", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Match("de", header)
		}
	})
	b.Run("header", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Match("", header)
		}
	})
	b.Run("header-uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.matchHeader(header)
		}
	})
}
