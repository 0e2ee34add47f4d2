package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHealthz measures one /healthz request through every middleware
// (request id, metrics, logging, security headers, cross-origin protection),
// without the network: the floor under every route's cost.
func BenchmarkHealthz(b *testing.B) {
	f := newFixture(b, nil)
	req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		f.srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
