package appapi

import (
	"net/http"

	"github.com/keepstar/keepstar/internal/web"
)

// mountTracking adds the operation of role app-tracking.
func (api *API) mountTracking(srv *web.Server) {
	api.handle(srv, "GET /api/app/v1/corporation/{id}/member-tracking", RoleTracking, api.memberTracking)
}

// memberTracking is memberTrackingV1: the members of a corporation from its
// member tracking data, filtered by the query (inactive, active: days;
// account: true or false), most recent logon first.
//
// Keepstar has no member tracking yet, so every corporation is one without
// tracking data, which Neucore answers with an empty list: it checks
// neither that the corporation exists nor that the app may see it, and it
// reads the query with PHP's (int) and string comparisons, so no query is
// ever refused. When Keepstar gains member tracking, this reads it.
func (api *API) memberTracking(w http.ResponseWriter, _ *http.Request, _ *App) {
	writeJSON(w, http.StatusOK, []any{})
}
