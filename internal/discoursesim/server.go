package discoursesim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// BaseURL is the forum's own address (its return_sso_url is
	// BaseURL/session/sso_login).
	BaseURL string
	// ConnectURL is discourse_connect_url: the provider's page.
	ConnectURL string
	// Secret is discourse_connect_secret.
	Secret string
	// APIKey is an admin API key (all users), APIUsername an admin the
	// key may act as ("system" when empty).
	APIKey, APIUsername string
	// OverridesUsername, OverridesName and OverridesAvatar are
	// Discourse's "auth overrides username/name/avatar": off (Discourse's
	// default), a login changes only what a new user gets.
	OverridesUsername, OverridesName, OverridesAvatar bool
	// AdminMax requests per AdminWindow for the admin API (60 a minute
	// when zero); IPMax per IPWindow for the rest (50 per 10 s).
	AdminMax    int
	AdminWindow time.Duration
	IPMax       int
	IPWindow    time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// User is a forum user.
type User struct {
	ID         int
	Username   string
	Name       string
	Email      string
	ExternalID string
	AvatarURL  string
	Active     bool
	Admin      bool
	Moderator  bool
	// SuspendedTill is zero when the user is not suspended.
	SuspendedTill time.Time
	SuspendReason string
	// LogOuts counts the admin's log outs.
	LogOuts int
	Groups  []string // sorted
}

// Group is a forum group.
type Group struct {
	ID        int
	Name      string
	Automatic bool
}

type nonce struct {
	session string
	made    time.Time
	used    time.Time // zero until used
	path    string
}

// Server is the simulated forum.
type Server struct {
	o   Options
	now func() time.Time
	mux *http.ServeMux

	mu        sync.Mutex
	users     []*User
	groups    []*Group
	nonces    map[string]*nonce
	sessions  map[string]int // login cookie → user id
	adminReqs []time.Time    // the admin API's requests in the window
	perIP     map[string][]time.Time
	stats     Stats
}

// Stats count what the server saw.
type Stats struct {
	AdminRequests int // admin API requests answered (not limited)
	Limited       int // requests answered 429
	Logins        int // browser logins through DiscourseConnect
	Refused       int // DiscourseConnect payloads refused
}

// The automatic groups every Discourse has, with their ids.
var automaticGroups = []string{"everyone", "admins", "moderators", "staff", "trust_level_0", "trust_level_1",
	"trust_level_2", "trust_level_3", "trust_level_4"}

// New makes a forum with the system user (an admin) and the automatic
// groups.
func New(o Options) *Server {
	if o.APIUsername == "" {
		o.APIUsername = "system"
	}
	if o.AdminMax == 0 {
		o.AdminMax, o.AdminWindow = 60, time.Minute
	}
	if o.IPMax == 0 {
		o.IPMax, o.IPWindow = 50, 10*time.Second
	}
	s := &Server{o: o, now: o.Now, nonces: map[string]*nonce{}, sessions: map[string]int{}, perIP: map[string][]time.Time{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.users = append(s.users, &User{ID: -1, Username: o.APIUsername, Name: o.APIUsername, Email: "no_email", Active: true, Admin: true})
	for i, g := range automaticGroups {
		s.groups = append(s.groups, &Group{ID: i, Name: g, Automatic: true})
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page)
	m.HandleFunc("GET /session/sso", s.ssoStart)
	m.HandleFunc("GET /session/sso_login", s.ssoLogin)
	m.HandleFunc("POST /admin/users/sync_sso", s.admin(s.syncSSO))
	m.HandleFunc("GET /users/by-external/{id}", s.admin(s.byExternal))
	m.HandleFunc("POST /admin/users/{id}/log_out", s.admin(s.logOut))
	m.HandleFunc("PUT /admin/users/{id}/suspend", s.admin(s.suspend))
	m.HandleFunc("PUT /admin/users/{id}/unsuspend", s.admin(s.unsuspend))
	m.HandleFunc("GET /groups.json", s.admin(s.listGroups))
	m.HandleFunc("POST /admin/groups.json", s.admin(s.createGroup))
	m.HandleFunc("PUT /groups/{id}/members.json", s.admin(s.addMembers))
	m.HandleFunc("DELETE /groups/{id}/members.json", s.admin(s.removeMembers))
	s.mux = m
	return s
}

// ServeHTTP answers a request, within the per-address limit (requests
// with an admin key count against the admin API's instead).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Api-Key") == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		s.mu.Lock()
		list := s.perIP[host]
		wait := take(s.now(), &list, s.o.IPMax, s.o.IPWindow)
		s.perIP[host] = list
		if wait > 0 {
			s.stats.Limited++
		}
		s.mu.Unlock()
		if wait > 0 {
			limited(w, wait)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// take counts a request in a sliding window of max per window: it gives
// how long to wait when the window is full (the request is not counted),
// zero when it was taken.
func take(now time.Time, list *[]time.Time, max int, window time.Duration) time.Duration {
	kept := (*list)[:0]
	for _, t := range *list {
		if now.Sub(t) < window {
			kept = append(kept, t)
		}
	}
	*list = kept
	if len(kept) >= max {
		return kept[0].Add(window).Sub(now)
	}
	*list = append(*list, now)
	return 0
}

// limited answers 429 as Discourse does: Retry-After in whole seconds
// (at least one) and the rate_limit error.
func limited(w http.ResponseWriter, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	secs = max(secs, 1)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"errors":     []string{fmt.Sprintf("You’ve performed this action too many times. Please wait %d seconds before trying again.", secs)},
		"error_type": "rate_limit", "extras": map[string]any{"wait_seconds": secs, "time_left": fmt.Sprintf("%d seconds", secs)}})
}

// admin wraps an admin API route: the key and the user it acts as are
// checked, then the admin API's limit.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, user := r.Header.Get("Api-Key"), r.Header.Get("Api-Username")
		if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.o.APIKey)) != 1 || !strings.EqualFold(user, s.o.APIUsername) {
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": []string{"You are not permitted to view the requested resource. The API username or key is invalid."},
				"error_type": "invalid_access"})
			return
		}
		s.mu.Lock()
		wait := take(s.now(), &s.adminReqs, s.o.AdminMax, s.o.AdminWindow)
		if wait > 0 {
			s.stats.Limited++
		} else {
			s.stats.AdminRequests++
		}
		s.mu.Unlock()
		if wait > 0 {
			limited(w, wait)
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// failed answers Discourse's failed_json with a message.
func failed(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"failed": "FAILED", "message": message})
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{"The requested URL or resource could not be found."},
		"error_type": "not_found"})
}

func badParam(w http.ResponseWriter, name string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"param is missing or the value is empty: " + name},
		"error_type": "invalid_parameters"})
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// userByID gives a user; the caller holds mu.
func (s *Server) userByID(id int) *User {
	for _, u := range s.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (s *Server) userBy(match func(*User) bool) *User {
	for _, u := range s.users {
		if match(u) {
			return u
		}
	}
	return nil
}

func (s *Server) groupByName(name string) *Group {
	for _, g := range s.groups {
		if strings.EqualFold(g.Name, name) {
			return g
		}
	}
	return nil
}

func (s *Server) groupByID(id int) *Group {
	for _, g := range s.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func (u *User) inGroup(name string) bool {
	return slices.ContainsFunc(u.Groups, func(g string) bool { return strings.EqualFold(g, name) })
}

func (u *User) join(name string) {
	if !u.inGroup(name) {
		u.Groups = append(u.Groups, name)
		slices.Sort(u.Groups)
	}
}

func (u *User) leave(name string) {
	u.Groups = slices.DeleteFunc(u.Groups, func(g string) bool { return strings.EqualFold(g, name) })
}

// Discourse's username rules with unicode_usernames off (its default):
// UsernameValidator.
var (
	usernameChars  = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	doubleSpecial  = regexp.MustCompile(`[-_.]{2,}`)
	confusingTails = regexp.MustCompile(`(?i)\.(js|json|css|htm|html|xml|jpg|jpeg|png|gif|bmp|ico|tif|tiff|woff)$`)
)

// CheckUsername says why Discourse refuses a username (or a group's
// name), "" if it does not.
func CheckUsername(name string) string {
	switch {
	case len(name) < 3:
		return "must be at least 3 characters"
	case len(name) > 20:
		return "must be no more than 20 characters"
	case !usernameChars.MatchString(name):
		return "must only include numbers, letters, dashes, dots, and underscores"
	case !isAlnum(name[0]) && name[0] != '_':
		return "must begin with a letter, a number or an underscore"
	case !isAlnum(name[len(name)-1]):
		return "must end with a letter or a number"
	case doubleSpecial.MatchString(name):
		return "must not contain a sequence of 2 or more special chars (.-_)"
	case confusingTails.MatchString(name):
		return "must not end with a confusing suffix like .json or .png etc."
	}
	return ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// Hooks for tests.

// Users gives a copy of every user but system.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.users {
		if u.ID > 0 {
			c := *u
			c.Groups = slices.Clone(u.Groups)
			out = append(out, c)
		}
	}
	return out
}

// UserByExternal gives a copy of the user of an external id.
func (s *Server) UserByExternal(id string) (User, bool) {
	for _, u := range s.Users() {
		if u.ExternalID == id {
			return u, true
		}
	}
	return User{}, false
}

// AddGroup makes a group (as an admin would on the forum's page).
func (s *Server) AddGroup(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.addGroup(name)
	return err
}

func (s *Server) addGroup(name string) (*Group, error) {
	if why := CheckUsername(name); why != "" {
		return nil, fmt.Errorf("Name %s", why)
	}
	if s.groupByName(name) != nil || s.userBy(func(u *User) bool { return strings.EqualFold(u.Username, name) }) != nil {
		return nil, fmt.Errorf("Name has already been taken")
	}
	g := &Group{ID: 40 + len(s.groups), Name: name}
	s.groups = append(s.groups, g)
	return g, nil
}

// SetGroup puts a user in a group or takes them out, as an admin would
// by hand.
func (s *Server) SetGroup(userID int, group string, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userByID(userID); u != nil {
		if in {
			u.join(group)
		} else {
			u.leave(group)
		}
	}
}

// Stats reads the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Sessions counts the browsers logged in as a user.
func (s *Server) Sessions(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range s.sessions {
		if id == userID {
			n++
		}
	}
	return n
}

// SetAdminLimit changes the admin API's limit (max requests per window)
// from now on, as a test of Keepstar's handling of 429 needs.
func (s *Server) SetAdminLimit(max int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.AdminMax, s.o.AdminWindow = max, window
	s.adminReqs = nil
}

// Suspend suspends a user as the forum's staff would by hand.
func (s *Server) Suspend(userID int, till time.Time, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userByID(userID); u != nil {
		u.SuspendedTill, u.SuspendReason = till, reason
	}
}
