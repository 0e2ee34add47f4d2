// Package appapi is Neucore's Application API served by Keepstar: the apps
// other tools authenticate as (their roles, groups, EVE logins, managers and
// hashed secrets), the 33 operations of application-api-3.yml under
// /api/app/..., the ESI proxy, the per-app and per-address rate limits, and
// the pages where app administrators and app managers keep apps.
//
// The API operations (api.go, auth.go, chars.go, groups.go, esi.go,
// proxy*.go, ratelimit.go, requests.go, tracking.go) answer apps; the app
// administration (apps.go, managers.go, secret.go and the *_pages.go files)
// answers people. Both share the Store.
package appapi
