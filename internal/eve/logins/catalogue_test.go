package logins_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/eve/logins"
)

// specPath is CCP's current spec in the project's shared reference folder,
// beside the repository on the developers' machines and in CI; it is not
// copied into the repository.
const specPath = "../../../../shared/reference/esi/esi-openapi-3.0-2026-08-18.json"

// spec reads the spec, skipping the test on a clone without the reference
// folder and failing it in CI, where the folder must be present.
func spec(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: the ESI spec must be present: %v", err)
		}
		t.Skipf("ESI spec not found at %s (the shared reference folder beside the repository); CI runs this test", specPath)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func at(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// The scopes and in-game roles offered on the EVE login form are the
// spec's: every scope of its OAuth2 scheme, with the summaries of the
// routes that need it, and the roles of GET /characters/{id}/roles.
func TestCatalogueMatchesSpec(t *testing.T) {
	doc := spec(t)
	want := map[string][]string{}
	for name := range at(doc, "components", "securitySchemes", "OAuth2", "flows", "authorizationCode", "scopes").(map[string]any) {
		want[name] = nil
	}
	paths := at(doc, "paths").(map[string]any)
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		for _, method := range []string{"get", "post", "put", "delete"} {
			op, ok := at(paths[p], method).(map[string]any)
			if !ok {
				continue
			}
			sec, _ := op["security"].([]any)
			for _, req := range sec {
				scopes, _ := at(req, "OAuth2").([]any)
				for _, s := range scopes {
					name := s.(string)
					summary, _ := op["summary"].(string)
					if !slices.Contains(want[name], summary) {
						want[name] = append(want[name], summary)
					}
				}
			}
		}
	}
	got := map[string][]string{}
	for i, s := range logins.Scopes {
		got[s.Name] = s.Routes
		if i > 0 && logins.Scopes[i-1].Name >= s.Name {
			t.Errorf("Scopes are not sorted at %s", s.Name)
		}
		if !logins.KnownScope(s.Name) {
			t.Errorf("KnownScope(%q) is false", s.Name)
		}
	}
	for name, routes := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("scope %s of the spec is missing", name)
		} else if !slices.Equal(g, routes) {
			t.Errorf("scope %s: routes %q, spec %q", name, g, routes)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("scope %s is not in the spec", name)
		}
	}
	var roles []string
	for _, r := range at(doc, "components", "schemas", "CharactersCharacterIdRolesGet", "properties", "roles", "items", "enum").([]any) {
		roles = append(roles, r.(string))
	}
	if !slices.Equal(logins.InGameRoles, roles) {
		t.Errorf("in-game roles %q, spec %q", logins.InGameRoles, roles)
	}
	if logins.KnownScope("publicData") || logins.KnownScope("esi-skills.read_skill.v1") {
		t.Error("KnownScope takes what is no scope")
	}
}

// vSyntax is what a character class may not hold unescaped under the v
// flag, with which browsers compile a pattern attribute (HTML: "compiled
// with the v flag"): ClassSetSyntaxCharacter, and the doubled punctuators
// the flag reserves.
var (
	vSyntax   = "()[]{}/-\\|"
	vReserved = regexp.MustCompile(`&&|!!|##|\$\$|%%|\*\*|\+\+|,,|\.\.|::|;;|<<|==|>>|\?\?|@@|\^\^|` + "``" + `|~~`)
)

// validUnderV checks the character classes of a pattern against the v
// flag's rules: inside [...], a syntax character must be escaped, but for
// a - between two characters (a range), and no reserved double
// punctuator may appear. It knows as much of the grammar as the patterns
// of Keepstar's forms use (classes without nesting or set operations).
func validUnderV(pattern string) (bool, string) {
	in := false
	var class []rune // the class so far, escapes kept as "\x"
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case !in && c == '\\':
			i++
		case !in && c == '[':
			in, class = true, nil
			if i+1 < len(rs) && rs[i+1] == '^' {
				i++
			}
		case in && c == '\\':
			if i+1 >= len(rs) {
				return false, "trailing backslash"
			}
			class = append(class, '\\', rs[i+1])
			i++
		case in && c == ']':
			in = false
			if vReserved.MatchString(string(class)) {
				return false, "reserved double punctuator in [" + string(class) + "]"
			}
		case in && c == '-':
			prevChar := len(class) > 0 && class[len(class)-1] != '-'
			next := i+1 < len(rs) && rs[i+1] != ']' && !strings.ContainsRune(vSyntax, rs[i+1])
			if !prevChar || !next {
				return false, "unescaped - outside a range"
			}
			class = append(class, c)
		case in && strings.ContainsRune(vSyntax, c):
			return false, "unescaped " + string(c) + " in a class"
		case in:
			class = append(class, c)
		}
	}
	if in {
		return false, "unclosed class"
	}
	return true, ""
}

func TestPatternCheckerKnowsTheVFlagRules(t *testing.T) {
	for p, ok := range map[string]bool{
		`[-._a-zA-Z0-9]+`: false, `[\-._a-zA-Z0-9]+`: true, `[a-z(]`: false, `[a-z\(]`: true,
		`[a..b]`: false, `[a-]`: false, `[ab|]`: false, `x[a-c]y`: true,
	} {
		if got, why := validUnderV(p); got != ok {
			t.Errorf("%s: valid %v (%s), want %v", p, got, why, ok)
		}
	}
}

// The login name field's pattern is valid for current browsers, which
// compile it with the v flag: Chromium ignores an invalid pattern and
// logs an error instead of checking the field.
func TestNamePatternIsValidUnderTheVFlag(t *testing.T) {
	b, err := os.ReadFile("templates/partials/form.html")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`pattern="([^"]*)"`).FindAllStringSubmatch(string(b), -1)
	if len(m) == 0 {
		t.Fatal("no pattern in the login form")
	}
	for _, sub := range m {
		if ok, why := validUnderV(sub[1]); !ok {
			t.Errorf("pattern %s: %s", sub[1], why)
		}
		// The same names as the server's check.
		re := regexp.MustCompile(`^(?:` + sub[1] + `)$`)
		for name, want := range map[string]bool{"srp-tool": true, "a.b_c": true, "my login": false, "x/y": false} {
			if re.MatchString(name) != want {
				t.Errorf("pattern %s on %q: %v", sub[1], name, !want)
			}
		}
	}
}
