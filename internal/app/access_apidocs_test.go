package app_test

import "testing"

// apidocsRows are the access matrix rows of the API documents and the API
// docs page (internal/apidocs): public, for every visitor.
func apidocsRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{
		"GET /application-api-3.yml": {{"GET", "/application-api-3.yml", nil, all(200)}},
		"GET /api/app/openapi.json":  {{"GET", "/api/app/openapi.json", nil, all(200)}},
		"GET /keepstar-web.yml":      {{"GET", "/keepstar-web.yml", nil, all(200)}},
		"GET /api/openapi.json":      {{"GET", "/api/openapi.json", nil, all(200)}},
		"GET /api.html":              {{"GET", "/api.html", nil, all(200)}},
		"GET /api":                   {{"GET", "/api", nil, all(200)}}, // to /api.html
	}
}

func init() { rowsets = append(rowsets, apidocsRows) }
