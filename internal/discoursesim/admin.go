package discoursesim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// byExternal is /users/by-external/{external_id}.json.
func (s *Server) byExternal(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("id"), ".json")
	if !ok || id == "" {
		notFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userBy(func(u *User) bool { return u.ExternalID == id })
	if u == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

// pathUser gives the user of the path's id; the caller holds mu.
func (s *Server) pathUser(w http.ResponseWriter, r *http.Request) *User {
	id, err := strconv.Atoi(r.PathValue("id"))
	var u *User
	if err == nil && id > 0 {
		u = s.userByID(id)
	}
	if u == nil {
		notFound(w)
	}
	return u
}

func (s *Server) logOut(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.pathUser(w, r)
	if u == nil {
		return
	}
	for token, id := range s.sessions {
		if id == u.ID {
			delete(s.sessions, token)
		}
	}
	u.LogOuts++
	writeJSON(w, http.StatusOK, map[string]any{"success": "OK"})
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		badParam(w, "suspend_until")
		return
	}
	until, reason := r.PostForm.Get("suspend_until"), strings.TrimSpace(r.PostForm.Get("reason"))
	if until == "" {
		badParam(w, "suspend_until")
		return
	}
	if reason == "" {
		badParam(w, "reason")
		return
	}
	t, err := parseTime(until)
	if err != nil {
		failed(w, http.StatusBadRequest, "suspend_until is not a date")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.pathUser(w, r)
	if u == nil {
		return
	}
	if u.Admin {
		failed(w, http.StatusForbidden, "You can't suspend an admin.")
		return
	}
	u.SuspendedTill, u.SuspendReason = t, reason
	// Suspending ends the user's sessions, as Discourse does.
	for token, id := range s.sessions {
		if id == u.ID {
			delete(s.sessions, token)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"suspension": map[string]any{"suspend_reason": reason,
		"suspended_till": t.UTC().Format(time.RFC3339), "suspended_at": s.now().UTC().Format(time.RFC3339)}})
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339Nano, v)
}

func (s *Server) unsuspend(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.pathUser(w, r)
	if u == nil {
		return
	}
	u.SuspendedTill, u.SuspendReason = time.Time{}, ""
	writeJSON(w, http.StatusOK, map[string]any{"suspension": map[string]any{"suspended_till": nil, "suspended_at": nil}})
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []map[string]any
	for _, g := range s.groups {
		n := 0
		for _, u := range s.users {
			if u.inGroup(g.Name) {
				n++
			}
		}
		list = append(list, map[string]any{"id": g.ID, "name": g.Name, "automatic": g.Automatic, "user_count": n})
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": list, "total_rows_groups": len(list), "load_more_groups": "/groups?page=1"})
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		badParam(w, "group")
		return
	}
	name := r.PostForm.Get("group[name]")
	if name == "" {
		badParam(w, "group")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.addGroup(name)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{err.Error()}, "error_type": "invalid_parameters"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"basic_group": map[string]any{"id": g.ID, "name": g.Name, "automatic": false}})
}

// pathGroup gives the path's group, refusing automatic ones as Discourse
// does for membership changes; the caller holds mu.
func (s *Server) pathGroup(w http.ResponseWriter, r *http.Request) *Group {
	id, err := strconv.Atoi(r.PathValue("id"))
	var g *Group
	if err == nil {
		g = s.groupByID(id)
	}
	if g == nil {
		notFound(w)
		return nil
	}
	if g.Automatic {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"errors": []string{"You cannot modify an automatic group"}})
		return nil
	}
	return g
}

func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("usernames") == "" {
		badParam(w, "usernames")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.pathGroup(w, r)
	if g == nil {
		return
	}
	var added []string
	for _, name := range splitList(r.PostForm.Get("usernames")) {
		u := s.userBy(func(u *User) bool { return strings.EqualFold(u.Username, name) })
		if u == nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"No users found: " + name}})
			return
		}
		if !u.inGroup(g.Name) {
			u.join(g.Name)
			added = append(added, u.Username)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": "OK", "usernames": added})
}

func (s *Server) removeMembers(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		badParam(w, "user_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.pathGroup(w, r)
	if g == nil {
		return
	}
	var users []*User
	if id := r.Form.Get("user_id"); id != "" {
		n, err := strconv.Atoi(id)
		if u := s.userByID(n); err == nil && u != nil {
			users = append(users, u)
		}
	}
	for _, name := range splitList(r.Form.Get("usernames")) {
		if u := s.userBy(func(u *User) bool { return strings.EqualFold(u.Username, name) }); u != nil {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		badParam(w, "user_id")
		return
	}
	var removed []string
	for _, u := range users {
		if u.inGroup(g.Name) {
			u.leave(g.Name)
			removed = append(removed, u.Username)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": "OK", "usernames": removed})
}
