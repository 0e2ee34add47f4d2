package appapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// BenchmarkESIProxyCached measures what the ESI proxy adds on a cache hit:
// GET /api/app/v2/esi/characters/{id}/roles through a running Keepstar
// (its answer cached, so ESI is not asked) against a direct GET of the same
// route at the simulated ESI with the character's token, one request at a
// time over kept-alive connections, the two alternating. It reports the
// median and 99th percentile of both, in microseconds. The simulator
// allows 300 calls of the route per character in 15 minutes, so the
// requests go round the characters of as many logins as b.N needs.
//
//	go test ./internal/appapi -run '^$' -bench ESIProxyCached -benchtime 3000x
func BenchmarkESIProxyCached(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			site := sitetest.Start(b, sitetest.Options{Dialect: d})
			ls := logins.NewStore(site.DB, nil)
			def, err := ls.Get(ctx, logins.Default)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ls.Update(ctx, logins.Default, logins.Input{Description: def.Description, Scopes: rolesScope}); err != nil {
				b.Fatal(err)
			}
			var chars []int32
			for len(chars) < b.N/250+1 {
				id := site.AccountCharacters(b, 1, chars...)[0]
				site.NewBrowser(b).LogIn(b, id)
				chars = append(chars, id)
			}
			st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			app, err := st.Create(ctx, appapi.Input{Name: "bench", Roles: []string{appapi.RoleESIProxy, appapi.RoleESIToken}, EveLogins: []string{logins.Default}})
			if err != nil {
				b.Fatal(err)
			}
			secret, err := st.NewSecret(ctx, app.ID)
			if err != nil {
				b.Fatal(err)
			}
			auth := bearer(app.ID, secret)
			client := &http.Client{}
			get := func(url, authorization string) time.Duration {
				req, err := http.NewRequest("GET", url, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", authorization)
				req.Header.Set("X-Compatibility-Date", esi.CompatibilityDate)
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				took := time.Since(start)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("%s: %s %v", url, res.Status, err)
				}
				return took
			}
			proxied := make([]string, len(chars))
			direct := make([]string, len(chars))
			tokens := make([]string, len(chars))
			for i, id := range chars {
				proxied[i] = fmt.Sprintf("%s/api/app/v2/esi/characters/%d/roles?datasource=%d", site.URL, id, id)
				direct[i] = fmt.Sprintf("%s/characters/%d/roles", site.SimURL, id)
				res, body := accessTokenOf(b, site, auth, id)
				if res != 200 {
					b.Fatalf("access token of %d: %d %s", id, res, body)
				}
				tokens[i] = "Bearer " + body
				get(proxied[i], auth) // the cache filled
			}
			asked := rolesRequests(b, site)

			proxy := make([]time.Duration, 0, b.N)
			sim := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				c := i % len(chars)
				if i%2 == 0 {
					proxy = append(proxy, get(proxied[c], auth))
					sim = append(sim, get(direct[c], tokens[c]))
				} else {
					sim = append(sim, get(direct[c], tokens[c]))
					proxy = append(proxy, get(proxied[c], auth))
				}
			}
			b.StopTimer()
			if n := rolesRequests(b, site) - asked; n != b.N {
				b.Fatalf("ESI got %d requests for %d direct ones: the proxy asked it", n, b.N)
			}
			slices.Sort(proxy)
			slices.Sort(sim)
			pct := func(d []time.Duration, p int) float64 {
				return float64(d[(len(d)-1)*p/100]) / float64(time.Microsecond)
			}
			b.ReportMetric(pct(proxy, 50), "proxy-p50-µs")
			b.ReportMetric(pct(proxy, 99), "proxy-p99-µs")
			b.ReportMetric(pct(sim, 50), "direct-p50-µs")
			b.ReportMetric(pct(sim, 99), "direct-p99-µs")
			b.ReportMetric(pct(proxy, 50)-pct(sim, 50), "overhead-p50-µs")
		})
	}
}

// accessTokenOf gets a character's core.default access token through the
// Application API: status and token.
func accessTokenOf(b *testing.B, site *sitetest.Site, auth string, id int32) (int, string) {
	req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/app/v1/esi/access-token/%d", site.URL, id), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body := sitetest.Body(b, res)
	var tok appapi.EsiAccessToken
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &tok) != nil {
		return res.StatusCode, body
	}
	return res.StatusCode, tok.Token
}

// rolesRequests counts the simulated ESI's requests of the roles route.
func rolesRequests(b *testing.B, site *sitetest.Site) int {
	res, err := http.Get(site.SimURL + "/control/requests")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var n map[string]int
	if err := json.NewDecoder(res.Body).Decode(&n); err != nil {
		b.Fatal(err)
	}
	return n["GET /characters/{character_id}/roles"]
}
