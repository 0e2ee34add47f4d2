package discoursesim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DiscourseConnect's nonce rules (discourse_connect_base.rb).
const (
	nonceLifetime = 10 * time.Minute
	usedFor       = 24 * time.Hour
)

// The browser's session with the forum (Discourse's _forum_session) and
// its login (_t).
const (
	sessionCookie = "_forum_session"
	loginCookie   = "_t"
)

// Sign gives the hex HMAC-SHA256 of payload under secret, as Discourse
// signs and checks.
func Sign(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// base64Chars are the characters Discourse takes in a payload.
var base64Chars = regexp.MustCompile(`^[A-Za-z0-9+/=\r\n]*$`)

// errParse is DiscourseConnect::ParseError.
var errParse = errors.New("discourse connect: parse error")

// parse checks a signed payload and decodes it.
func (s *Server) parse(sso, sig string) (url.Values, error) {
	if sso == "" || sig == "" {
		return nil, fmt.Errorf("%w: sso and sig are required", errParse)
	}
	if !base64Chars.MatchString(sso) {
		return nil, fmt.Errorf("%w: the payload is not base64", errParse)
	}
	if !hmac.Equal([]byte(Sign(s.o.Secret, sso)), []byte(strings.ToLower(sig))) {
		return nil, fmt.Errorf("%w: bad signature for payload", errParse)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(sso))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errParse, err)
	}
	q, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errParse, err)
	}
	return q, nil
}

// ssoStart is /session/sso: a nonce for this browser, and the browser to
// the provider.
func (s *Server) ssoStart(w http.ResponseWriter, r *http.Request) {
	session := ""
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		session = c.Value
	} else {
		session = randomHex()
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	path := r.URL.Query().Get("return_path")
	if path == "" || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		path = "/"
	}
	n := randomHex()
	s.mu.Lock()
	s.nonces[n] = &nonce{session: session, made: s.now(), path: path}
	s.mu.Unlock()
	payload := base64.StdEncoding.EncodeToString([]byte(url.Values{"nonce": {n},
		"return_sso_url": {strings.TrimSuffix(s.o.BaseURL, "/") + "/session/sso_login"}}.Encode()))
	to := s.o.ConnectURL
	if strings.Contains(to, "?") {
		to += "&"
	} else {
		to += "?"
	}
	http.Redirect(w, r, to+url.Values{"sso": {payload}, "sig": {Sign(s.o.Secret, payload)}}.Encode(), http.StatusFound)
}

// ssoLogin is /session/sso_login: the provider's answer.
func (s *Server) ssoLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := s.parse(q.Get("sso"), q.Get("sig"))
	if err != nil {
		s.refuse(w, http.StatusUnprocessableEntity, "Login error: "+err.Error())
		return
	}
	session := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		session = c.Value
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forget(now)
	n, ok := s.nonces[p.Get("nonce")]
	switch {
	case !ok || n.session != session:
		s.refuseLocked(w, http.StatusForbidden, "Account login timed out, please try logging in again (the nonce is unknown here).")
		return
	case !n.used.IsZero():
		s.refuseLocked(w, http.StatusForbidden, "Account login timed out, please try logging in again (the nonce was used already).")
		return
	case now.Sub(n.made) > nonceLifetime:
		s.refuseLocked(w, http.StatusForbidden, "Account login timed out, please try logging in again (the nonce expired).")
		return
	}
	n.used = now
	u, err := s.lookupOrCreate(p)
	if err != nil {
		s.refuseLocked(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if !u.SuspendedTill.IsZero() && u.SuspendedTill.After(now) {
		s.refuseLocked(w, http.StatusForbidden, "This account has been suspended: "+u.SuspendReason)
		return
	}
	token := randomHex()
	s.sessions[token] = u.ID
	s.stats.Logins++
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, n.path, http.StatusFound)
}

// forget drops nonces past their remembering; the caller holds mu.
func (s *Server) forget(now time.Time) {
	for k, n := range s.nonces {
		if now.Sub(n.made) > usedFor {
			delete(s.nonces, k)
		}
	}
}

func (s *Server) refuse(w http.ResponseWriter, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseLocked(w, status, message)
}

func (s *Server) refuseLocked(w http.ResponseWriter, status int, message string) {
	s.stats.Refused++
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintln(w, message)
}

// syncSSO is /admin/users/sync_sso: a payload applied without a browser.
func (s *Server) syncSSO(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		failed(w, http.StatusBadRequest, err.Error())
		return
	}
	p, err := s.parse(r.PostForm.Get("sso"), r.PostForm.Get("sig"))
	if err != nil {
		s.refuse(w, http.StatusUnprocessableEntity, "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.lookupOrCreate(p)
	if err != nil {
		s.stats.Refused++
		failed(w, http.StatusForbidden, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, userJSON(u))
}

// lookupOrCreate applies a payload to its user, found by external_id,
// then by email, or made; the caller holds mu.
func (s *Server) lookupOrCreate(p url.Values) (*User, error) {
	ext := p.Get("external_id")
	if strings.TrimSpace(ext) == "" {
		return nil, errors.New("external_id is blank: the provider must send one")
	}
	email := strings.ToLower(strings.TrimSpace(p.Get("email")))
	u := s.userBy(func(u *User) bool { return u.ExternalID == ext })
	if u == nil && email != "" {
		if u = s.userBy(func(u *User) bool { return u.Email == email }); u != nil {
			u.ExternalID = ext
		}
	}
	if u == nil {
		if email == "" || !strings.Contains(email, "@") {
			return nil, errors.New("Email can't be blank")
		}
		username := p.Get("username")
		if username == "" {
			username = p.Get("name")
		}
		if why := CheckUsername(username); why != "" {
			return nil, fmt.Errorf("Username %q %s", username, why)
		}
		username = s.freeUsername(username)
		u = &User{ID: len(s.users) + 1, Username: username, Name: p.Get("name"), Email: email, ExternalID: ext,
			AvatarURL: p.Get("avatar_url"), Active: p.Get("require_activation") != "true"}
		s.users = append(s.users, u)
	} else {
		if name := p.Get("username"); s.o.OverridesUsername && name != "" && !strings.EqualFold(name, u.Username) {
			if why := CheckUsername(name); why != "" {
				return nil, fmt.Errorf("Username %q %s", name, why)
			}
			u.Username = s.freeUsername(name)
		}
		if s.o.OverridesName && p.Has("name") {
			u.Name = p.Get("name")
		}
		if (s.o.OverridesAvatar || p.Get("avatar_force_update") == "true" || u.AvatarURL == "") && p.Get("avatar_url") != "" {
			u.AvatarURL = p.Get("avatar_url")
		}
	}
	if v := p.Get("admin"); v != "" {
		u.Admin = v == "true"
	}
	if v := p.Get("moderator"); v != "" {
		u.Moderator = v == "true"
	}
	for _, name := range splitList(p.Get("add_groups")) {
		if g := s.groupByName(name); g != nil && !g.Automatic {
			u.join(g.Name)
		}
	}
	for _, name := range splitList(p.Get("remove_groups")) {
		if g := s.groupByName(name); g != nil && !g.Automatic {
			u.leave(g.Name)
		}
	}
	return u, nil
}

// freeUsername gives name, or name with a number when it is taken, as
// Discourse's suggester does (cut to fit 20 characters).
func (s *Server) freeUsername(name string) string {
	taken := func(n string) bool {
		return s.userBy(func(u *User) bool { return strings.EqualFold(u.Username, n) }) != nil || s.groupByName(n) != nil
	}
	if !taken(name) {
		return name
	}
	for i := 1; ; i++ {
		suffix := strconv.Itoa(i)
		base := name
		if len(base)+len(suffix) > 20 {
			base = base[:20-len(suffix)]
		}
		if n := base + suffix; !taken(n) {
			return n
		}
	}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// userJSON is the part of Discourse's user serializers Keepstar reads.
func userJSON(u *User) map[string]any {
	var groups []map[string]any
	for _, g := range u.Groups {
		groups = append(groups, map[string]any{"name": g})
	}
	var till any
	if !u.SuspendedTill.IsZero() {
		till = u.SuspendedTill.UTC().Format(time.RFC3339)
	}
	out := map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "active": u.Active, "admin": u.Admin,
		"moderator": u.Moderator, "suspended_till": till, "external_id": u.ExternalID, "groups": groups}
	if till != nil {
		out["suspend_reason"] = u.SuspendReason
	}
	return out
}
