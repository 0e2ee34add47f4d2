package xmpp_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/services/xmpp"
	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
)

// pingGroup is the size of the group a benchmarked ping goes to.
const pingGroup = 5000

// A ping to a 5,000-member group through the real ejabberd: one
// send_message per member over mod_http_api, pingWorkers at a time. The
// members are registered (offline, so ejabberd stores each message too,
// the dearer case). Run with KEEPSTAR_TEST_EJABBERD set:
//
//	go test -run '^$' -bench BenchmarkPing5000 -benchtime 3x ./internal/services/xmpp/
func BenchmarkPing5000(b *testing.B) {
	ej := ejabberdtest.Start(b, ejabberdtest.Options{})
	to := make([]services.Account, pingGroup)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := fmt.Sprintf(`{"user":"pilot%d","host":"%s","password":"pw%d"}`, i, ej.Domain, i)
				resp, err := http.Post(ej.APIURL+"/register", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					continue
				}
				resp.Body.Close()
			}
		}()
	}
	for i := range to {
		to[i] = services.Account{ExternalID: fmt.Sprintf("pilot%d", i), ExternalName: fmt.Sprintf("pilot%d@%s", i, ej.Domain)}
		work <- i
	}
	close(work)
	wg.Wait()
	conn, err := xmpp.Open(services.Instance{Slug: "bench", Settings: map[string]string{xmpp.SettingBackend: xmpp.BackendEjabberd,
		xmpp.SettingAPIURL: ej.APIURL, xmpp.SettingDomain: ej.Domain}}, services.Env{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := conn.(*xmpp.Pinging).Ping(context.Background(), to, fmt.Sprintf("Ping %d: form up", i))
		if err != nil || n != pingGroup {
			b.Fatalf("ping: %d delivered, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/ping")
	b.ReportMetric(float64(pingGroup*b.N)/b.Elapsed().Seconds(), "messages/s")
}
