// Package esi is the simulator of EVE Online's ESI HTTP API that Keepstar
// runs instead of CCP's servers. It serves the simulated universe
// (package universe) on ESI's current, unversioned routes and imitates what
// a client must cope with: the X-Compatibility-Date header, bearer tokens
// with scopes and in-game roles, caching headers with ETag revalidation,
// per-group rate-limit buckets, the legacy error limit, ESI's error bodies
// and injected faults (latency, 5xx, 520, error storms, 429s).
//
// Every route is checked against CCP's OpenAPI specification by the
// package's conformance test; the route table in routes.go carries the
// spec's scopes, roles, cache ages and rate-limit groups. Access tokens are
// verified by a TokenVerifier the caller supplies (the SSO simulator), so
// this package never parses JWTs. All times come from the universe's clock.
package esi
