package appapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/sitetest"
)

// BenchmarkFirstCallUnderFlood is the wrong-secret flood of issue 12: 100
// clients, each from its own address behind the trusted proxy, send wrong
// secrets for an app as fast as they are answered, while the app, with a
// secret just made (so checked for the first time), calls showV1 once per
// operation. It reports the mean and the slowest of those first calls, and
// the flood's requests answered per second; with the failed
// authentications per address limited (the default) and without.
//
//	go test ./internal/appapi -run XXX -bench FirstCallUnderFlood -benchtime 50x
func BenchmarkFirstCallUnderFlood(b *testing.B) {
	for name, failures := range map[string]string{"failures-limited": "20", "failures-unlimited": "0"} {
		b.Run(name, func(b *testing.B) {
			site := sitetest.Start(b, sitetest.Options{Env: map[string]string{
				"KEEPSTAR_RATE_LIMIT_APP_AUTH_FAILURES": failures, "KEEPSTAR_TRUSTED_PROXIES": "127.0.0.1"}})
			ctx := context.Background()
			st := appapi.NewStore(site.DB, site.Config.SecretKey, nil)
			a, err := st.Create(ctx, appapi.Input{Name: "Killboard", Roles: []string{appapi.RoleApp}})
			if err != nil {
				b.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}, Timeout: 30 * time.Second}
			call := func(auth, addr string) (int, error) {
				req, _ := http.NewRequest(http.MethodGet, site.URL+"/api/app/v1/show", nil)
				req.Header.Set("Authorization", auth)
				req.Header.Set("X-Forwarded-For", addr)
				res, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				return res.StatusCode, nil
			}

			stop := make(chan struct{})
			var flood sync.WaitGroup
			var mu sync.Mutex
			answered := 0
			wrong := bearer(a.ID, strings.Repeat("0", 64))
			for i := range 100 {
				flood.Go(func() {
					addr := fmt.Sprintf("198.51.100.%d", i)
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := call(wrong, addr); err == nil {
							mu.Lock()
							answered++
							mu.Unlock()
						}
					}
				})
			}
			time.Sleep(500 * time.Millisecond) // the flood under way
			mu.Lock()
			answered = 0
			mu.Unlock()
			started := time.Now()
			var took []time.Duration
			for b.Loop() {
				secret, err := st.NewSecret(ctx, a.ID)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				status, err := call(bearer(a.ID, secret), "203.0.113.1")
				took = append(took, time.Since(t0))
				if err != nil || status != 200 {
					b.Fatalf("the app's first call: %d %v", status, err)
				}
			}
			elapsed := time.Since(started)
			close(stop)
			flood.Wait()
			var sum time.Duration
			for _, d := range took {
				sum += d
			}
			b.ReportMetric(float64(sum.Microseconds())/1000/float64(len(took)), "ms/first-call")
			b.ReportMetric(float64(slices.Max(took).Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(answered)/elapsed.Seconds(), "flood-req/s")
		})
	}
}
