package apidocs

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/web"
)

// menuAccess shows the page in the top bar of those who deal with apps: app
// admins (and superusers) and the managers of an app. The page itself is
// public.
var menuAccess = web.Allow("app admins and managers of an app", func(v *web.Viewer) bool {
	return v.HasRole(access.RoleAppAdmin) || v.HasRole(access.RoleAppManager)
})

// page is /api.html: every document, read once at start into what the
// template shows. The documents are in English; the page's own words are
// translated.
type page struct {
	srv   *web.Server
	pages *web.Pages
	data  pageData
}

type pageData struct {
	Documents []docView
}

// docView is a document as the page shows it.
type docView struct {
	ID          string
	Title       string
	Version     string
	Description template.HTML
	YAMLPath    string
	JSONPath    string
	// ServerURL is where a client sends its requests: this site's public
	// address and the document's server path.
	ServerURL string
	// Application is true for the Application API (bearer secrets), false
	// for the web UI's endpoints (the session cookie): the page explains
	// how to authenticate accordingly.
	Application    bool
	OperationCount int
	Tags           []tagView
	Schemas        []schemaView
}

type tagView struct {
	Anchor      string
	Name        string
	Description template.HTML
	Operations  []opView
}

type opView struct {
	Anchor      string
	ID          string
	Method      string
	Path        string // as a client calls it: the server's base and the path
	Summary     string
	Description template.HTML
	// Role is the role the operation needs (x-keepstar-role); empty for
	// an operation open to any logged-in member.
	Role       string
	Deprecated bool
	Parameters []paramView
	Body       *bodyView
	Responses  []responseView
}

type paramView struct {
	Name        string
	In          string
	Required    bool
	Type        typeView
	Description template.HTML
}

type bodyView struct {
	ContentType string
	Required    bool
	Type        typeView
	Description template.HTML
}

type responseView struct {
	Status      string
	Description template.HTML
	ContentType string // empty: no body
	Type        typeView
}

type schemaView struct {
	Anchor      string
	Name        string
	Description template.HTML
	Type        typeView
	Properties  []propertyView
}

type propertyView struct {
	Name        string
	Required    bool
	Type        typeView
	Description template.HTML
}

// typeView names a schema's type: Array is how many "array of" wrap it,
// Name the type or the schema it refers to (then Link is that schema's
// anchor), Detail its format, enumeration, pattern, length and nullability.
type typeView struct {
	Array  int
	Name   string
	Link   string
	Detail string
}

// ArrayMarks gives the "[]" of each array level, written after the name.
func (t typeView) ArrayMarks() string { return strings.Repeat("[]", t.Array) }

func newPage(srv *web.Server, docs ...*document) (*page, error) {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("apidocs: %w", err)
	}
	p := &page{srv: srv, pages: ps}
	for _, d := range docs {
		p.data.Documents = append(p.data.Documents, p.view(d))
	}
	return p, nil
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.srv.Render(w, r, p.pages, "api.html", http.StatusOK, "apidocs.title", p.data)
}

// view reads a document into what the page shows.
func (p *page) view(d *document) docView {
	spec := d.spec
	v := docView{ID: d.id, Title: spec.Info.Title, Version: spec.Info.Version, Description: p.srv.Markdown(spec.Info.Description),
		YAMLPath: d.yamlPath, JSONPath: d.jsonPath, Application: d.id == "application"}
	base := ""
	if len(spec.Servers) > 0 {
		base = strings.TrimSuffix(spec.Servers[0].URL, "/")
	}
	v.ServerURL = p.srv.BaseURL() + base
	byTag := map[string][]opView{}
	var ops []located[opView]
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, located[opView]{line: line(op.Origin), tags: op.Tags, v: p.operation(d, base+path, method, op)})
		}
	}
	slices.SortFunc(ops, func(a, b located[opView]) int {
		return cmp.Or(cmp.Compare(a.line, b.line), strings.Compare(a.v.Path, b.v.Path), strings.Compare(a.v.Method, b.v.Method))
	})
	v.OperationCount = len(ops)
	for _, o := range ops {
		tag := ""
		if len(o.tags) > 0 {
			tag = o.tags[0]
		}
		byTag[tag] = append(byTag[tag], o.v)
	}
	for i, t := range spec.Tags {
		if len(byTag[t.Name]) > 0 {
			v.Tags = append(v.Tags, tagView{Anchor: fmt.Sprintf("%s-tag-%d", d.id, i+1), Name: t.Name,
				Description: p.inline(t.Description), Operations: byTag[t.Name]})
		}
	}
	if untagged := byTag[""]; len(untagged) > 0 {
		v.Tags = append(v.Tags, tagView{Anchor: d.id + "-tag-0", Operations: untagged})
	}

	if spec.Components != nil {
		var schemas []located[schemaView]
		for name, ref := range spec.Components.Schemas {
			s := ref.Value
			sv := schemaView{Anchor: schemaAnchor(d, name), Name: name, Description: p.inline(s.Description)}
			if s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0 {
				sv.Type = typeView{Name: "object"}
				for _, pn := range propertyNames(s) {
					pr := s.Properties[pn]
					sv.Properties = append(sv.Properties, propertyView{Name: pn, Required: slices.Contains(s.Required, pn),
						Type: typeOf(d, pr), Description: p.inline(pr.Value.Description)})
				}
			} else {
				sv.Type = typeOf(d, &openapi3.SchemaRef{Value: s})
			}
			schemas = append(schemas, located[schemaView]{line: refLine(ref), v: sv})
		}
		slices.SortFunc(schemas, func(a, b located[schemaView]) int {
			return cmp.Or(cmp.Compare(a.line, b.line), strings.Compare(a.v.Name, b.v.Name))
		})
		for _, s := range schemas {
			v.Schemas = append(v.Schemas, s.v)
		}
	}
	return v
}

// located is something of a document with the line it starts on, to show
// things in the document's order (kin-openapi keeps them in maps).
type located[T any] struct {
	line int
	tags []string
	v    T
}

func line(o *openapi3.Origin) int {
	if o == nil || o.Key == nil {
		return 0
	}
	return o.Key.Line
}

// refLine is where a schema is written: for a reference, the reference's
// own line, not the line of the schema it names.
func refLine(ref *openapi3.SchemaRef) int {
	if l := line(ref.Origin); l != 0 {
		return l
	}
	return line(ref.Value.Origin)
}

// propertyNames gives a schema's properties in the document's order.
func propertyNames(s *openapi3.Schema) []string {
	names := make([]located[string], 0, len(s.Properties))
	for name, pr := range s.Properties {
		names = append(names, located[string]{line: refLine(pr), v: name})
	}
	slices.SortFunc(names, func(a, b located[string]) int {
		return cmp.Or(cmp.Compare(a.line, b.line), strings.Compare(a.v, b.v))
	})
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.v
	}
	return out
}

func (p *page) operation(d *document, path, method string, op *openapi3.Operation) opView {
	role, _ := op.Extensions["x-keepstar-role"].(string)
	v := opView{Anchor: d.id + "-" + op.OperationID, ID: op.OperationID, Method: method, Path: path, Summary: op.Summary,
		Role: role, Deprecated: op.Deprecated,
		// The role leads the description for readers of the document
		// alone (Swagger UI, generated clients); the page shows it apart.
		Description: p.srv.Markdown(strings.TrimPrefix(op.Description, "Role: `"+role+"`.\n\n"))}
	for _, ref := range op.Parameters {
		pr := ref.Value
		v.Parameters = append(v.Parameters, paramView{Name: pr.Name, In: pr.In, Required: pr.Required,
			Type: typeOf(d, pr.Schema), Description: p.inline(pr.Description)})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		b := &bodyView{Required: rb.Required, Description: p.inline(rb.Description)}
		for _, ct := range slices.Sorted(maps.Keys(rb.Content)) {
			b.ContentType, b.Type = ct, typeOf(d, rb.Content[ct].Schema)
			break
		}
		v.Body = b
	}
	for _, status := range slices.Sorted(maps.Keys(op.Responses.Map())) {
		r := op.Responses.Value(status).Value
		rv := responseView{Status: status, Description: p.inline(deref(r.Description))}
		for _, ct := range slices.Sorted(maps.Keys(r.Content)) {
			rv.ContentType, rv.Type = ct, typeOf(d, r.Content[ct].Schema)
			break
		}
		v.Responses = append(v.Responses, rv)
	}
	return v
}

// inline renders a short description's Markdown (code spans, links) for a
// table cell or a line: without the paragraph that wraps it when it has
// only one.
func (p *page) inline(src string) template.HTML {
	h := strings.TrimSpace(string(p.srv.Markdown(src)))
	if inner, ok := strings.CutPrefix(h, "<p>"); ok && strings.HasSuffix(inner, "</p>") && !strings.Contains(inner, "<p>") {
		h = strings.TrimSuffix(inner, "</p>")
	}
	return template.HTML(h)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func schemaAnchor(d *document, name string) string { return d.id + "-schema-" + name }

// typeOf names the type of a schema: a reference by the schema's name,
// arrays by their items.
func typeOf(d *document, ref *openapi3.SchemaRef) typeView {
	var t typeView
	for ref != nil {
		if ref.Ref != "" {
			name := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
			t.Name, t.Link = name, schemaAnchor(d, name)
			return t
		}
		s := ref.Value
		if s == nil {
			return t
		}
		if s.Type.Is(openapi3.TypeArray) {
			t.Array++
			ref = s.Items
			continue
		}
		t.Name = strings.Join(s.Type.Slice(), " | ")
		if t.Name == "" {
			t.Name = "any"
		}
		var details []string
		if s.Format != "" {
			details = append(details, s.Format)
		}
		if len(s.Enum) > 0 {
			values := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				values[i] = fmt.Sprint(e)
			}
			details = append(details, strings.Join(values, ", "))
		}
		if s.Pattern != "" {
			details = append(details, s.Pattern)
		}
		if s.MaxLength != nil {
			details = append(details, "≤ "+strconv.FormatUint(*s.MaxLength, 10))
		}
		if s.Nullable {
			details = append(details, "null")
		}
		t.Detail = strings.Join(details, "; ")
		return t
	}
	return t
}
