package evesim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim"
	"github.com/keepstar/keepstar/internal/evesim/sso"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// The simulator serves the image server under /images, beside ESI's routes
// of the same shape.
func TestSimulatorServesImages(t *testing.T) {
	sim, err := evesim.New(evesim.Options{
		BaseURL: "http://127.0.0.1:8081", Seed: 5, Characters: 300, Issuer: sso.IssuerEVE,
		Clients: []sso.Client{{ID: "app", Secret: "app-secret", Callback: "http://127.0.0.1:9/sso/callback"}},
		Clock:   universe.NewClock(func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.Universe.Character(sim.Universe.CharacterIDs()[0])
	if err != nil {
		t.Fatal(err)
	}
	corp, err := sim.Universe.Corporation(c.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Compatibility-Date", "2026-08-18")
		sim.ServeHTTP(rec, req)
		return rec
	}

	rec := get(fmt.Sprintf("/images/characters/%d/portrait?size=32", c.ID))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("portrait: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `width="32"`) || rec.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("portrait: %s", rec.Body)
	}
	rec = get(fmt.Sprintf("/images/corporations/%d/logo?size=64", corp.ID))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), ">"+corp.Ticker+"</text>") {
		t.Errorf("corporation logo: %d %s", rec.Code, rec.Body)
	}
	if rec = get("/images/characters/1/portrait"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown character's portrait: %d", rec.Code)
	}

	// ESI still answers its own /characters/{id}.
	rec = get(fmt.Sprintf("/characters/%d", c.ID))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Errorf("ESI character: %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
