package appapi_test

import (
	"os"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// neucoreSpecPath is Neucore's spec in the project's shared reference
// folder, beside the repository on the developers' machines and in CI; it
// is not copied into the repository.
const neucoreSpecPath = "../../../shared/reference/neucore/application-api-3.yml"

// haveNeucoreSpec reports whether Neucore's spec is there: a test that
// checks answers against it does without it on a clone that lacks the
// shared reference folder, and fails in CI, where the folder must be.
func haveNeucoreSpec(t *testing.T) bool {
	t.Helper()
	if _, err := os.Stat(neucoreSpecPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: Neucore's spec must be present: %v", err)
		}
		return false
	}
	return true
}

// neucoreNulls are the properties Neucore gives as null though its spec
// cannot say so: swagger-php writes a nullable object property as a bare
// $ref, whose siblings OpenAPI 3.0 ignores, and leaves RemovedCharacter's
// new player's id and name without nullable. Neucore's jsonSerialize gives
// null for a character without a corporation, a corporation without an
// alliance, a removal without an account, a deleter or a new account.
var neucoreNulls = map[string][]string{
	"Character":        {"corporation"},
	"Corporation":      {"alliance"},
	"RemovedCharacter": {"player", "deletedBy", "newPlayerId", "newPlayerName"},
}

// loadNeucoreSpec loads Neucore's spec with neucoreNulls made nullable,
// each in its place only: the schemas they refer to stay as they are
// elsewhere (an array of corporations still refuses a null item). The
// document is shared: do not change it.
var loadNeucoreSpec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(neucoreSpecPath)
	if err != nil {
		return nil, err
	}
	for schema, props := range neucoreNulls {
		s := doc.Components.Schemas[schema].Value
		for _, name := range props {
			nullable := *s.Properties[name].Value
			nullable.Nullable = true
			s.Properties[name] = &openapi3.SchemaRef{Value: &nullable}
		}
	}
	return doc, nil
})
