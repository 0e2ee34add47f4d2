package appapi

import "testing"

// cleanESIPath takes ESI's paths in every spelling ESI serves, and refuses
// what would resolve to another path than the one checked.
func TestCleanESIPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/characters/96061222/assets":          "/characters/96061222/assets",
		"/characters/96061222/assets/":         "/characters/96061222/assets/",
		"characters/96061222/assets":           "/characters/96061222/assets",
		"/latest/characters/96061222/assets/":  "/latest/characters/96061222/assets/",
		"/v5/characters/96061222/assets/":      "/v5/characters/96061222/assets/",
		"/legacy/characters/1/roles":           "/legacy/characters/1/roles",
		"/dev/characters/1/roles/":             "/dev/characters/1/roles/",
		"/killmails/1/0abcDEF":                 "/killmails/1/0abcDEF",
		"/corporations/1/projects/5f3c-9e1a_b": "/corporations/1/projects/5f3c-9e1a_b",
		"/characters/%31/roles":                "/characters/1/roles", // an encoded digit is the digit
		"/":                                    "/",

		"/./status":                          "",
		"/characters/1/../../status":         "",
		"/characters/1/..":                   "",
		"/characters/1/.":                    "",
		"/characters/1/%2e%2e/%2e%2e/status": "",
		"/characters/1/%2E%2E/status":        "",
		"/characters/1/.%2e/status":          "",
		"/characters/1%2Froles":              "",
		"/characters/1%2froles":              "",
		"/characters/1%5Croles":              "",
		"/characters/1\\roles":               "",
		"/characters/1/%252e%252e/status":    "",
		"//characters/1/roles":               "",
		"/characters//1/roles":               "",
		"/characters/1/roles//":              "",
		"/characters/1/roles\x00":            "",
		"/characters/1/roles%00":             "",
		"/characters/1/roles%0d%0aX: y":      "",
		"/characters/1/roles\r\n":            "",
		"/characters/1/ro les":               "",
		"/characters/1/roles;x":              "",
		"/characters/1/rôles":                "",
		"/characters/1/roles%":               "",
		"/characters/1/roles%2":              "",
		"/characters/1/roles%zz":             "",
		"/" + string(make([]byte, 600)):      "",
	} {
		got, ok := cleanESIPath(in)
		if got != want || ok != (want != "") {
			t.Errorf("cleanESIPath(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
