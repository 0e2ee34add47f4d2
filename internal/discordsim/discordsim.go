package discordsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configure a simulated Discord.
type Options struct {
	// BotToken is the token the bot sends as "Authorization: Bot <token>".
	BotToken string
	// ClientID, ClientSecret and RedirectURIs are the registered OAuth2 app.
	ClientID, ClientSecret string
	RedirectURIs           []string
	// MembersIntent is the application's privileged GUILD_MEMBERS intent,
	// which listing a guild's members needs. Discord leaves it off until it
	// is enabled in the developer portal; so does the simulator.
	MembersIntent bool
	// Now is the clock; nil means time.Now. Tests drive it to move buckets.
	Now func() time.Time
}

// Server is the simulated Discord: state, OAuth2 grants, rate-limit buckets.
type Server struct {
	opts   Options
	now    func() time.Time
	mux    *http.ServeMux
	mu     sync.Mutex
	nextID uint64
	guilds map[string]*guild
	users  map[string]*User
	// bot is the application's bot user, which users/@me answers for the
	// bot token; its id is the application's (client) id, as on Discord.
	bot    *User
	codes  map[string]*authCode
	grants map[string]*grant // by access token and by refresh token
	limits limiter
	// membersIntent is Options.MembersIntent, changed by SetMembersIntent.
	membersIntent bool
}

// New builds a simulated Discord.
func New(opts Options) *Server {
	s := &Server{opts: opts, now: opts.Now, mux: http.NewServeMux(), nextID: 1_000_000_000_000_000,
		guilds: map[string]*guild{}, users: map[string]*User{}, codes: map[string]*authCode{},
		grants: map[string]*grant{}, membersIntent: opts.MembersIntent}
	if s.now == nil {
		s.now = time.Now
	}
	s.bot = &User{ID: opts.ClientID, Username: "Keepstar", Bot: true}
	if !isSnowflake(opts.ClientID) {
		s.bot.ID = s.newID()
	}
	s.limits.init()
	s.mount()
	return s
}

// ServeHTTP serves the REST API, OAuth2, the authorize page and the guild
// pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// route describes one v10 REST route: its handler, its rate-limit bucket
// (nil: only the global gate) and whether it needs the bot token.
type route struct {
	name   string
	bucket *bucketSpec
	bot    bool
	h      func(w http.ResponseWriter, r *http.Request, g *guild) *apiError
}

func (s *Server) mount() {
	v := "/api/v10"
	s.handle("GET "+v+"/users/@me", route{name: "users/@me", h: s.getMe})
	s.handle("GET "+v+"/guilds/{g}", route{name: "guild", bot: true, h: s.getGuild})
	s.handle("GET "+v+"/guilds/{g}/members", route{name: "members list", bucket: &bucketMemberList, bot: true, h: s.listMembers})
	s.handle("PUT "+v+"/guilds/{g}/members/{u}", route{name: "member add", bucket: &bucketMemberAdd, bot: true, h: s.putMember})
	s.handle("GET "+v+"/guilds/{g}/members/{u}", route{name: "member get", bucket: &bucketMemberGet, bot: true, h: s.getMember})
	s.handle("PATCH "+v+"/guilds/{g}/members/{u}", route{name: "member modify", bucket: &bucketMemberModify, bot: true, h: s.patchMember})
	s.handle("DELETE "+v+"/guilds/{g}/members/{u}", route{name: "member remove", bucket: &bucketMemberRemove, bot: true, h: s.kickMember})
	s.handle("PUT "+v+"/guilds/{g}/members/{u}/roles/{r}", route{name: "member role add", bucket: &bucketMemberRole, bot: true, h: s.addMemberRole})
	s.handle("DELETE "+v+"/guilds/{g}/members/{u}/roles/{r}", route{name: "member role remove", bucket: &bucketMemberRole, bot: true, h: s.removeMemberRole})
	s.handle("GET "+v+"/guilds/{g}/roles", route{name: "roles list", bot: true, h: s.listRoles})
	s.handle("POST "+v+"/guilds/{g}/roles", route{name: "role create", bucket: &bucketRoleCreate, bot: true, h: s.createRole})
	s.handle("DELETE "+v+"/guilds/{g}/roles/{r}", route{name: "role delete", bot: true, h: s.deleteRole})
	s.handle("POST "+v+"/channels/{c}/messages", route{name: "message create", bucket: &bucketChannelMessage, bot: true, h: s.postMessage})
	s.mux.HandleFunc("GET /oauth2/authorize", s.authorizePage)
	s.mux.HandleFunc("POST /oauth2/authorize", s.authorizeDecide)
	for _, p := range []string{"/api", "/api/v10"} {
		s.mux.HandleFunc("POST "+p+"/oauth2/token", s.token)
		s.mux.HandleFunc("POST "+p+"/oauth2/token/revoke", s.revoke)
	}
	s.mux.HandleFunc("/api/", s.otherVersion)
	s.mux.HandleFunc("GET /{$}", s.guildsPage)
	s.mux.HandleFunc("GET /guilds/{g}", s.guildPage)
}

// otherVersion answers paths outside the routes above. Discord answers 400
// for discontinued versions (v3–v5); the unversioned path means v6 and
// v6–v9 exist on Discord but not here, so they answer 404: Keepstar must
// pin /api/v10 and a connector built against another version fails loudly.
func (s *Server) otherVersion(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/api/")
	version, _, _ := strings.Cut(rest, "/")
	switch version {
	case "v3", "v4", "v5":
		writeError(w, &apiError{status: http.StatusBadRequest, code: 50041, message: "Invalid API version provided"})
	case "v10":
		writeError(w, &apiError{status: http.StatusNotFound, code: 0, message: "404: Not Found"})
	default:
		writeError(w, &apiError{status: http.StatusNotFound, code: 0,
			message: "404: Not Found (discordsim serves API v10 only; pin /api/v10)"})
	}
}

func (s *Server) handle(pattern string, rt route) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, rt) })
}

// serve runs the checks every request meets, in Discord's order: outage,
// authentication, the global gate, the route's bucket, then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.limits.requests[rt.name]++
	if s.limits.outage != 0 {
		http.Error(w, "upstream connect error", s.limits.outage)
		return
	}
	if rt.bot && r.Header.Get("Authorization") != "Bot "+s.opts.BotToken {
		s.limits.invalid(now)
		writeError(w, &apiError{status: http.StatusUnauthorized, code: 40001, message: "401: Unauthorized"})
		return
	}
	if rt.bot {
		s.limits.perSecond.add(now)
	}
	if s.limits.forced > 0 {
		s.limits.forced--
		s.limits.tooMany(w, now, s.limits.forcedAfter, "shared", false)
		return
	}
	// The global gate is per bot; a user's Bearer calls are not counted in it.
	if rt.bot {
		if after, limited := s.limits.global.take(now); limited {
			s.limits.tooMany(w, now, after, "global", true)
			return
		}
	}
	var g *guild
	if id := r.PathValue("c"); id != "" {
		// A channel's routes count per channel, their top-level resource.
		b := s.limits.bucket(rt.bucket, id, now)
		if b.remaining == 0 {
			b.headers(w, now)
			s.limits.tooMany(w, now, b.resetAfter(now), "user", false)
			return
		}
		b.remaining--
		b.headers(w, now)
		var e *apiError
		if g, e = s.channelAccess(id); e != nil {
			s.finish(w, now, e)
			return
		}
	}
	if id := r.PathValue("g"); id != "" {
		if rt.bucket != nil {
			b := s.limits.bucket(rt.bucket, id, now)
			if b.remaining == 0 {
				b.headers(w, now)
				s.limits.tooMany(w, now, b.resetAfter(now), "user", false)
				return
			}
			b.remaining--
			b.headers(w, now)
		}
		g = s.guilds[id]
		if g == nil {
			s.finish(w, now, &apiError{status: http.StatusNotFound, code: 10004, message: "Unknown Guild"})
			return
		}
		if !g.botIn {
			s.finish(w, now, errMissingAccess)
			return
		}
	}
	s.finish(w, now, rt.h(w, r, g))
}

func (s *Server) finish(w http.ResponseWriter, now time.Time, e *apiError) {
	if e == nil {
		return
	}
	if e.status == http.StatusUnauthorized || e.status == http.StatusForbidden {
		s.limits.invalid(now)
	}
	writeError(w, e)
}

// apiError is Discord's JSON error {"code", "message"} with its HTTP status.
type apiError struct {
	status  int
	code    int
	message string
	errors  any // the "errors" object of 50035, naming the field
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"code": e.code, "message": e.message}
	if e.errors != nil {
		body["errors"] = e.errors
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// invalidForm is 400/50035 naming the field and Discord's reason.
func invalidForm(field, code, message string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: 50035, message: "Invalid Form Body",
		errors: map[string]any{field: map[string]any{"_errors": []map[string]string{{"code": code, "message": message}}}}}
}

var (
	errUnknownMember = &apiError{status: http.StatusNotFound, code: 10007, message: "Unknown Member"}
	errUnknownRole   = &apiError{status: http.StatusNotFound, code: 10011, message: "Unknown Role"}
	errUnknownUser   = &apiError{status: http.StatusNotFound, code: 10013, message: "Unknown User"}
	errMissingAccess = &apiError{status: http.StatusForbidden, code: 50001, message: "Missing Access"}
	errMissingPerms  = &apiError{status: http.StatusForbidden, code: 50013, message: "Missing Permissions"}
	errInvalidRole   = &apiError{status: http.StatusBadRequest, code: 50028, message: "Invalid Role"}
	errBadJSON       = &apiError{status: http.StatusBadRequest, code: 50109, message: "The request body contains invalid JSON."}
)
