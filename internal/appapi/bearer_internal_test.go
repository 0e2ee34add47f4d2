package appapi

import (
	"regexp"
	"testing"
)

// TestBearerTokenReadsAsNeucore: the Authorization header is read exactly as
// Neucore's regular expression reads it.
func TestBearerTokenReadsAsNeucore(t *testing.T) {
	neucore := regexp.MustCompile(`(?i)^Bearer\s+(.*)$`)
	for _, h := range []string{
		"", "Bearer", "Bearer ", "Bearer  ", "Bearer x", "bearer x", "BEARER x", "BeArEr\tx", "Bearer\n\r\f x y ",
		"Bearerx", "Bearer\vx", " Bearer x", "Basic x", "Bearer x\n", "Bearer x\ny", "Bearer \n", "Bearer\u00a0x",
		"Bearer x\r", "Bearer é", "Bearé x", "Bear", "Bearer\x00x", "Bearer \t\t MTox",
	} {
		m := neucore.FindStringSubmatch(h)
		got, ok := bearerToken(h)
		if ok != (m != nil) || ok && got != m[1] {
			t.Errorf("%q: %q %t, want %q", h, got, ok, m)
		}
	}
}

// FuzzBearerToken: the same for any header.
func FuzzBearerToken(f *testing.F) {
	neucore := regexp.MustCompile(`(?i)^Bearer\s+(.*)$`)
	f.Add("Bearer MTox")
	f.Add("bearer\n\tx\ny")
	f.Fuzz(func(t *testing.T, h string) {
		m := neucore.FindStringSubmatch(h)
		got, ok := bearerToken(h)
		if ok != (m != nil) || ok && got != m[1] {
			t.Errorf("%q: %q %t, want %q", h, got, ok, m)
		}
	})
}
