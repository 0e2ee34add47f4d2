package ejabberdtest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
)

// The node starts on its private configuration, answers the API, stops
// and starts again on the same ports with its data, and leaves nothing
// running (Stop checks).
func TestStartRestartStop(t *testing.T) {
	s := ejabberdtest.Start(t, ejabberdtest.Options{})
	call := func(cmd, body string) string {
		t.Helper()
		resp, err := http.Post(s.APIURL+"/"+cmd, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	call("register", `{"user":"alice","host":"keepstar.test","password":"pw"}`)
	s.Restart(t)
	if got := call("check_password", `{"user":"alice","host":"keepstar.test","password":"pw"}`); got != "0" {
		t.Errorf("check_password after the restart: %s", got)
	}
	s.Stop(t)
}
