package hr

import (
	"testing"

	"github.com/keepstar/keepstar/internal/i18n/i18ntest"
)

// Every message id this package's code and pages name is in its
// catalogue, in every language, and formats there; none is unused.
func TestMessages(t *testing.T) {
	i18ntest.CheckCatalogue(t, Locales, "hr.", 100, "templates/*.html")
}
