package xmpp

import (
	"testing"

	"github.com/keepstar/keepstar/internal/i18n/i18ntest"
)

// Every message id this package's code names is in its catalogue, in
// every language, and formats there; the catalogue has no id the code
// does not name.
func TestMessages(t *testing.T) {
	i18ntest.CheckCatalogue(t, Locales, "services.xmpp.", 17)
}
