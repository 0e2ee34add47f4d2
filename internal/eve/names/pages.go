package names

import (
	"embed"
	"net/http"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// Locales holds the package's messages, one locales/<tag>.toml per language;
// internal/app gives it to i18n.Load with the other packages'.
//
//go:embed locales/*.toml
var Locales embed.FS

// LookupAccess admits those who edit a form that names EVE entities: group
// admins (groups' corporations and alliances), holders of the settings role
// (the deactivation filters) and superusers (states, and every other form).
// A member without these roles has nothing to look up.
var LookupAccess = web.Role(access.RoleGroupAdmin, access.RoleSettings)

// maxQueryRunes bounds what is looked up: ESI's names have at most 100
// characters.
const maxQueryRunes = 100

// Feature is the lookup route of the "type a name" widget.
func (r *Resolver) Feature() feature.Feature {
	return feature.Feature{
		Name: "names",
		Routes: func(srv *web.Server) error {
			srv.Handle("GET /api/eve/names", LookupAccess, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				r.lookup(srv, w, req)
			}))
			return nil
		},
	}
}

// lookupAnswer is the lookup's JSON answer.
type lookupAnswer struct {
	Matches []Match `json:"matches"`
}

// lookup answers GET /api/eve/names?kind=corporation&q=Gal with the
// entities of the kind whose names start with q (Search).
func (r *Resolver) lookup(srv *web.Server, w http.ResponseWriter, req *http.Request) {
	kind, q := req.URL.Query().Get("kind"), req.URL.Query().Get("q")
	if !ValidKind(kind) {
		srv.Fail(w, req, http.StatusBadRequest, "names.error.kind")
		return
	}
	if utf8.RuneCountInString(q) > maxQueryRunes {
		srv.Fail(w, req, http.StatusBadRequest, "names.error.query", "Max", maxQueryRunes)
		return
	}
	matches, err := r.Search(req.Context(), kind, q)
	if err != nil {
		srv.Internal(w, req, err)
		return
	}
	if matches == nil {
		matches = []Match{}
	}
	web.WriteJSON(w, http.StatusOK, lookupAnswer{Matches: matches})
}
