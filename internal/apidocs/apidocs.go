package apidocs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keepstar/keepstar/internal/web"
)

//go:embed application-api-3.yml keepstar-web.yml
var documents embed.FS

//go:embed templates
var templates embed.FS

// Where the documents are served. The Application API's YAML is where
// Neucore serves its own, so that tools pointed at a Neucore installation's
// document find Keepstar's at the same place; each JSON twin sits beside
// the API it describes.
const (
	ApplicationYAMLPath = "/application-api-3.yml"
	ApplicationJSONPath = "/api/app/openapi.json"
	WebYAMLPath         = "/keepstar-web.yml"
	WebJSONPath         = "/api/openapi.json"
	PagePath            = "/api.html"
)

// yamlType is YAML's registered media type (RFC 9512). Neucore's web
// server serves its document as a static file, with whatever type its
// configuration maps .yml to (often none, or application/octet-stream);
// clients read the document whatever the type.
const yamlType = "application/yaml"

// document is one API description, loaded and checked once at start.
type document struct {
	id       string // the page's anchor
	yamlPath string
	jsonPath string
	yaml     file
	json     file
	spec     *openapi3.T
}

// file is a document's bytes as served, with the ETag that lets clients
// ask again cheaply.
type file struct {
	body        []byte
	contentType string
	etag        string
}

func newFile(body []byte, contentType string) file {
	sum := sha256.Sum256(body)
	return file{body: body, contentType: contentType, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// load reads an embedded document, checks it is valid OpenAPI, and makes
// its JSON twin.
func load(id, name, yamlPath, jsonPath string) (*document, error) {
	data, err := documents.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("apidocs: %s: %w", name, err)
	}
	loader := openapi3.NewLoader()
	// The lines of operations and schemas give the page the document's
	// order.
	loader.IncludeOrigin = true
	spec, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("apidocs: %s: %w", name, err)
	}
	if err := spec.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("apidocs: %s is not valid OpenAPI: %w", name, err)
	}
	j, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("apidocs: %s as JSON: %w", name, err)
	}
	return &document{id: id, yamlPath: yamlPath, jsonPath: jsonPath, spec: spec,
		yaml: newFile(data, yamlType), json: newFile(j, "application/json")}, nil
}

// Mount serves the documents and the docs page. Everything is public: the
// documents describe what any client may call, and say nothing of a site's
// data.
func Mount(srv *web.Server) error {
	app, err := load("application", "application-api-3.yml", ApplicationYAMLPath, ApplicationJSONPath)
	if err != nil {
		return err
	}
	webUI, err := load("web", "keepstar-web.yml", WebYAMLPath, WebJSONPath)
	if err != nil {
		return err
	}
	p, err := newPage(srv, app, webUI)
	if err != nil {
		return err
	}
	for _, d := range []*document{app, webUI} {
		// No session: the documents are the same for every visitor.
		srv.HandleAPI("GET "+d.yamlPath, web.Public, d.yaml)
		srv.HandleAPI("GET "+d.jsonPath, web.Public, d.json)
	}
	srv.Handle("GET "+PagePath, web.Public, p)
	// Neucore's /api leads to its documentation; so does Keepstar's.
	srv.HandleAPI("GET /api", web.Public, http.RedirectHandler(PagePath, http.StatusFound))
	return nil
}

// ServeHTTP serves the file. It changes only with Keepstar's version, so
// caches may keep it for an hour and then ask again with its ETag. Any
// origin may read it, for the API tools (Swagger Editor, generators'
// web front ends) that fetch a document from the browser.
func (f file) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", f.etag)
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
