// Package esi is Keepstar's client of EVE Online's ESI API: one request
// path (Client.Do, Get, Post) that every call takes, and typed helpers for
// what Keepstar reads (characters, corporations, alliances, bulk
// affiliations and names, corporation members, paged walks).
//
// Every request carries the User-Agent and the X-Compatibility-Date this
// package was written against. GET answers are cached in the database
// (Cache) until their Expires and then revalidated with If-None-Match. A
// limit gate (Gate), also kept in the database so that every worker of
// every process shares it, learns ESI's error budget and rate-limit buckets
// from the answers' headers and holds calls back before ESI would refuse
// them; when the wait would be too long it returns a *LimitedError, so a
// job can snooze instead of failing. Server errors and network failures are
// retried with backoff; client errors (4xx) never are.
//
// A relayed call (Request.Relay, the Application API's ESI proxy) gives
// back whatever ESI answers, never waits at the gate (Gate.Check tells the
// caller how long it would) and is never retried; RouteOf and IsPublic name
// a path's route from the specification's table (routes.go).
//
// Access tokens come from a TokenSource (internal/eve/tokens in Keepstar).
// Neither tokens nor the bodies of authenticated answers are logged.
package esi
