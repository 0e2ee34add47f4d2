package app_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/feature/example"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/version"
)

// TestNoTextOutsideTheCatalogue renders every page of a site with data, as
// the access matrix visits them (as a superuser, and the public pages
// logged out), in the pseudo-language, where every message of the
// catalogue comes marked (internal/i18n, WithPseudo). Every text a visitor
// reads (text, and the title, placeholder, aria-label, alt and button
// value attributes) must be marked, or be data: a word stored in the
// database (names of characters, groups, states...), a number, a date, an
// id, a URL, or one of the few names in brands. A text written into a
// template or Go code in English fails here, in whatever language it was
// meant to be shown.
func TestNoTextOutsideTheCatalogue(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{PseudoLanguage: true,
		Env:          map[string]string{"KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES": "0"},
		Features:     []app.Constructor{example.New},
		ServiceTypes: append([]services.TypeConstructor{matrixServiceType}, matrixServiceTypes...)})
	db, err := sql.Open("sqlite", strings.TrimPrefix(site.Env["KEEPSTAR_DATABASE_URL"], "sqlite:")+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	found := map[string][]string{} // text: pages it was found on
	pages := 0
	testAccessMatrix(t, site, func(who int, c check, p sitetest.Page) {
		if p.Status == http.StatusTooManyRequests || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") ||
			!strings.HasPrefix(p.URL, site.URL) {
			return
		}
		pages++
		data := dataWords(t, db)
		for _, text := range uncatalogued(t, p.Body, data) {
			found[text] = append(found[text], fmt.Sprintf("%s %s as %s", c.method, c.path, visitorNames[who]))
		}
	})
	if pages < 60 {
		t.Errorf("checked only %d pages: the matrix no longer hands them over", pages)
	}
	for _, text := range slices.Sorted(func(yield func(string) bool) {
		for k := range found {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Errorf("text outside the catalogue: %q (%s)", text, strings.Join(compact(found[text]), "; "))
	}
}

func compact(s []string) []string {
	slices.Sort(s)
	s = slices.Compact(s)
	if len(s) > 3 && !testing.Verbose() {
		s = append(s[:3], fmt.Sprintf("and %d more", len(s)-3))
	}
	return s
}

// brands are the names shown as they are in every language.
var brands = []string{"Keepstar", "EVE", "Online", "ESI", "SSO", "API", "Neucore", "Alliance", "Auth", "River", "UI",
	"Go", "SQLite", "PostgreSQL", "OpenAPI", "YAML", "JSON", "Bootstrap", "Discord", "Markdown", "CCP", "HTTP", "ID"}

// technical are the words shown as they are that come from elsewhere than
// the database: EVE's in-game roles as ESI names them, and the version.
var technical = append(slices.Clone(logins.InGameRoles), wordsOf(version.String())...)

// dataWords are the words of every text stored in the site's database:
// what pages show as data. The guest state's stored name is left out: it
// is Keepstar's own, shown translated.
func dataWords(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	words := map[string]bool{}
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	for _, table := range names {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				switch v := v.(type) {
				case string:
					s = v
				case []byte:
					s = string(v)
				default:
					continue
				}
				if table == "states" && cols[i] == "name" && s == "Guest" {
					continue
				}
				for _, w := range wordsOf(s) {
					words[w] = true
				}
			}
		}
		rows.Close()
	}
	return words
}

// wordsOf splits a text into its runs of letters and digits.
func wordsOf(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// pending are texts still outside the catalogue that another part of the
// work moves into it; none is left. Add one only with the change that
// removes it in view, and remove it as it goes.
var pending []string

// skipped are the elements whose text is no reading matter (scripts,
// styles) or is technical by nature (code, program output, keys).
var skipped = []string{"script", "style", "code", "pre", "kbd", "samp"}

// readAttributes are the attributes a visitor reads or hears.
var readAttributes = []string{"title", "placeholder", "aria-label", "alt"}

// uncatalogued lists the texts of page that are neither marked nor data.
func uncatalogued(t *testing.T, page string, data map[string]bool) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	lang := ""
	check := func(s string) {
		if slices.Contains(pending, strings.TrimSpace(s)) {
			return
		}
		if rest := unmarked(s); !isData(rest, data) {
			out = append(out, strings.TrimSpace(s))
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if slices.Contains(skipped, n.Data) {
				return
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "translate" && a.Val == "no":
					return // the page says it is not to be translated: names
				case a.Key == "lang" && n.Data == "html":
					lang = a.Val
				case a.Key == "lang" && a.Val != lang:
					// Words in another language, which the page says:
					// a language's name in itself, the API's reference
					// written in English.
					return
				}
			}
			button := n.Data == "button" || n.Data == "input" && slices.ContainsFunc(n.Attr, func(a html.Attribute) bool {
				return a.Key == "type" && (a.Val == "submit" || a.Val == "button" || a.Val == "reset")
			})
			for _, a := range n.Attr {
				if slices.Contains(readAttributes, a.Key) || button && a.Key == "value" && n.Data == "input" {
					check(a.Val)
				}
			}
		}
		if n.Type == html.TextNode {
			check(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// unmarked removes the marked messages from s.
func unmarked(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch string(r) {
		case i18n.PseudoOpen:
			depth++
		case i18n.PseudoClose:
			depth--
		default:
			if depth <= 0 {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// isData reports whether what is left of a text once its messages are
// removed is data: each word a word of the database, a brand, a number or
// an id (a word with a digit, or written as ids are: core.default,
// tokens_check, esi-characters.read_corporation_roles.v1), or part of a
// URL.
func isData(s string, data map[string]bool) bool {
	for _, field := range strings.Fields(s) {
		if strings.Contains(field, "://") || strings.HasPrefix(field, "/") {
			continue // a URL or a path
		}
		if id := strings.Trim(field, ".,;:()"); strings.Contains(id, "_") ||
			strings.Contains(id, ".") && !strings.ContainsFunc(id, unicode.IsUpper) {
			continue // an id
		}
		for _, w := range wordsOf(field) {
			if data[w] || slices.Contains(brands, w) || slices.Contains(technical, w) || strings.ContainsFunc(w, unicode.IsDigit) {
				continue
			}
			return false
		}
	}
	return true
}
