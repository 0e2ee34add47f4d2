package openfiresim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Base is where the plugin's routes are.
const Base = "/plugins/restapi/v1"

// Server is the fake Openfire.
type Server struct {
	secret string
	// Domain is the XMPP domain, for the page and JIDs.
	Domain string

	mu       sync.Mutex
	users    map[string]*user
	groups   map[string]*group
	requests int
}

type user struct {
	Username, Name, Email, password string
	locked                          bool
	sessions                        int
	messages                        []string
}

type group struct {
	Name, Description string
	Shared            bool
	members           map[string]bool
}

// New makes a fake Openfire whose REST API takes secret.
func New(secret, domain string) *Server {
	return &Server{secret: secret, Domain: domain, users: map[string]*user{}, groups: map[string]*group{}}
}

// Errors of Login.
var (
	ErrNotAuthorized = errors.New("openfiresim: not-authorized")
	ErrLockedOut     = errors.New("openfiresim: the account is locked out")
)

// Login checks a user's password as a client's login would and opens a
// session.
func (s *Server) Login(username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[strings.ToLower(username)]
	switch {
	case !ok || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1:
		return ErrNotAuthorized
	case u.locked:
		return ErrLockedOut
	}
	u.sessions++
	return nil
}

// Sessions is how many sessions a user has open.
func (s *Server) Sessions(username string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[username]; ok {
		return u.sessions
	}
	return 0
}

// Locked reports whether a user is locked out; ok is false when there is
// no such user.
func (s *Server) Locked(username string) (locked, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	return ok && u.locked, ok
}

// Members lists a group's members, sorted.
func (s *Server) Members(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[name]
	if !ok {
		return nil
	}
	return sortedKeys(g.members)
}

// Messages are the broadcasts a user's sessions received.
func (s *Server) Messages(username string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[username]; ok {
		return slices.Clone(u.messages)
	}
	return nil
}

// Requests counts the API requests answered.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Handler serves the REST API under Base and the page at /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" "+Base+path, s.guard(h))
	}
	api("GET /users", s.listUsers)
	api("POST /users", s.createUser)
	api("GET /users/{u}", s.getUser)
	api("PUT /users/{u}", s.updateUser)
	api("DELETE /users/{u}", s.deleteUser)
	api("GET /users/{u}/groups", s.userGroups)
	api("POST /users/{u}/groups", s.addUserGroups)
	api("DELETE /users/{u}/groups", s.delUserGroups)
	api("POST /users/{u}/groups/{g}", s.addUserGroup)
	api("DELETE /users/{u}/groups/{g}", s.delUserGroup)
	api("GET /groups", s.listGroups)
	api("POST /groups", s.createGroup)
	api("GET /groups/{g}", s.getGroup)
	api("DELETE /groups/{g}", s.deleteGroup)
	api("POST /lockouts/{u}", s.lock)
	api("DELETE /lockouts/{u}", s.unlock)
	api("GET /sessions", s.listSessions)
	api("DELETE /sessions/{u}", s.kick)
	api("POST /messages/users", s.broadcast)
	mux.HandleFunc("/", s.page)
	return mux
}

// guard checks the secret and the JSON negotiation, and counts.
func (s *Server) guard(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		s.mu.Unlock()
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(s.secret)) != 1 || s.secret == "" {
			// The plugin answers 401 without a body.
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			http.Error(w, "openfiresim speaks JSON only (the plugin would answer XML): send Accept: application/json", http.StatusNotAcceptable)
			return
		}
		if r.ContentLength != 0 && r.Method != http.MethodGet {
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				w.WriteHeader(http.StatusUnsupportedMediaType)
				return
			}
		}
		h(w, r)
	}
}

// fail writes the plugin's error body.
func fail(w http.ResponseWriter, status int, exception, message, resource string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"exception": exception, "message": message, "resource": resource})
}

func reply(w http.ResponseWriter, status int, v any) {
	if v == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request, v any) error {
	d := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	return d.Decode(v)
}

// Openfire's user names: trimmed and lower-cased by its UserManager, and
// a JID's local part (nodeprep) at most 1023 bytes, without these.
const forbidden = "\"&'/:<>@ "

// normalize gives the name Openfire stores, or "" when it refuses it.
func normalize(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" || len(name) > 1023 || strings.ContainsAny(name, forbidden) ||
		strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return ""
	}
	return name
}

// userOf finds the user the path names, or answers 404.
func (s *Server) userOf(w http.ResponseWriter, r *http.Request) (*user, bool) {
	u, ok := s.users[strings.ToLower(r.PathValue("u"))]
	if !ok {
		fail(w, http.StatusNotFound, "UserNotFoundException", "User not found", r.PathValue("u"))
	}
	return u, ok
}

type userEntity struct {
	Username string `json:"username"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Password string `json:"password,omitempty"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []userEntity{}
	for _, name := range sortedKeys(s.users) {
		u := s.users[name]
		if q := r.URL.Query().Get("search"); q != "" && !strings.Contains(u.Username, q) {
			continue
		}
		out = append(out, userEntity{Username: u.Username, Name: u.Name, Email: u.Email})
	}
	reply(w, http.StatusOK, map[string]any{"users": out})
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in userEntity
	if err := decode(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "the body is not a user: "+err.Error(), "users")
		return
	}
	if in.Username == "" || in.Password == "" {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "Username or password must be set", "users")
		return
	}
	name := normalize(in.Username)
	if name == "" {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "Invalid username: "+in.Username, "users")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[name]; ok {
		fail(w, http.StatusConflict, "UserAlreadyExistsException", "User already exists", name)
		return
	}
	s.users[name] = &user{Username: name, Name: in.Name, Email: in.Email, password: in.Password}
	reply(w, http.StatusCreated, nil)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.userOf(w, r); ok {
		reply(w, http.StatusOK, userEntity{Username: u.Username, Name: u.Name, Email: u.Email})
	}
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	var in userEntity
	if err := decode(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "the body is not a user: "+err.Error(), "users")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	if in.Username != "" && normalize(in.Username) != u.Username {
		// The plugin renames then; Keepstar never asks it to.
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "openfiresim does not rename users", u.Username)
		return
	}
	if in.Password != "" {
		u.password = in.Password
	}
	if in.Name != "" {
		u.Name = in.Name
	}
	if in.Email != "" {
		u.Email = in.Email
	}
	reply(w, http.StatusOK, nil)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	for _, g := range s.groups {
		delete(g.members, u.Username)
	}
	delete(s.users, u.Username)
	reply(w, http.StatusOK, nil)
}

// groupNames reads the plugin's {"groupname": [...]} body, which takes a
// single string too.
func groupNames(r *http.Request) ([]string, error) {
	var in struct {
		Groupname json.RawMessage `json:"groupname"`
	}
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	var list []string
	if err := json.Unmarshal(in.Groupname, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(in.Groupname, &one); err != nil {
		return nil, fmt.Errorf("groupname is neither a list nor a string")
	}
	return []string{one}, nil
}

// userGroups answers with the quirk: one group is a string, more a list.
func (s *Server) userGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	var names []string
	for _, name := range sortedKeys(s.groups) {
		if s.groups[name].members[u.Username] {
			names = append(names, name)
		}
	}
	switch len(names) {
	case 0:
		reply(w, http.StatusOK, map[string]any{})
	case 1:
		reply(w, http.StatusOK, map[string]any{"groupname": names[0]})
	default:
		reply(w, http.StatusOK, map[string]any{"groupname": names})
	}
}

// addUserGroups: groups that do not exist are made, as the plugin does.
func (s *Server) addUserGroups(w http.ResponseWriter, r *http.Request) {
	names, err := groupNames(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", err.Error(), "groups")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	for _, g := range names {
		s.join(u.Username, g)
	}
	reply(w, http.StatusCreated, nil)
}

func (s *Server) join(username, name string) {
	g, ok := s.groups[name]
	if !ok {
		g = &group{Name: name, members: map[string]bool{}}
		s.groups[name] = g
	}
	g.members[username] = true
}

// delUserGroups: a group that does not exist is 404, and stops there.
func (s *Server) delUserGroups(w http.ResponseWriter, r *http.Request) {
	names, err := groupNames(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", err.Error(), "groups")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	for _, name := range names {
		g, ok := s.groups[name]
		if !ok {
			fail(w, http.StatusNotFound, "GroupNotFoundException", "Could not find group", name)
			return
		}
		delete(g.members, u.Username)
	}
	reply(w, http.StatusOK, nil)
}

func (s *Server) addUserGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	s.join(u.Username, r.PathValue("g"))
	reply(w, http.StatusCreated, nil)
}

func (s *Server) delUserGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	g, ok := s.groups[r.PathValue("g")]
	if !ok {
		fail(w, http.StatusNotFound, "GroupNotFoundException", "Could not find group", r.PathValue("g"))
		return
	}
	delete(g.members, u.Username)
	reply(w, http.StatusOK, nil)
}

type groupEntity struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Shared      bool     `json:"shared"`
	Members     []string `json:"members"`
	Admins      []string `json:"admins"`
}

func (s *Server) entity(g *group) groupEntity {
	members := []string{}
	for _, m := range sortedKeys(g.members) {
		members = append(members, m+"@"+s.Domain)
	}
	return groupEntity{Name: g.Name, Description: g.Description, Shared: g.Shared, Members: members, Admins: []string{}}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []groupEntity{}
	for _, name := range sortedKeys(s.groups) {
		out = append(out, s.entity(s.groups[name]))
	}
	reply(w, http.StatusOK, map[string]any{"groups": out})
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var in groupEntity
	if err := decode(r, &in); err != nil || in.Name == "" {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "Group name must be set", "groups")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[in.Name]; ok {
		fail(w, http.StatusConflict, "GroupAlreadyExistsException", "Group already exists", in.Name)
		return
	}
	s.groups[in.Name] = &group{Name: in.Name, Description: in.Description, Shared: in.Shared, members: map[string]bool{}}
	reply(w, http.StatusCreated, nil)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[r.PathValue("g")]
	if !ok {
		fail(w, http.StatusNotFound, "GroupNotFoundException", "Could not find group", r.PathValue("g"))
		return
	}
	reply(w, http.StatusOK, s.entity(g))
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[r.PathValue("g")]; !ok {
		fail(w, http.StatusNotFound, "GroupNotFoundException", "Could not find group", r.PathValue("g"))
		return
	}
	delete(s.groups, r.PathValue("g"))
	reply(w, http.StatusOK, nil)
}

// lock disables the account and closes its sessions, as the plugin's
// lockout does.
func (s *Server) lock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	u.locked, u.sessions = true, 0
	reply(w, http.StatusCreated, nil)
}

func (s *Server) unlock(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	u.locked = false
	reply(w, http.StatusOK, nil)
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, name := range sortedKeys(s.users) {
		for i := range s.users[name].sessions {
			out = append(out, map[string]any{"username": name, "resource": fmt.Sprintf("client%d", i+1), "sessionStatus": "Authenticated"})
		}
	}
	reply(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) kick(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userOf(w, r)
	if !ok {
		return
	}
	u.sessions = 0
	reply(w, http.StatusOK, nil)
}

// broadcast sends to every user with a session: the plugin's only route
// for messages, which cannot choose its recipients.
func (s *Server) broadcast(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Body string `json:"body"`
	}
	if err := decode(r, &in); err != nil || in.Body == "" {
		fail(w, http.StatusBadRequest, "IllegalArgumentException", "Message content/body is null or empty", "messages")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.sessions > 0 {
			u.messages = append(u.messages, in.Body)
		}
	}
	reply(w, http.StatusCreated, nil)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
