package apidocs_test

import (
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// neucoreSpecPath is Neucore's document in the project's shared reference
// folder, beside the repository on the developers' machines and in CI; it
// is not copied into the repository.
const neucoreSpecPath = "../../../shared/reference/neucore/application-api-3.yml"

// loadSpec loads and validates an OpenAPI document.
func loadSpec(t *testing.T, path string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not valid OpenAPI: %v", path, err)
	}
	return doc
}

// TestApplicationDocumentMatchesNeucore: Keepstar's description of its
// Application API has Neucore's structure exactly, so that a client
// generated from either works against Keepstar: the same paths and
// methods, operation ids, tags, parameters, bodies, responses and schemas.
// Only the words (titles, summaries, descriptions) are Keepstar's own.
func TestApplicationDocumentMatchesNeucore(t *testing.T) {
	if _, err := os.Stat(neucoreSpecPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: Neucore's spec must be present: %v", err)
		}
		t.Skipf("Neucore's spec not found at %s (the shared reference folder beside the repository); CI runs this test", neucoreSpecPath)
	}
	ours := loadSpec(t, "application-api-3.yml")
	neucore := loadSpec(t, neucoreSpecPath)
	if n := len(neucore.Paths.Map()); n < 25 {
		t.Fatalf("Neucore's spec has only %d paths: not the document this test expects", n)
	}
	for _, d := range compareDocuments(ours, neucore) {
		t.Error(d)
	}
	if ours.Info.Title != "Keepstar Application API" || !strings.Contains(ours.Info.Description, "Neucore") {
		t.Errorf("info: %q, %q: want Keepstar's title and a word on Neucore's compatibility", ours.Info.Title, ours.Info.Description)
	}
	// The words are Keepstar's: no operation's summary or description is
	// Neucore's.
	for path, item := range ours.Paths.Map() {
		for method, op := range item.Operations() {
			theirs := neucore.Paths.Find(path).GetOperation(method)
			if theirs == nil {
				continue
			}
			if op.Summary == theirs.Summary || op.Description == theirs.Description && op.Description != "" {
				t.Errorf("%s %s: summary or description copied from Neucore's", method, path)
			}
			if role, _ := op.Extensions["x-keepstar-role"].(string); role == "" || !strings.Contains(op.Description, "`"+role+"`") {
				t.Errorf("%s %s: x-keepstar-role %q, not named in the description", method, path, role)
			}
		}
	}
}

// TestCompareDocumentsFindsDifferences: the comparison reports each kind of
// difference a client would notice, and says where.
func TestCompareDocumentsFindsDifferences(t *testing.T) {
	ours := loadSpec(t, "application-api-3.yml")
	if d := compareDocuments(ours, loadSpec(t, "application-api-3.yml")); len(d) != 0 {
		t.Fatalf("the document differs from itself: %v", d)
	}
	changed := loadSpec(t, "application-api-3.yml")
	changed.Paths.Delete("/app/v1/show")
	changed.Paths.Find("/app/v2/main/{cid}").Get.OperationID = "mainTwo"
	changed.Paths.Find("/app/v1/groups-with-fallback").Get.Parameters[1].Value.Required = false
	changed.Paths.Find("/app/v1/esi/access-token/{characterId}").Get.Parameters[1].Value.Schema.Value.MaxLength = nil
	changed.Paths.Find("/app/v1/players").Post.RequestBody.Value.Content["application/json"].Schema.Value.Items.Value.Type = &openapi3.Types{"string"}
	changed.Paths.Find("/app/v1/player/{characterId}").Get.Responses.Delete("404")
	changed.Paths.Find("/app/v1/characters/{characterId}").Get.Responses.Value("200").Value.Content["application/json"].Schema.Value.Items.Ref = "#/components/schemas/Player"
	changed.Components.Schemas["Group"].Value.Properties["name"].Value.Nullable = false
	changed.Components.Schemas["CharacterGroups"].Value.Properties["deactivated"].Value.Enum = []any{"no", "yes"}
	changed.Components.Schemas["EsiAccessToken"].Value.Required = []string{"token"}
	delete(changed.Components.Schemas["Character"].Value.Properties, "main")
	changed.Components.Schemas["Alliance"].Value.Properties["id"].Value.Format = ""
	got := strings.Join(compareDocuments(changed, ours), "\n")
	for _, want := range []string{
		"/app/v1/show: in Neucore's document only",
		"GET /app/v2/main/{cid}: operationId mainTwo, Neucore's mainV2",
		"GET /app/v1/groups-with-fallback: parameter query corporation: required false, Neucore's true",
		"GET /app/v1/esi/access-token/{characterId}: parameter query eveLoginName: schema: maxLength none, Neucore's 20",
		"POST /app/v1/players: request body application/json: schema: items: type [string], Neucore's [integer]",
		"GET /app/v1/player/{characterId}: response 404: in Neucore's document only",
		"GET /app/v1/characters/{characterId}: response 200 application/json: schema: items: refers to #/components/schemas/Player, Neucore's to #/components/schemas/Character",
		"components.schemas.Group: properties.name: nullable false, Neucore's true",
		"components.schemas.CharacterGroups: properties.deactivated: enum [no yes], Neucore's [no soon yes]",
		"components.schemas.EsiAccessToken: required [token], Neucore's [expires scopes token]",
		"components.schemas.Character: properties.main: in Neucore's document only",
		"components.schemas.Alliance: properties.id: format , Neucore's int64",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the comparison does not report %q; it reports:\n%s", want, got)
		}
	}
}

// compareDocuments lists every structural difference of ours from
// Neucore's, each saying where and what.
func compareDocuments(ours, neucore *openapi3.T) []string {
	c := &comparison{}
	if len(ours.Servers) != 1 || len(neucore.Servers) != 1 {
		c.add("servers", "%d servers, Neucore's %d", len(ours.Servers), len(neucore.Servers))
	} else if u, err := url.Parse(neucore.Servers[0].URL); err != nil || ours.Servers[0].URL != u.Path {
		c.add("servers", "url %s, want Neucore's path %s", ours.Servers[0].URL, neucore.Servers[0].URL)
	}
	c.names("document", "tags", tagNames(ours.Tags), tagNames(neucore.Tags))

	oursPaths, theirPaths := ours.Paths.Map(), neucore.Paths.Map()
	for _, path := range union(oursPaths, theirPaths) {
		a, b := oursPaths[path], theirPaths[path]
		if !c.both(path, a != nil, b != nil) {
			continue
		}
		aOps, bOps := a.Operations(), b.Operations()
		for _, method := range union(aOps, bOps) {
			where := method + " " + path
			if c.both(where, aOps[method] != nil, bOps[method] != nil) {
				c.operation(where, aOps[method], bOps[method])
			}
		}
	}

	var aSchemas, bSchemas openapi3.Schemas
	if ours.Components != nil {
		aSchemas = ours.Components.Schemas
	}
	if neucore.Components != nil {
		bSchemas = neucore.Components.Schemas
	}
	for _, name := range union(aSchemas, bSchemas) {
		where := "components.schemas." + name
		if c.both(where, aSchemas[name] != nil, bSchemas[name] != nil) {
			c.schemaValue(where, "", aSchemas[name].Value, bSchemas[name].Value)
		}
	}
	var aSec, bSec openapi3.SecuritySchemes
	if ours.Components != nil {
		aSec = ours.Components.SecuritySchemes
	}
	if neucore.Components != nil {
		bSec = neucore.Components.SecuritySchemes
	}
	for _, name := range union(aSec, bSec) {
		where := "components.securitySchemes." + name
		if !c.both(where, aSec[name] != nil, bSec[name] != nil) {
			continue
		}
		a, b := aSec[name].Value, bSec[name].Value
		c.equal(where, "type", a.Type, b.Type)
		c.equal(where, "scheme", a.Scheme, b.Scheme)
		c.equal(where, "in", a.In, b.In)
		c.equal(where, "name", a.Name, b.Name)
		c.equal(where, "bearerFormat", a.BearerFormat, b.BearerFormat)
	}
	return c.diffs
}

type comparison struct{ diffs []string }

func (c *comparison) add(where, format string, args ...any) {
	c.diffs = append(c.diffs, where+": "+fmt.Sprintf(format, args...))
}

// both reports whether a thing is in both documents, and a difference when
// it is in one only.
func (c *comparison) both(where string, inOurs, inNeucore bool) bool {
	switch {
	case inOurs && !inNeucore:
		c.add(where, "in Keepstar's document only")
	case !inOurs && inNeucore:
		c.add(where, "in Neucore's document only")
	}
	return inOurs && inNeucore
}

func (c *comparison) equal(where, what string, a, b any) {
	if fmt.Sprint(a) != fmt.Sprint(b) {
		c.add(where, "%s %v, Neucore's %v", what, a, b)
	}
}

// names compares two lists whose order does not matter.
func (c *comparison) names(where, what string, a, b []string) {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	if !slices.Equal(a, b) {
		c.add(where, "%s %v, Neucore's %v", what, a, b)
	}
}

func (c *comparison) operation(where string, a, b *openapi3.Operation) {
	c.equal(where, "operationId", a.OperationID, b.OperationID)
	c.equal(where, "tags", a.Tags, b.Tags)
	c.equal(where, "deprecated", a.Deprecated, b.Deprecated)
	c.equal(where, "security", securityOf(a), securityOf(b))

	aParams, bParams := params(a), params(b)
	for _, key := range union(aParams, bParams) {
		pw := where + ": parameter " + key
		if !c.both(pw, aParams[key] != nil, bParams[key] != nil) {
			continue
		}
		pa, pb := aParams[key], bParams[key]
		c.equal(pw, "required", pa.Required, pb.Required)
		c.equal(pw, "style", pa.Style, pb.Style)
		c.equal(pw, "explode", pa.Explode, pb.Explode)
		c.schema(pw+": schema", pa.Schema, pb.Schema)
	}

	if c.both(where+": request body", a.RequestBody != nil, b.RequestBody != nil) {
		ra, rb := a.RequestBody.Value, b.RequestBody.Value
		c.equal(where+": request body", "required", ra.Required, rb.Required)
		c.content(where+": request body", ra.Content, rb.Content)
	}

	aResp, bResp := a.Responses.Map(), b.Responses.Map()
	for _, status := range union(aResp, bResp) {
		rw := where + ": response " + status
		if !c.both(rw, aResp[status] != nil, bResp[status] != nil) {
			continue
		}
		ra, rb := aResp[status].Value, bResp[status].Value
		c.content(rw, ra.Content, rb.Content)
		for _, h := range union(ra.Headers, rb.Headers) {
			hw := rw + ": header " + h
			if c.both(hw, ra.Headers[h] != nil, rb.Headers[h] != nil) {
				c.equal(hw, "required", ra.Headers[h].Value.Required, rb.Headers[h].Value.Required)
				c.schema(hw+": schema", ra.Headers[h].Value.Schema, rb.Headers[h].Value.Schema)
			}
		}
	}
}

func (c *comparison) content(where string, a, b openapi3.Content) {
	for _, ct := range union(a, b) {
		cw := where + " " + ct
		if c.both(cw, a[ct] != nil, b[ct] != nil) {
			c.schema(cw+": schema", a[ct].Schema, b[ct].Schema)
		}
	}
}

// schema compares two schemas: references by the schema they name (the
// named schemas are compared once, as components), others by their
// structure.
func (c *comparison) schema(where string, a, b *openapi3.SchemaRef) {
	if !c.both(where, a != nil, b != nil) {
		return
	}
	if a.Ref != "" || b.Ref != "" {
		if a.Ref != b.Ref {
			c.add(where, "refers to %s, Neucore's to %s", orNone(a.Ref), orNone(b.Ref))
		}
		return
	}
	c.schemaValue(where, "", a.Value, b.Value)
}

// schemaValue compares what a client reads of a schema: its type, format,
// nullability, enumeration, required and other properties, items and the
// constraints generated clients check.
func (c *comparison) schemaValue(where, prefix string, a, b *openapi3.Schema) {
	at := func(what string) string { return prefix + what }
	c.equal(where, at("type"), a.Type.Slice(), b.Type.Slice())
	c.equal(where, at("format"), a.Format, b.Format)
	c.equal(where, at("nullable"), a.Nullable, b.Nullable)
	c.equal(where, at("enum"), a.Enum, b.Enum)
	c.names(where, at("required"), a.Required, b.Required)
	c.equal(where, at("maxLength"), orNoneUint(a.MaxLength), orNoneUint(b.MaxLength))
	c.equal(where, at("minLength"), a.MinLength, b.MinLength)
	c.equal(where, at("pattern"), a.Pattern, b.Pattern)
	c.equal(where, at("minimum"), orNoneFloat(a.Min), orNoneFloat(b.Min))
	c.equal(where, at("maximum"), orNoneFloat(a.Max), orNoneFloat(b.Max))
	c.equal(where, at("additionalProperties"), additional(a), additional(b))
	for _, kind := range []struct {
		name string
		a, b openapi3.SchemaRefs
	}{{"allOf", a.AllOf, b.AllOf}, {"oneOf", a.OneOf, b.OneOf}, {"anyOf", a.AnyOf, b.AnyOf}} {
		if len(kind.a) != len(kind.b) {
			c.add(where, "%s%s of %d, Neucore's of %d", prefix, kind.name, len(kind.a), len(kind.b))
			continue
		}
		for i := range kind.a {
			c.schema(fmt.Sprintf("%s: %s%s[%d]", where, prefix, kind.name, i), kind.a[i], kind.b[i])
		}
	}
	if a.Items != nil || b.Items != nil {
		c.schemaPart(where, at("items"), a.Items, b.Items)
	}
	for _, name := range union(a.Properties, b.Properties) {
		c.schemaPart(where, at("properties."+name), a.Properties[name], b.Properties[name])
	}
}

// schemaPart compares a part of a schema (its items, a property), naming it
// after where.
func (c *comparison) schemaPart(where, part string, a, b *openapi3.SchemaRef) {
	if !c.both(where+": "+part, a != nil, b != nil) {
		return
	}
	if a.Ref != "" || b.Ref != "" {
		if a.Ref != b.Ref {
			c.add(where+": "+part, "refers to %s, Neucore's to %s", orNone(a.Ref), orNone(b.Ref))
		}
		return
	}
	c.schemaValue(where, part+": ", a.Value, b.Value)
}

func additional(s *openapi3.Schema) string {
	switch {
	case s.AdditionalProperties.Has != nil:
		return fmt.Sprint(*s.AdditionalProperties.Has)
	case s.AdditionalProperties.Schema != nil:
		return "a schema"
	}
	return "unset"
}

func params(op *openapi3.Operation) map[string]*openapi3.Parameter {
	out := map[string]*openapi3.Parameter{}
	for _, p := range op.Parameters {
		out[p.Value.In+" "+p.Value.Name] = p.Value
	}
	return out
}

func securityOf(op *openapi3.Operation) []string {
	if op.Security == nil {
		return nil
	}
	var out []string
	for _, req := range *op.Security {
		for _, name := range slices.Sorted(maps.Keys(req)) {
			out = append(out, name+fmt.Sprint(req[name]))
		}
	}
	return out
}

func tagNames(tags openapi3.Tags) []string {
	var out []string
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}

// union lists the keys of two maps, sorted.
func union[V any](a, b map[string]V) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

func orNone(s string) string {
	if s == "" {
		return "an inline schema"
	}
	return s
}

func orNoneUint(p *uint64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func orNoneFloat(p *float64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}
