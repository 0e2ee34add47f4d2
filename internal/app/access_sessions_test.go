package app_test

import "testing"

// sessionsRows are the access matrix rows of the member's sessions page:
// logged-in members only, each acting on their own sessions. Logging out
// everywhere ends the visitor's own session, so it runs last, beside
// POST /logout.
func sessionsRows(t *testing.T, e *matrixEnv) map[string][]check {
	return map[string][]check{
		"GET /sessions":                {{"GET", "/sessions", nil, members(200)}},
		"POST /sessions/{id}/logout":   {{"POST", "/sessions/no-such-session/logout", nil, members(404)}},
		"POST /sessions/logout-others": {{"POST", "/sessions/logout-others", nil, members(200)}},
		"POST /sessions/logout-all":    {{"POST", "/sessions/logout-all", nil, members(200)}},
	}
}

func init() { rowsets = append(rowsets, sessionsRows) }
