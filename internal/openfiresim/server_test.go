package openfiresim_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/openfiresim"
)

func call(t *testing.T, srv *httptest.Server, method, path, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+openfiresim.Base+path, strings.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// The plugin's codes and quirks, as the fake answers them.
func TestTheRESTAPIsRules(t *testing.T) {
	of := openfiresim.New("s3cret", "chat.test")
	srv := httptest.NewServer(of.Handler())
	defer srv.Close()
	steps := []struct {
		method, path, auth, body string
		status                   int
		answer                   string
	}{
		{"GET", "/users", "", "", 401, ""},
		{"GET", "/users", "wrong", "", 401, ""},
		{"POST", "/users", "s3cret", `{"username":"Alice","password":"pw"}`, 201, ""},
		{"POST", "/users", "s3cret", `{"username":"alice","password":"pw"}`, 409, `"exception":"UserAlreadyExistsException"`},
		{"POST", "/users", "s3cret", `{"username":"bob o'brien","password":"pw"}`, 400, ""},
		{"POST", "/users", "s3cret", `{"username":"bob"}`, 400, ""},
		{"GET", "/users/nobody", "s3cret", "", 404, `"exception":"UserNotFoundException"`},
		{"POST", "/users/alice/groups", "s3cret", `{"groupname":"pilots"}`, 201, ""},
		{"GET", "/users/alice/groups", "s3cret", "", 200, `{"groupname":"pilots"}`},
		{"POST", "/users/alice/groups", "s3cret", `{"groupname":["fc","pilots"]}`, 201, ""},
		{"GET", "/users/alice/groups", "s3cret", "", 200, `{"groupname":["fc","pilots"]}`},
		{"DELETE", "/users/alice/groups", "s3cret", `{"groupname":["nope"]}`, 404, `"exception":"GroupNotFoundException"`},
		{"DELETE", "/users/alice/groups/fc", "s3cret", "", 200, ""},
		{"POST", "/groups", "s3cret", `{"name":"pilots"}`, 409, ""},
		{"PUT", "/users/alice", "s3cret", `{"username":"alice","password":"new"}`, 200, ""},
		{"POST", "/lockouts/alice", "s3cret", "", 201, ""},
		{"POST", "/lockouts/nobody", "s3cret", "", 404, ""},
		{"DELETE", "/lockouts/alice", "s3cret", "", 200, ""},
	}
	for _, s := range steps {
		status, answer := call(t, srv, s.method, s.path, s.auth, s.body)
		if status != s.status || !strings.Contains(answer, s.answer) {
			t.Errorf("%s %s %s: %d %s, want %d %s", s.method, s.path, s.body, status, answer, s.status, s.answer)
		}
	}
	if got := of.Members("pilots"); len(got) != 1 || got[0] != "alice" {
		t.Errorf("pilots: %v", got)
	}
	// JSON only, and JSON bodies only.
	req, _ := http.NewRequest("GET", srv.URL+openfiresim.Base+"/users", nil)
	req.Header.Set("Authorization", "s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("without Accept: %v %v", resp.StatusCode, err)
	}
}

// A lockout ends the sessions and refuses logins until it is lifted; the
// broadcast reaches only users with a session.
func TestLockoutsAndSessions(t *testing.T) {
	of := openfiresim.New("k", "chat.test")
	srv := httptest.NewServer(of.Handler())
	defer srv.Close()
	call(t, srv, "POST", "/users", "k", `{"username":"alice","password":"pw"}`)
	call(t, srv, "POST", "/users", "k", `{"username":"bob","password":"pw"}`)
	if err := of.Login("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	if err := of.Login("alice", "nope"); !errors.Is(err, openfiresim.ErrNotAuthorized) {
		t.Errorf("wrong password: %v", err)
	}
	call(t, srv, "POST", "/messages/users", "k", `{"body":"hello"}`)
	if got := of.Messages("alice"); len(got) != 1 || len(of.Messages("bob")) != 0 {
		t.Errorf("broadcast: alice %v, bob %v", got, of.Messages("bob"))
	}
	call(t, srv, "POST", "/lockouts/alice", "k", "")
	if of.Sessions("alice") != 0 {
		t.Error("the lockout left a session")
	}
	if err := of.Login("alice", "pw"); !errors.Is(err, openfiresim.ErrLockedOut) {
		t.Errorf("login while locked: %v", err)
	}
	call(t, srv, "DELETE", "/lockouts/alice", "k", "")
	if err := of.Login("alice", "pw"); err != nil {
		t.Errorf("login after the lockout: %v", err)
	}
}
