package evesim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// GET /markets/prices gives every static price in the spec's shape, with
// the hour of cache the spec's x-cache-age says.
func TestMarketPrices(t *testing.T) {
	_, base := startSim(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/markets/prices", nil)
	req.Header.Set("X-Compatibility-Date", "2026-08-18")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=3600") {
		t.Fatalf("%d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var got []struct {
		TypeID        int32   `json:"type_id"`
		AveragePrice  float64 `json:"average_price"`
		AdjustedPrice float64 `json:"adjusted_price"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := universe.MarketPrices()
	if len(got) != len(want) {
		t.Fatalf("%d prices, want %d", len(got), len(want))
	}
	for i, p := range want {
		if got[i].TypeID != p.TypeID || got[i].AveragePrice != p.AveragePrice || got[i].AdjustedPrice != p.AdjustedPrice {
			t.Errorf("price %d: %+v, want %+v", i, got[i], p)
		}
	}
}
