package evesim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

func controlServer(t *testing.T) (*httptest.Server, *universe.Universe, *universe.Clock) {
	t.Helper()
	clock := universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) })
	u, err := universe.Generate(universe.Options{Seed: 1, Characters: 300, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&control{u: u, clock: clock}).mount(mux)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts, u, clock
}

func call(t *testing.T, ts *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return res.StatusCode
}

func TestControlChangesTheUniverse(t *testing.T) {
	ts, u, clock := controlServer(t)
	id := u.CharacterIDs()[5]
	path := "/control/characters/" + itoa(id)
	var before, after characterView
	if code := call(t, ts, "GET", path, "", &before); code != 200 || before.OwnerHash == "" {
		t.Fatalf("get: %d %+v", code, before)
	}

	target := u.CorporationIDs()[len(u.CorporationIDs())-1]
	if code := call(t, ts, "POST", path+"/move", `{"corporation_id":`+itoa(target)+`}`, &after); code != 200 || after.CorporationID != target {
		t.Fatalf("move: %d %+v", code, after)
	}
	if code := call(t, ts, "POST", path+"/transfer", "", &after); code != 200 || after.OwnerHash == before.OwnerHash || after.AccountID == before.AccountID {
		t.Fatalf("transfer: %d %+v", code, after)
	}
	if code := call(t, ts, "PUT", path+"/roles", `{"roles":["Director"]}`, &after); code != 200 || len(after.Roles) != 1 {
		t.Fatalf("roles: %d %+v", code, after)
	}
	if code := call(t, ts, "POST", path+"/rename", `{"name":"New Name Here"}`, &after); code != 200 || after.Name != "New Name Here" {
		t.Fatalf("rename: %d %+v", code, after)
	}
	c, _ := u.Character(id)
	gen := c.TokenGeneration
	if code := call(t, ts, "POST", path+"/invalidate-tokens", "", nil); code != 200 {
		t.Fatalf("invalidate: %d", code)
	}
	if c, _ := u.Character(id); c.TokenGeneration != gen+1 {
		t.Error("tokens not invalidated")
	}
	var fleet map[string]int64
	other := u.CharacterIDs()[6]
	if code := call(t, ts, "POST", "/control/fleets", `{"boss_id":`+itoa(id)+`,"member_ids":[`+itoa(other)+`]}`, &fleet); code != 201 || fleet["fleet_id"] == 0 {
		t.Fatalf("fleet: %d %v", code, fleet)
	}
	if code := call(t, ts, "POST", path+"/biomass", "", &after); code != 200 || after.CorporationID != universe.Doomheim || !after.Biomassed {
		t.Fatalf("biomass: %d %+v", code, after)
	}
	if code := call(t, ts, "POST", path+"/move", `{"corporation_id":`+itoa(target)+`}`, nil); code != 409 {
		t.Errorf("moving a biomassed character: %d, want 409", code)
	}

	start := clock.Now()
	if code := call(t, ts, "POST", "/control/clock", `{"advance":"2h"}`, nil); code != 200 || clock.Now().Sub(start) != 2*time.Hour {
		t.Errorf("clock: %d, moved %s", code, clock.Now().Sub(start))
	}
}

func TestControlRefusesBadInput(t *testing.T) {
	ts, u, _ := controlServer(t)
	id := itoa(u.CharacterIDs()[0])
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/control/characters/abc", "", 400},
		{"GET", "/control/characters/1", "", 404},
		{"POST", "/control/characters/" + id + "/move", `{"corporation_id":"x"}`, 400},
		{"POST", "/control/characters/" + id + "/move", `{"corp":1}`, 400},
		{"POST", "/control/characters/" + id + "/move", `{"corporation_id":1}`, 400},
		{"POST", "/control/characters/" + id + "/rename", `{"name":"x"}`, 400},
		{"POST", "/control/clock", `{"advance":"-1h"}`, 400},
		{"GET", "/control/accounts/999999", "", 404},
	} {
		if got := call(t, ts, c.method, c.path, c.body, nil); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.method, c.path, c.body, got, c.want)
		}
	}
}

func itoa(v int32) string { return strconv.FormatInt(int64(v), 10) }
