package appapi

import (
	"net/http"

	"github.com/keepstar/keepstar/internal/web"
)

// A versioned operation reads the app's version in the same statement as
// its answer, so that an app whose secret was checked before costs one
// statement per request instead of two (the authenticator's version read,
// then the operation's). For the hottest operation, the groups of a
// character, that read was a seventh of the server's CPU
// (docs/performance.md). Nothing is cached that could be stale: the
// statement reads the version and the answer together, and the answer is
// sent only when the version is the one whose secret was checked, so a new
// secret or any change of the app counts at the very next request, as with
// Authenticate.

// versionedRead runs an operation's one statement for an app as it was at
// its remembered version. It gives the app's version that statement read (0
// when the app is gone) and the answer, to be written only if that version
// is the app's.
type versionedRead func(r *http.Request, app *App) (version int64, answer func(http.ResponseWriter), err error)

// handleVersioned mounts an operation that read serves in one statement
// for an app remembered at its current version; any other request (a
// secret not yet checked, an app changed since, a missing role, an error)
// goes the way of handle, to h, which answers it as Neucore does.
func (api *API) handleVersioned(srv *web.Server, pattern, role string, read versionedRead, h appHandler) {
	srv.HandleAPI(pattern, web.Apps(role), api.versioned(role, read, h))
}

// versioned is handleVersioned's handler.
func (api *API) versioned(role string, read versionedRead, h appHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An address over its failures is refused first here too: a
		// remembered secret must not become a way round that limit.
		client, refused := api.refuseClient(w, r)
		if refused {
			return
		}
		if app, ok := api.auth.Remembered(r.Header.Get("Authorization")); ok && app.Has(role) {
			version, answer, err := read(r, app)
			if err == nil && version == app.Version {
				// As serve does, once the app is known: counted even when
				// the limit refuses it.
				api.requests.Add(app.ID)
				if api.limit.admit(w, r, app) {
					answer(w)
				}
				return
			}
		}
		api.serve(w, r, role, h, client)
	})
}
