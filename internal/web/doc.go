// Package web is Keepstar's HTTP server: the middleware every request passes
// (request id, logging, metrics, security headers, cross-origin protection,
// panic recovery), the operational endpoints (/healthz, /readyz, /metrics),
// embedded assets and pages. Features mount their routes here, each stating
// who may use it.
package web
