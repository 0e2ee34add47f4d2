package apidocs_test

import (
	"context"
	"html/template"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keepstar/keepstar/internal/apidocs"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// get requests path with headers (name, value pairs), without a session.
func get(t *testing.T, site *sitetest.Site, path string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, site.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, sitetest.Body(t, res)
}

// TestDocumentsAreServed: each document is served as the file it is (YAML)
// and as the same document in JSON, to anyone, cacheable and revalidated
// by its ETag.
func TestDocumentsAreServed(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, sitetest.Options{})
	for _, d := range []struct{ file, yamlPath, jsonPath string }{
		{"application-api-3.yml", apidocs.ApplicationYAMLPath, apidocs.ApplicationJSONPath},
		{"keepstar-web.yml", apidocs.WebYAMLPath, apidocs.WebJSONPath},
	} {
		file, err := os.ReadFile(d.file)
		if err != nil {
			t.Fatal(err)
		}
		res, body := get(t, site, d.yamlPath)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/yaml" || body != string(file) {
			t.Errorf("%s: %s %s, %d bytes; want 200 application/yaml with the file", d.yamlPath, res.Status, res.Header.Get("Content-Type"), len(body))
		}
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") {
			t.Errorf("%s: Cache-Control %q, want public with a max-age", d.yamlPath, cc)
		}
		if res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: CORS %q, cookie %q", d.yamlPath, res.Header.Get("Access-Control-Allow-Origin"), res.Header.Get("Set-Cookie"))
		}
		etag := res.Header.Get("ETag")
		if again, b := get(t, site, d.yamlPath, "If-None-Match", etag); etag == "" || again.StatusCode != http.StatusNotModified || b != "" {
			t.Errorf("%s with If-None-Match %q: %s", d.yamlPath, etag, again.Status)
		}

		res, body = get(t, site, d.jsonPath)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("ETag") == etag {
			t.Fatalf("%s: %s %s ETag %s", d.jsonPath, res.Status, res.Header.Get("Content-Type"), res.Header.Get("ETag"))
		}
		loader := openapi3.NewLoader()
		fromJSON, err := loader.LoadFromData([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", d.jsonPath, err)
		}
		if err := fromJSON.Validate(context.Background()); err != nil {
			t.Errorf("%s: not valid OpenAPI: %v", d.jsonPath, err)
		}
		fromYAML := loadSpec(t, d.file)
		for _, diff := range compareDocuments(fromJSON, fromYAML) {
			t.Errorf("%s differs from %s: %s", d.jsonPath, d.yamlPath, diff)
		}
		if fromJSON.Info.Description != fromYAML.Info.Description || len(fromJSON.Paths.Map()) != len(fromYAML.Paths.Map()) {
			t.Errorf("%s: not the whole document", d.jsonPath)
		}
	}
}

// TestAPILeadsToTheDocsPage: /api, where Neucore shows its documentation,
// sends visitors to /api.html.
func TestAPILeadsToTheDocsPage(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, sitetest.Options{})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(site.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != apidocs.PagePath {
		t.Errorf("/api: %s to %q, want 302 to %s", res.Status, res.Header.Get("Location"), apidocs.PagePath)
	}
}

// TestDocsPage: /api.html shows, to anyone, every operation of both
// documents with the path a client calls, its role, parameters and
// responses, every schema, the downloads and how to authenticate; in the
// site's layout, with no script or style of its own (the CSP forbids
// them). The top bar links it for those who deal with apps only.
func TestDocsPage(t *testing.T) {
	t.Parallel()
	site := sitetest.Start(t, sitetest.Options{})
	res, body := get(t, site, apidocs.PagePath)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%s: %s", apidocs.PagePath, res.Status)
	}
	for _, want := range []string{
		`href="` + apidocs.ApplicationYAMLPath + `"`, `href="` + apidocs.ApplicationJSONPath + `"`,
		`href="` + apidocs.WebYAMLPath + `"`, `href="` + apidocs.WebJSONPath + `"`,
		`href="/apps"`, "Authorization: Bearer", "keepstar_session", `class="navbar`,
		// The site's own address, to give a client.
		`<code class="text-break" data-server>` + site.URL + `/api</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for file, base := range map[string]string{"application-api-3.yml": "/api", "keepstar-web.yml": "/api"} {
		doc := loadSpec(t, file)
		n := 0
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				n++
				i := strings.Index(body, `data-operation="`+op.OperationID+`"`)
				if i < 0 {
					t.Errorf("%s: operation %s missing", file, op.OperationID)
					continue
				}
				card := body[i:]
				card = card[:strings.Index(card, "</article>")]
				role, _ := op.Extensions["x-keepstar-role"].(string)
				for _, want := range []string{">" + method + "<", "<code>" + base + path + "</code>", template.HTMLEscapeString(op.Summary)} {
					if !strings.Contains(card, want) {
						t.Errorf("%s: %s lacks %q", file, op.OperationID, want)
					}
				}
				if role != "" && !strings.Contains(card, `data-role="`+role+`"`) {
					t.Errorf("%s: %s does not show its role %s", file, op.OperationID, role)
				}
				for _, p := range op.Parameters {
					if !strings.Contains(card, "<code>"+p.Value.Name+"</code>") {
						t.Errorf("%s: %s lacks its parameter %s", file, op.OperationID, p.Value.Name)
					}
				}
				for status := range op.Responses.Map() {
					if !strings.Contains(card, `data-status="`+status+`"`) {
						t.Errorf("%s: %s lacks its response %s", file, op.OperationID, status)
					}
				}
			}
		}
		if n < 3 {
			t.Errorf("%s: %d operations", file, n)
		}
		for name := range doc.Components.Schemas {
			if !strings.Contains(body, `data-schema="`+name+`"`) {
				t.Errorf("%s: schema %s missing", file, name)
			}
		}
	}
	// Every link within the page leads to an anchor of it.
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(body, `id="`+m[1]+`"`) {
			t.Errorf("link to #%s, which the page lacks", m[1])
		}
	}
	if regexp.MustCompile(`(?i)\sstyle=|<style|<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+=`).MatchString(body) {
		t.Error("the page has inline styles or scripts, which the CSP refuses")
	}
	for _, s := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(s, ` src="/static/`) {
			t.Errorf("script %s is not one of the site's files", s)
		}
	}

	// The top bar: for app admins (and superusers) and app managers, not
	// for every member.
	chars := site.AccountCharacters(t, 1)
	b := site.NewBrowser(t)
	b.LogIn(t, chars[0])
	link := `href="` + apidocs.PagePath + `"`
	if strings.Contains(b.Get(t, "/dashboard").Body, link) {
		t.Error("a member without an app role has the API in the top bar")
	}
	acc, err := site.Accounts().Character(context.Background(), chars[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := site.Accounts().SetRoles(context.Background(), acc.AccountID, []string{"app-admin"}, false); err != nil {
		t.Fatal(err)
	}
	if p := b.Get(t, "/dashboard"); !strings.Contains(p.Body, link) {
		t.Error("an app admin lacks the API in the top bar")
	}
}
