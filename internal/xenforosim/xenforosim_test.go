package xenforosim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

type answer struct {
	status int
	body   map[string]any
}

func call(t *testing.T, ts *httptest.Server, get bool, args url.Values) answer {
	t.Helper()
	var res *http.Response
	var err error
	if get {
		res, err = http.Get(ts.URL + "/api.php?" + args.Encode())
	} else {
		res, err = http.PostForm(ts.URL+"/api.php", args)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var a answer
	a.status = res.StatusCode
	if err := json.NewDecoder(res.Body).Decode(&a.body); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a answer) code() int {
	f, _ := a.body["error"].(float64)
	return int(f)
}

func (a answer) userError() int {
	f, _ := a.body["user_error_id"].(float64)
	return int(f)
}

func TestKeyChecks(t *testing.T) {
	ts := httptest.NewServer(New(Options{APIKey: "API_KEY"}))
	defer ts.Close()
	if a := call(t, ts, true, url.Values{"hash": {"API_KEY"}, "action": {"getUser"}}); a.status != 400 || a.code() != 17 {
		t.Fatalf("the default key: %+v", a)
	}
	s := New(Options{APIKey: "right"})
	ts2 := httptest.NewServer(s)
	defer ts2.Close()
	for name, c := range map[string]struct {
		args url.Values
		code int
	}{
		"no hash":    {url.Values{"action": {"getUser"}}, 3},
		"empty hash": {url.Values{"hash": {""}, "action": {"getUser"}}, 1},
		"wrong hash": {url.Values{"hash": {"wrong"}, "action": {"getUser"}}, 6},
		"no action":  {url.Values{"hash": {"right"}}, 3},
		"unknown":    {url.Values{"hash": {"right"}, "action": {"frobnicate"}}, 2},
		"no value":   {url.Values{"HASH": {"right"}, "Action": {"getUser"}}, 3},
		"no user":    {url.Values{"hash": {"right"}, "action": {"getUser"}, "value": {"nobody"}}, 4},
	} {
		if a := call(t, ts2, true, c.args); a.status != 400 || a.code() != c.code {
			t.Errorf("%s: %+v, want error %d", name, a, c.code)
		}
	}
	// XenAPI repeats a refused hash in its message.
	if a := call(t, ts2, false, url.Values{"hash": {"wrong"}, "action": {"getUser"}}); !strings.Contains(a.body["message"].(string), "wrong") {
		t.Errorf("error 6 does not repeat the hash: %+v", a)
	}
}

func TestRegisterAndEdit(t *testing.T) {
	s := New(Options{APIKey: "k"})
	pilots := s.AddGroup("Pilots")
	ts := httptest.NewServer(s)
	defer ts.Close()
	reg := func(name, email string) answer {
		return call(t, ts, false, url.Values{"hash": {"k"}, "action": {"register"}, "username": {name}, "password": {"pw123456"},
			"email": {email}, "group": {"Pilots"}})
	}
	if a := reg("Some Pilot", "a@example.org"); a.status != 200 {
		t.Fatalf("register: %+v", a)
	}
	for name, c := range map[string]struct {
		name, email string
		user        int
	}{
		"taken":      {"some pilot", "b@example.org", 40},
		"email":      {"Other", "A@example.org", 42},
		"short":      {"ab", "c@example.org", 32},
		"long":       {strings.Repeat("x", 26), "c@example.org", 33},
		"comma":      {"a,b,c", "c@example.org", 38},
		"like email": {"me@example.org", "c@example.org", 39},
		"bad email":  {"Fine Name", "nope", 41},
	} {
		if a := reg(c.name, c.email); a.code() != 7 || a.userError() != c.user {
			t.Errorf("%s: %+v, want user error %d", name, a, c.user)
		}
	}
	edit := func(args url.Values) answer {
		args.Set("hash", "k")
		args.Set("action", "editUser")
		return call(t, ts, false, args)
	}
	if a := edit(url.Values{"user": {"Some Pilot"}, "add_groups": {"Pilots"}}); a.userError() != 8 {
		t.Errorf("adding a group the user has: %+v", a)
	}
	if a := edit(url.Values{"user": {"Some Pilot"}, "remove_groups": {"Registered,Pilots"}}); a.status != 200 {
		t.Errorf("removing the primary group and a secondary one: %+v", a)
	}
	if a := edit(url.Values{"user": {"Some Pilot"}, "remove_groups": {"Pilots"}}); a.userError() != 12 {
		t.Errorf("removing a group the user lacks: %+v", a)
	}
	if a := edit(url.Values{"user": {"Some Pilot"}}); a.code() != 8 {
		t.Errorf("nothing to change: %+v", a)
	}
	if a := edit(url.Values{"user": {"1"}, "password": {"x"}}); a.userError() != 6 {
		t.Errorf("the super admin: %+v", a)
	}
	if a := edit(url.Values{"user": {"a@example.org"}, "password": {"new pass"}, "add_groups": {"99"}}); a.userError() != 2 {
		t.Errorf("an unknown group: %+v", a)
	}
	if a := edit(url.Values{"user": {"a@example.org"}, "password": {"new pass"}}); a.status != 200 || !s.Login("Some Pilot", "new pass") {
		t.Errorf("a new password: %+v", a)
	}
	u, _ := s.User("Some Pilot")
	if len(u.Secondary) != 0 || u.Group != 2 || pilots == 0 {
		t.Errorf("user %+v", u)
	}
}
