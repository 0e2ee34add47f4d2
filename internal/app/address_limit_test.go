package app_test

import (
	"net/http"
	"testing"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestAddressLimitSharedAcrossProcesses: two serve processes on one
// PostgreSQL database count a client address's requests in the same
// window, so the limit holds for the site, not for each process; a
// process refuses on its own count too, once that alone is over.
func TestAddressLimitSharedAcrossProcesses(t *testing.T) {
	site := sitetest.Start(t, sitetest.Options{Dialect: config.Postgres,
		Env: map[string]string{"KEEPSTAR_RATE_LIMIT_IP_MAX": "4", "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "1h"}})
	other := site.StartProcess(t, nil, app.Options{Mode: app.WebOnly})
	for i, step := range []struct {
		url, remain string
		status      int
	}{
		{site.URL, "3", 404}, {other.URL, "2", 404}, {site.URL, "1", 404}, {other.URL, "0", 404},
		{site.URL, "-1", 429}, {other.URL, "-2", 429},
		// Four of the seven came to the site's process: on its own count
		// the address is not over the limit, on the site's it is.
		{site.URL, "-3", 429},
	} {
		res, err := http.Get(step.url + "/no-such-page")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != step.status || res.Header.Get(ratelimit.HeaderRemain) != step.remain {
			t.Errorf("request %d: %s, remain %q; want %d and %s", i+1, res.Status, res.Header.Get(ratelimit.HeaderRemain), step.status, step.remain)
		}
	}
}
