package web_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/web"
)

// TestLoadAnswersWhatThePathDoesNotName: a path value that is no id and
// a row that does not exist are 404 with the page's message, a failed
// read is 500; a row found is given to the handler.
func TestLoadAnswersWhatThePathDoesNotName(t *testing.T) {
	f := newFixture(t, nil)
	errNotFound := errors.New("things: no such thing")
	get := func(_ context.Context, id int64) (string, error) {
		switch id {
		case 1:
			return "thing 1", nil
		case 2:
			return "", fmt.Errorf("%w: %d", errNotFound, id)
		}
		return "", errors.New("database unavailable")
	}
	f.srv.Handle("GET /things/{id}", web.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if thing, ok := web.Load(f.srv, w, r, "id", get, errNotFound, "web.error.not_found"); ok {
			w.Write([]byte(thing))
		}
	}))
	for path, want := range map[string]int{"/things/1": 200, "/things/2": 404, "/things/3": 500, "/things/x": 404,
		"/things/0": 404, "/things/-1": 404, "/things/99999999999999999999": 404} {
		res, body := f.do(t, "GET", path, nil)
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
		if want == 404 && !strings.Contains(body, "This page does not exist") {
			t.Errorf("%s: the 404 does not give its message:\n%s", path, body)
		}
	}
	if _, body := f.do(t, "GET", "/things/1", nil); body != "thing 1" {
		t.Errorf("the row found: %q", body)
	}
}
