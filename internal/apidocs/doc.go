// Package apidocs owns the API documents Keepstar serves and its API docs
// page. The documents are OpenAPI 3.0 files written by hand and embedded:
// application-api-3.yml describes Keepstar's Application API, compatible
// with Neucore's (a test compares its structure with Neucore's document),
// and keepstar-web.yml the JSON endpoints of the web UI (a test checks real
// answers of a running site against it). Each is served as YAML and as
// JSON, and /api.html shows both, rendered on the server, for reading.
package apidocs
