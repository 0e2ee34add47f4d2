package discordsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	botToken = "bot-token"
	clientID = "111"
	secret   = "s3cret"
	callback = "https://keepstar.example/discord/callback"
)

// world is a simulator with a clock the test moves, one guild and one user.
type world struct {
	t     *testing.T
	s     *Server
	now   time.Time
	guild Guild
	owner User
	user  User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	w.s = New(Options{BotToken: botToken, ClientID: clientID, ClientSecret: secret,
		RedirectURIs: []string{callback}, Now: func() time.Time { return w.now }})
	w.owner = w.s.AddUser("owner")
	w.user = w.s.AddUser("pilot")
	w.guild = w.s.AddGuild("Alliance", w.owner.ID)
	return w
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return v
}

// code is the JSON error code of the answer.
func (r resp) code(t *testing.T) int {
	t.Helper()
	c, _ := r.json(t)["code"].(float64)
	return int(c)
}

func (w *world) do(method, path, auth, contentType, body string) resp {
	w.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	w.s.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return resp{status: rec.Code, header: rec.Result().Header, body: b}
}

// bot calls the v10 API as the bot.
func (w *world) bot(method, path, body string) resp {
	w.t.Helper()
	return w.do(method, "/api/v10"+path, "Bot "+botToken, "application/json", body)
}

func (w *world) g() string { return "/guilds/" + w.guild.ID }

// authorize runs the authorize page for user and returns the redirect.
func (w *world) authorize(userID, state string) *url.URL {
	w.t.Helper()
	f := url.Values{"client_id": {clientID}, "redirect_uri": {callback}, "response_type": {"code"},
		"scope": {"identify guilds.join"}, "state": {state}, "user_id": {userID}}
	r := w.do("POST", "/oauth2/authorize", "", "application/x-www-form-urlencoded", f.Encode())
	if r.status != http.StatusFound {
		w.t.Fatalf("authorize: %d %s", r.status, r.body)
	}
	u, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		w.t.Fatal(err)
	}
	return u
}

func (w *world) exchange(code string) resp {
	w.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback},
		"client_id": {clientID}, "client_secret": {secret}}
	return w.do("POST", "/api/oauth2/token", "", "application/x-www-form-urlencoded", f.Encode())
}

// accessToken runs the whole OAuth flow for user.
func (w *world) accessToken(userID string) string {
	w.t.Helper()
	r := w.exchange(w.authorize(userID, "st").Query().Get("code"))
	if r.status != http.StatusOK {
		w.t.Fatalf("token: %d %s", r.status, r.body)
	}
	return r.json(w.t)["access_token"].(string)
}

func (w *world) role(name string) Role {
	w.t.Helper()
	r, err := w.s.AddRole(w.guild.ID, name, false)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

func want(t *testing.T, r resp, status, code int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if code != 0 && r.code(t) != code {
		t.Fatalf("code %d, want %d; body %s", r.code(t), code, r.body)
	}
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}
