package web

import (
	"net/http"
	"slices"
	"strings"
)

// Access states who may use a route. Every route is mounted with one, so no
// route is open by accident, and the route listing (Routes) says who may use
// what.
type Access struct {
	name  string
	allow func(*Server, *http.Request) bool
	// login: a refused visitor who is not logged in is sent to log in
	// rather than told no.
	login bool
	// status and message answer a refused request when the route serves no
	// pages (metrics); otherwise a refusal is a page.
	status  int
	message string
}

// Name says who may use the route, as the route listing shows it.
func (a Access) Name() string { return a.name }

// Allows reports whether the request's visitor may use a route with this
// access; menus use it to show only what can be used.
func (a Access) Allows(s *Server, r *http.Request) bool { return a.allow(s, r) }

// Public routes are open to anyone, logged in or not.
var Public = Access{name: "public", allow: func(*Server, *http.Request) bool { return true }}

// MetricsReaders are Prometheus servers: a request with the metrics token, or
// a direct request from this machine when no token is set.
var MetricsReaders = Access{
	name: "metrics readers", allow: (*Server).isMetricsReader, status: http.StatusForbidden,
	message: "Forbidden: /metrics answers requests with the metrics token (KEEPSTAR_METRICS_TOKEN), or direct requests from this machine when no token is set.",
}

// LoggedIn routes are for any logged-in member.
var LoggedIn = Access{name: "logged in", login: true, allow: func(_ *Server, r *http.Request) bool {
	return ViewerFrom(r.Context()) != nil
}}

// Superusers routes are for superusers only.
var Superusers = Access{name: "superusers", login: true, allow: func(_ *Server, r *http.Request) bool {
	v := ViewerFrom(r.Context())
	return v != nil && v.Superuser
}}

// Role admits members holding any of the roles, and superusers, who hold
// every role.
func Role(roles ...string) Access {
	return Access{name: "role " + strings.Join(roles, " or "), login: true, allow: func(_ *Server, r *http.Request) bool {
		v := ViewerFrom(r.Context())
		return v != nil && slices.ContainsFunc(roles, v.HasRole)
	}}
}

// Permission admits members holding any of the permissions, and
// superusers.
func Permission(permissions ...string) Access {
	return Access{name: "permission " + strings.Join(permissions, " or "), login: true, allow: func(_ *Server, r *http.Request) bool {
		v := ViewerFrom(r.Context())
		return v != nil && slices.ContainsFunc(permissions, v.Has)
	}}
}

// Either admits whom any of the rules admits.
func Either(rules ...Access) Access {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.name
	}
	return Access{name: strings.Join(names, " | "), login: true, allow: func(s *Server, r *http.Request) bool {
		return slices.ContainsFunc(rules, func(a Access) bool { return a.allow(s, r) })
	}}
}

// Allow admits the members fn admits, under a name for the route listing:
// for rules a feature decides from what the viewer carries.
func Allow(name string, fn func(*Viewer) bool) Access {
	return Access{name: name, login: true, allow: func(_ *Server, r *http.Request) bool {
		v := ViewerFrom(r.Context())
		return v != nil && fn(v)
	}}
}

// Apps is the access of the Application API: applications that prove
// themselves with their secret (a bearer token) on every request and hold
// role. The API's handlers check both, answering 401 or 403 as Neucore's
// clients expect; a web visitor without the token is refused with 401.
func Apps(role string) Access {
	return Access{name: "apps with role " + role, allow: func(*Server, *http.Request) bool { return true }}
}
