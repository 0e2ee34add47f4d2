package xenforosim

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Options configure a Server.
type Options struct {
	// APIKey is api.php's key ("API_KEY", its default, refuses every
	// request with error 17).
	APIKey string
	// DefaultGroup is the primary group of new users (XenForo's
	// Registered, id 2).
	DefaultGroup int
}

// User is a forum user.
type User struct {
	ID             int
	Username       string
	Email          string
	password       string
	Group          int   // primary group
	Secondary      []int // secondary groups, sorted
	State          string
	Visible        bool
	SuperAdmin     bool
	PasswordChange int // times the password was set by editUser
}

// Group is a user group.
type Group struct {
	ID               int
	Title, UserTitle string
}

// Entry is one request as a web server's access log keeps it, and the
// body a proxy or a debugging log could keep.
type Entry struct {
	Method, RequestURI, Body string
}

// Server is the simulated forum's api.php.
type Server struct {
	key string

	mu     sync.Mutex
	users  []*User
	groups []*Group
	log    []Entry
	defGrp int
}

// New makes a forum with XenForo's default groups (1 Unregistered /
// Unconfirmed, 2 Registered, 3 Administrative, 4 Moderating) and its
// super admin, user 1.
func New(o Options) *Server {
	if o.DefaultGroup == 0 {
		o.DefaultGroup = 2
	}
	s := &Server{key: o.APIKey, defGrp: o.DefaultGroup}
	for i, t := range []string{"Unregistered / Unconfirmed", "Registered", "Administrative", "Moderating"} {
		s.groups = append(s.groups, &Group{ID: i + 1, Title: t})
	}
	s.users = append(s.users, &User{ID: 1, Username: "Admin", Email: "admin@forum.invalid", password: "admin", Group: 3,
		State: "valid", Visible: true, SuperAdmin: true})
	return s
}

// AddGroup makes a user group (as an admin in XenForo's control panel)
// and gives its id.
func (s *Server) AddGroup(title string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &Group{ID: len(s.groups) + 1, Title: title}
	s.groups = append(s.groups, g)
	return g.ID
}

// GroupTitle gives a group's title by id.
func (s *Server) GroupTitle(id int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.group(strconv.Itoa(id)); g != nil {
		return g.Title
	}
	return ""
}

// Users gives a copy of the users but the super admin.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, u := range s.users {
		if !u.SuperAdmin {
			c := *u
			c.Secondary = slices.Clone(u.Secondary)
			out = append(out, c)
		}
	}
	return out
}

// User gives a copy of a user by id, name or email.
func (s *Server) User(value string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(value)
	if u == nil {
		return User{}, false
	}
	c := *u
	c.Secondary = slices.Clone(u.Secondary)
	return c, true
}

// Titles gives the titles of a user's secondary groups, sorted.
func (s *Server) Titles(u User) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range u.Secondary {
		if g := s.group(strconv.Itoa(id)); g != nil {
			out = append(out, g.Title)
		}
	}
	slices.Sort(out)
	return out
}

// Login reports whether a username and password log in, as XenForo's
// login form checks them.
func (s *Server) Login(username, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.user(username)
	return u != nil && u.password != "" && subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1
}

// SetGroup puts a user in a secondary group or takes them out, as an
// admin would by hand.
func (s *Server) SetGroup(userID, group int, in bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.user(strconv.Itoa(userID)); u != nil {
		if in {
			u.join(group)
		} else {
			u.leave(group)
		}
	}
}

// Log gives every request as it came.
func (s *Server) Log() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (u *User) join(id int) {
	if !slices.Contains(u.Secondary, id) {
		u.Secondary = append(u.Secondary, id)
		slices.Sort(u.Secondary)
	}
}

func (u *User) leave(id int) {
	u.Secondary = slices.DeleteFunc(u.Secondary, func(g int) bool { return g == id })
}

// user finds a user as XenAPI's getUser does: by id when numeric, by
// email when it has "@", else by name; the caller holds mu.
func (s *Server) user(v string) *User {
	for _, u := range s.users {
		switch {
		case isNumber(v):
			if strconv.Itoa(u.ID) == v {
				return u
			}
		case strings.Contains(v, "@"):
			if strings.EqualFold(u.Email, v) {
				return u
			}
		default:
			if strings.EqualFold(u.Username, v) {
				return u
			}
		}
	}
	return nil
}

// group finds a group by id, title or user title; the caller holds mu.
func (s *Server) group(v string) *Group {
	for _, g := range s.groups {
		if strconv.Itoa(g.ID) == v || g.Title == v || (g.UserTitle != "" && g.UserTitle == v) {
			return g
		}
	}
	return nil
}

func isNumber(v string) bool {
	_, err := strconv.Atoi(v)
	return err == nil && v != ""
}

// apiError is api.php's error answer.
type apiError struct {
	status int
	body   map[string]any
}

var generalErrors = map[int]string{
	1: `Argument: "{ERROR}", is empty/missing a value`, 2: `"{ERROR}", is not a supported action`,
	3: `Missing argument: "{ERROR}"`, 4: `No {ERROR} found with the argument: "{ERROR2}"`,
	6: `"{ERROR}" is not a valid {ERROR2}`, 8: `The request had no values set, available fields are: "({ERROR})"`,
	17: `The API key has not been changed, make sure you use another API key before using this API`,
}

func fail(id int, extra ...string) *apiError {
	m := generalErrors[id]
	if len(extra) > 0 {
		m = strings.Replace(m, "{ERROR}", extra[0], 1)
	}
	if len(extra) > 1 {
		m = strings.Replace(m, "{ERROR2}", extra[1], 1)
	}
	return &apiError{status: http.StatusBadRequest, body: map[string]any{"error": id, "message": m}}
}

var userErrors = map[int][2]string{
	2: {"group_not_found", "Group not found"}, 6: {"general_user_edit_error", "Editing super admins is disabled"},
	8:  {"general_user_edit_error", "The user is already a member of the group(s)"},
	12: {"general_user_edit_error", "The user is not a member of the group(s)"},
	31: {"please_enter_valid_password", "Password invalid"}, 32: {"please_enter_name_that_is_at_least_x_characters_long", "Name length is too short"},
	33: {"please_enter_name_that_is_at_most_x_characters_long", "Name length is too long"},
	37: {"please_enter_name_without_using_control_characters", "Name contains CTRL characters"},
	38: {"please_enter_name_that_does_not_contain_comma", "Name contains comma"},
	39: {"please_enter_name_that_does_not_resemble_an_email_address", "Name resembles an email"},
	40: {"usernames_must_be_unique", "User already exists"}, 41: {"please_enter_valid_email", "Invalid email"},
	42: {"email_addresses_must_be_unique", "Email already used"}, 49: {"please_enter_valid_value", "Field contained an invalid value"},
}

// userFail is error 7 with a user error, as XenAPI's throwError(USER_ERROR).
func userFail(id int, field, doing, phrase string) *apiError {
	e := userErrors[id]
	return &apiError{status: http.StatusBadRequest, body: map[string]any{"error": 7,
		"message":       fmt.Sprintf(`Something went wrong when "%s": "%s"`, doing, e[1]),
		"user_error_id": id, "user_error_field": field, "user_error_key": e[0], "user_error_phrase": phrase}}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.log = append(s.log, Entry{Method: r.Method, RequestURI: r.RequestURI, Body: string(body)})
	s.mu.Unlock()
	var raw url.Values
	switch r.Method {
	case http.MethodGet:
		raw = r.URL.Query()
	case http.MethodPost:
		raw, _ = url.ParseQuery(string(body))
	default:
		write(w, &apiError{status: http.StatusBadRequest, body: map[string]any{"error": 12,
			"message": fmt.Sprintf(`"%s" is a unknown request method`, strings.ToLower(r.Method))}})
		return
	}
	// api.php lower-cases the arguments' names.
	data := map[string]string{}
	for k, v := range raw {
		data[strings.ToLower(k)] = v[0]
	}
	out, err := s.handle(data)
	if err != nil {
		write(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func write(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(e.body)
}

func (s *Server) handle(d map[string]string) (any, *apiError) {
	hash, hasHash := d["hash"]
	action, hasAction := d["action"]
	switch {
	case s.key == "API_KEY":
		return nil, fail(17)
	case !hasHash:
		return nil, fail(3, "hash")
	case hash == "":
		return nil, fail(1, "hash")
	case subtle.ConstantTimeCompare([]byte(hash), []byte(s.key)) != 1:
		return nil, fail(6, hash, "hash")
	case !hasAction:
		return nil, fail(3, "action")
	case action == "":
		return nil, fail(1, "action")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch strings.ToLower(action) {
	case "register":
		return s.register(d)
	case "edituser":
		return s.editUser(d)
	case "getuser":
		return s.getUser(d)
	case "getgroup":
		v, ok := d["value"]
		if !ok {
			return nil, fail(3, "value")
		}
		if v == "" {
			return nil, fail(1, "value")
		}
		g := s.group(v)
		if g == nil {
			return nil, fail(4, "group", v)
		}
		return map[string]any{"user_group_id": g.ID, "title": g.Title, "user_title": g.UserTitle}, nil
	}
	return nil, fail(2, action)
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// checkUsername applies XenForo's default username rules.
func checkUsername(name string) int {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n < 3:
		return 32
	case n > 25:
		return 33
	case strings.ContainsFunc(name, unicode.IsControl):
		return 37
	case strings.Contains(name, ","):
		return 38
	case emailRE.MatchString(name):
		return 39
	}
	return 0
}

func (s *Server) register(d map[string]string) (any, *apiError) {
	const doing = "registering a new user"
	for _, k := range []string{"username", "password", "email"} {
		v, ok := d[k]
		if !ok {
			return nil, fail(3, k)
		}
		if v == "" {
			return nil, fail(1, k)
		}
	}
	u := &User{Username: strings.TrimSpace(d["username"]), Email: d["email"], password: d["password"], Group: s.defGrp, State: "valid",
		Visible: true}
	if g, ok := d["group"]; ok {
		grp := s.group(g)
		if grp == nil {
			return nil, userFail(2, "group", doing, `Could not find group with parameter "`+g+`"`)
		}
		u.join(grp.ID)
	}
	if v, ok := d["add_groups"]; ok {
		ids, err := s.groupIDs(v, "add_groups", doing)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			u.join(id)
		}
	}
	if st, ok := d["user_state"]; ok {
		if !validState(st) {
			return nil, userFail(49, "user_state", doing, "Please enter a valid value.")
		}
		u.State = st
	}
	if v, ok := d["visible"]; ok {
		u.Visible = v == "1"
	}
	if e := checkUsername(u.Username); e != 0 {
		return nil, userFail(e, "username", doing, userErrors[e][1])
	}
	if s.user(u.Username) != nil {
		return nil, userFail(40, "username", doing, "Usernames must be unique. The specified username is already in use.")
	}
	if !emailRE.MatchString(u.Email) {
		return nil, userFail(41, "email", doing, "Please enter a valid email.")
	}
	if s.user(u.Email) != nil {
		return nil, userFail(42, "email", doing, "Email addresses must be unique. The specified email address is already in use.")
	}
	u.ID = len(s.users) + 1
	s.users = append(s.users, u)
	return userData(u), nil
}

func validState(st string) bool {
	return slices.Contains([]string{"valid", "email_confirm", "email_confirm_edit", "moderated", "email_bouncing"}, st)
}

// groupIDs resolves a comma list of group ids or titles.
func (s *Server) groupIDs(v, field, doing string) ([]int, *apiError) {
	if v == "" {
		return nil, fail(1, field)
	}
	var out []int
	for _, part := range strings.Split(v, ",") {
		g := s.group(part)
		if g == nil {
			return nil, userFail(2, field, doing, `Could not find group with parameter "`+part+`"`)
		}
		out = append(out, g.ID)
	}
	return out, nil
}

func (s *Server) editUser(d map[string]string) (any, *apiError) {
	const doing = "editing an user"
	v, ok := d["user"]
	if !ok {
		return nil, fail(3, "user")
	}
	if v == "" {
		return nil, fail(1, "user")
	}
	u := s.user(v)
	if u == nil {
		return nil, fail(4, "user", v)
	}
	fields := []string{"username", "password", "email", "gender", "custom_title", "style_id", "timezone", "visible", "dob_day",
		"dob_month", "dob_year", "user_state", "trophy_points"}
	changes := 0
	for _, k := range append([]string{"group", "add_groups", "remove_groups"}, fields...) {
		if _, ok := d[k]; ok {
			changes++
		}
	}
	if changes == 0 {
		return nil, fail(8, strings.Join(fields, ", "))
	}
	if u.SuperAdmin {
		return nil, userFail(6, "", doing, "Editing super admins is disabled.")
	}
	next := *u
	next.Secondary = slices.Clone(u.Secondary)
	diff := map[string]any{}
	if g, ok := d["group"]; ok {
		grp := s.group(g)
		if g == "" || grp == nil {
			return nil, userFail(2, "group", doing, `Could not find group with parameter "`+g+`"`)
		}
		next.Group = grp.ID
		diff["user_group_id"] = grp.ID
	}
	if a, ok := d["add_groups"]; ok {
		ids, err := s.groupIDs(a, "add_groups", doing)
		if err != nil {
			return nil, err
		}
		var exist []string
		for _, id := range ids {
			if slices.Contains(next.Secondary, id) {
				exist = append(exist, strconv.Itoa(id))
			}
		}
		if len(exist) > 0 {
			return nil, userFail(8, "add_groups", doing, "The user is already a member of the group ID's: ("+strings.Join(exist, ",")+")")
		}
		for _, id := range ids {
			next.join(id)
		}
		diff["new_secondary_groups"] = ids
	}
	if rm, ok := d["remove_groups"]; ok {
		ids, err := s.groupIDs(rm, "remove_groups", doing)
		if err != nil {
			return nil, err
		}
		var missing []string
		for _, id := range ids {
			if !slices.Contains(next.Secondary, id) && next.Group != id {
				missing = append(missing, strconv.Itoa(id))
			}
		}
		if len(missing) > 0 {
			return nil, userFail(12, "remove_groups", doing, "The user is not a member of group ID's: ("+strings.Join(missing, ",")+")")
		}
		for _, id := range ids {
			if next.Group == id {
				next.Group = s.defGrp
			}
			next.leave(id)
		}
		diff["removed_secondary_groups"] = ids
	}
	if name, ok := d["username"]; ok {
		name = strings.TrimSpace(name)
		if e := checkUsername(name); e != 0 {
			return nil, userFail(e, "username", doing, userErrors[e][1])
		}
		if o := s.user(name); o != nil && o != u {
			return nil, userFail(40, "username", doing, "Usernames must be unique.")
		}
		next.Username, diff["username"] = name, name
	}
	if email, ok := d["email"]; ok {
		if !emailRE.MatchString(email) {
			return nil, userFail(41, "email", doing, "Please enter a valid email.")
		}
		if o := s.user(email); o != nil && o != u {
			return nil, userFail(42, "email", doing, "Email addresses must be unique.")
		}
		next.Email, diff["email"] = email, email
	}
	if st, ok := d["user_state"]; ok {
		if !validState(st) {
			return nil, userFail(49, "user_state", doing, "Please enter a valid value.")
		}
		next.State, diff["user_state"] = st, st
	}
	if vis, ok := d["visible"]; ok {
		next.Visible = vis == "1"
	}
	if pw, ok := d["password"]; ok {
		if pw == "" {
			return nil, userFail(31, "password", doing, "Please enter a valid password.")
		}
		next.password = pw
		next.PasswordChange++
	}
	*u = next
	return diff, nil
}

func (s *Server) getUser(d map[string]string) (any, *apiError) {
	v, ok := d["value"]
	if !ok {
		return nil, fail(3, "value")
	}
	if v == "" {
		return nil, fail(1, "value")
	}
	u := s.user(v)
	if u == nil {
		return nil, fail(4, "user", v)
	}
	return userData(u), nil
}

// userData is a user as XenAPI gives it: no password data, the secondary
// groups as XenForo keeps them (a comma list).
func userData(u *User) map[string]any {
	ids := make([]string, 0, len(u.Secondary))
	for _, id := range u.Secondary {
		ids = append(ids, strconv.Itoa(id))
	}
	visible := 0
	if u.Visible {
		visible = 1
	}
	return map[string]any{"user_id": u.ID, "username": u.Username, "email": u.Email, "user_group_id": u.Group,
		"secondary_group_ids": strings.Join(ids, ","), "user_state": u.State, "visible": visible, "is_admin": btoi(u.SuperAdmin),
		"is_moderator": 0, "is_banned": 0}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// HasGroup reports whether a group of that id or title exists.
func (s *Server) HasGroup(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.group(v) != nil
}
