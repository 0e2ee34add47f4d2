package signin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// A login is one clear line of the log at info level, with who it was;
// River's internals stay at debug.
func TestLoginIsOneInfoLine(t *testing.T) {
	t.Parallel()
	var log sitetest.LogBuffer
	site := sitetest.Start(t, sitetest.Options{Log: &log})
	id := site.AccountCharacters(t, 1)[0]
	site.NewBrowser(t).LogIn(t, id)
	var logins, riverInfo []string
	for line := range strings.Lines(log.String()) {
		if strings.Contains(line, `level=INFO msg="logged in"`) {
			logins = append(logins, line)
		}
		if strings.Contains(line, "level=INFO") && strings.Contains(line, "component=jobs") {
			riverInfo = append(riverInfo, line)
		}
	}
	if len(logins) != 1 || !strings.Contains(logins[0], "character_id="+strconv.Itoa(int(id))) ||
		!strings.Contains(logins[0], "outcome=created") {
		t.Errorf("login lines: %q", logins)
	}
	if len(riverInfo) > 0 {
		t.Errorf("River's internals at info: %q", riverInfo)
	}
}
