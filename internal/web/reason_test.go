package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWriteReason: the status line carries the phrase (what Neucore's
// clients read), with the handler's headers and an empty body; the
// observing middleware records the status; control characters never break
// the line.
func TestWriteReason(t *testing.T) {
	rec := &statusRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.ResponseWriter = w
		w.Header().Set("X-Request-Id", "abc")
		switch r.URL.Path {
		case "/phrase":
			WriteReason(rec, http.StatusNotFound, "Character not found.")
		case "/standard":
			WriteReason(rec, http.StatusForbidden, "")
		case "/evil":
			WriteReason(rec, http.StatusBadRequest, "Bad\r\nSet-Cookie: x=y")
		}
	}))
	defer srv.Close()
	for _, c := range []struct{ path, status string }{
		{"/phrase", "404 Character not found."},
		{"/standard", "403 Forbidden"},
		{"/evil", "400 BadSet-Cookie: x=y"},
	} {
		rec.status = 0
		res, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Status != c.status || len(body) != 0 || res.Header.Get("X-Request-Id") != "abc" || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: %q %q %v", c.path, res.Status, body, res.Header)
		}
		if rec.status != res.StatusCode {
			t.Errorf("%s: recorded status %d, answered %d", c.path, rec.status, res.StatusCode)
		}
	}
}

// Over HTTP/2, which has no reason phrase, the client gets the standard
// phrase and the message in ReasonHeader; over HTTP/1.1 it gets both.
func TestWriteReasonOverHTTP2(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteReason(w, http.StatusNotFound, "Group not found.")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.ProtoMajor != 2 || res.StatusCode != 404 || res.Header.Get("X-Keepstar-Reason") != "Group not found." {
		t.Errorf("HTTP/2: %s %s, %s %q", res.Proto, res.Status, "X-Keepstar-Reason", res.Header.Get("X-Keepstar-Reason"))
	}

	plain := httptest.NewServer(srv.Config.Handler)
	defer plain.Close()
	res, err = http.Get(plain.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Status != "404 Group not found." || res.Header.Get("X-Keepstar-Reason") != "Group not found." {
		t.Errorf("HTTP/1.1: %s, %s %q", res.Status, "X-Keepstar-Reason", res.Header.Get("X-Keepstar-Reason"))
	}
}
