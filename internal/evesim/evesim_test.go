package evesim_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	evesso "github.com/keepstar/keepstar/internal/eve/sso"
	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/evesimtest"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// startSim serves a composed simulator on a real port, with one application.
func startSim(t *testing.T) (*evesim.Sim, string) {
	t.Helper()
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	sim, err := evesim.New(evesim.Options{
		BaseURL: ts.URL, Seed: 5, Characters: 400, RotateRefreshTokens: true, Issuer: sso.IssuerEVE,
		Clients: []sso.Client{{ID: "app", Secret: "app-secret", Callback: "http://127.0.0.1:9/sso/callback"}},
		Clock:   universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	handler = sim
	return sim, ts.URL
}

// login runs the authorization code flow with Keepstar's SSO client, using
// the simulator's shortcut in place of the player's clicks.
func login(t *testing.T, base string, characterID int32, scopes []string) evesso.Token {
	t.Helper()
	client, err := evesso.New(evesso.Config{BaseURL: base, ClientID: "app", ClientSecret: "app-secret", RedirectURL: "http://127.0.0.1:9/sso/callback",
		Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return evesimtest.Login(t, client, characterID, scopes...)
}

func esiGet(t *testing.T, base, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("X-Compatibility-Date", "2026-08-18")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// A token from the simulated SSO opens the simulated ESI's authenticated
// routes for its own character and scopes, and nothing else.
func TestLoginThenAuthenticatedESI(t *testing.T) {
	sim, base := startSim(t)
	ids := sim.Universe.CharacterIDs()
	me, other := ids[3], ids[4]
	tok := login(t, base, me, []string{"esi-location.read_location.v1"})
	if tok.Claims.CharacterID != me {
		t.Fatalf("logged in as %d, want %d", tok.Claims.CharacterID, me)
	}

	code, body := esiGet(t, base, "/characters/"+strconv.Itoa(int(me))+"/location", tok.AccessToken)
	var loc struct {
		SolarSystemID int32 `json:"solar_system_id"`
	}
	if code != 200 || json.Unmarshal(body, &loc) != nil || loc.SolarSystemID == 0 {
		t.Fatalf("own location: %d %s", code, body)
	}
	if code, _ := esiGet(t, base, "/characters/"+strconv.Itoa(int(other))+"/location", tok.AccessToken); code != 403 {
		t.Errorf("another character's location: %d, want 403", code)
	}
	if code, _ := esiGet(t, base, "/characters/"+strconv.Itoa(int(me))+"/ship", tok.AccessToken); code != 403 {
		t.Errorf("route outside the granted scopes: %d, want 403", code)
	}
	if code, _ := esiGet(t, base, "/characters/"+strconv.Itoa(int(me))+"/location", "not-a-token"); code != 401 {
		t.Errorf("bad token: %d, want 401", code)
	}
}

// Faults injected through the control API reach ESI answers.
func TestControlFaultsReachESI(t *testing.T) {
	sim, base := startSim(t)
	id := strconv.Itoa(int(sim.Universe.CharacterIDs()[0]))
	res, err := http.Post(base+"/control/faults", "application/json",
		strings.NewReader(`{"route":"GET /characters/{character_id}","fail":{"status":503,"count":1}}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("inject: %v %v", err, res.Status)
	}
	res.Body.Close()
	if code, _ := esiGet(t, base, "/characters/"+id, ""); code != 503 {
		t.Errorf("first call after injecting: %d, want 503", code)
	}
	if code, _ := esiGet(t, base, "/characters/"+id, ""); code != 200 {
		t.Errorf("second call: %d, want 200", code)
	}
	res, err = http.Post(base+"/control/faults", "application/json", strings.NewReader(`{"route":"GET /nowhere","latency":"1ms"}`))
	if err != nil || res.StatusCode != 400 {
		t.Errorf("unknown route: %v %v, want 400", err, res.Status)
	}
}

// The control API counts the requests each ESI route received, those
// answered with a fault included.
func TestControlCountsRequests(t *testing.T) {
	sim, base := startSim(t)
	id := strconv.Itoa(int(sim.Universe.CharacterIDs()[0]))
	res, err := http.Post(base+"/control/faults", "application/json", strings.NewReader(`{"route":"GET /status","storm":"1m"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("inject: %v %v", err, res.Status)
	}
	res.Body.Close()
	for range 2 {
		esiGet(t, base, "/characters/"+id, "")
	}
	if code, _ := esiGet(t, base, "/status", ""); code != 420 {
		t.Fatalf("status during the storm: %d, want 420", code)
	}
	esiGet(t, base, "/nowhere", "")
	res, err = http.Get(base + "/control/requests")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("requests: %v %v", err, res.Status)
	}
	defer res.Body.Close()
	var got map[string]int
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"GET /characters/{character_id}": 2, "GET /status": 1, "/": 1}
	if !maps.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}
