package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
)

// BenchmarkAddressLimit measures the per-address limit alone, around a
// handler that does nothing: off (not in the chain at all) and on.
func BenchmarkAddressLimit(b *testing.B) {
	for name, max := range map[string]string{"off": "0", "on": "1000000000"} {
		b.Run(name, func(b *testing.B) {
			env := map[string]string{"KEEPSTAR_SECRET_KEY": "0123456789abcdefghijklmnopqrstuvwxyz",
				"KEEPSTAR_RATE_LIMIT_IP_MAX": max, "KEEPSTAR_RATE_LIMIT_IP_WINDOW": "1h"}
			cfg, err := config.Load(config.Source{Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}, nil)
			if err != nil {
				b.Fatal(err)
			}
			s := &Server{deps: Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler)}}
			h := s.limitAddresses(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			req := httptest.NewRequest(http.MethodGet, "/api/app/v1/show", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
