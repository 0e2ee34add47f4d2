package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/ratelimit"
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

// BenchmarkAddressLimitFullTable measures a request from a new address
// when the per-address table is full of open windows (a flood from
// ratelimit.DefaultMaxKeys addresses within one window): it costs what a
// request of BenchmarkAddressLimit/on does, not a scan of the table.
func BenchmarkAddressLimitFullTable(b *testing.B) {
	h := limitedHandler(b, "1000000000")
	for i := range ratelimit.DefaultMaxKeys {
		r := httptest.NewRequest(http.MethodGet, "/api/app/v1/show", nil)
		r.Header.Set("X-Forwarded-For", floodAddr(i))
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/app/v1/show", nil)
	i := ratelimit.DefaultMaxKeys
	b.ReportAllocs()
	for b.Loop() {
		req.Header.Set("X-Forwarded-For", floodAddr(i))
		h.ServeHTTP(httptest.NewRecorder(), req)
		i++
	}
}
