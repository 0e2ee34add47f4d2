package teamspeaksim

import (
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// WebQuery is the HTTP interface of servers since 3.12 (the server's
// doc/webquery.md): POST or GET /{sid}/{command}, /byport/{port}/{command}
// or /{command} for the instance, parameters as key=value and options as
// "-option" in the query string or a form, the API key in the x-api-key
// header or the api-key parameter. Values travel as they are, unescaped.
// The answer is JSON: {"body": [{…}, …], "status": {"code": 0, "message":
// "ok"}}, every value a string, the codes those of ServerQuery. The
// anti-flood rule counts WebQuery's requests by address as the query
// connections'. A request without the right key is refused with HTTP 401
// and the code 5122 ("invalid apikey"): the code is this simulator's guess,
// the reference does not give one.

// WebQueryHandler serves WebQuery with the API key apiKey.
func (s *Server) WebQueryHandler(apiKey string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			webQueryStatus(w, http.StatusMethodNotAllowed, nil, qerr(256, "command not found"))
			return
		}
		key := r.Header.Get("X-Api-Key")
		if key == "" {
			key = r.URL.Query().Get("api-key")
		}
		if apiKey == "" || subtle.ConstantTimeCompare([]byte(key), []byte(apiKey)) != 1 {
			webQueryStatus(w, http.StatusUnauthorized, nil, qerr(5122, "invalid apikey"))
			return
		}
		if err := r.ParseForm(); err != nil {
			webQueryStatus(w, http.StatusBadRequest, nil, errParam)
			return
		}
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		c := &session{ip: remoteIP(addr(r.RemoteAddr)), loggedIn: true, login: "serveradmin", nickname: "WebQuery"}
		var name string
		switch {
		case len(parts) == 1:
			name = parts[0]
		case len(parts) == 2:
			c.server = parts[0] == strconv.Itoa(s.opts.ServerID)
			name = parts[1]
		case len(parts) == 3 && parts[0] == "byport":
			c.server = parts[1] == strconv.Itoa(s.opts.VoicePort)
			name = parts[2]
		default:
			webQueryStatus(w, http.StatusNotFound, nil, errNotFound)
			return
		}
		cmd := command{name: name, items: []map[string]string{{}}, options: map[string]bool{}}
		for k, vs := range r.Form {
			switch {
			case k == "api-key":
			case strings.HasPrefix(k, "-"):
				cmd.options[k[1:]] = true
			case len(vs) > 0:
				cmd.items[0][k] = vs[0]
			}
		}
		rep, e := s.webQuery(c, cmd)
		webQueryStatus(w, http.StatusOK, rep, e)
	})
}

// addr wraps a request's remote address for remoteIP.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }

var _ net.Addr = addr("")

// webQuery runs one WebQuery request as the query connections run a line.
func (s *Server) webQuery(c *session, cmd command) (reply, *queryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Commands[cmd.name]++
	if e := s.flood(c, s.now()); e != nil {
		return nil, e
	}
	if cmd.name == "login" || cmd.name == "use" || cmd.name == "quit" || cmd.name == "logout" {
		return nil, errNotFound // a WebQuery request is its own session
	}
	r, e := s.exec(c, cmd)
	if e != nil && e.id == 0 {
		e = nil
	}
	return r, e
}

func webQueryStatus(w http.ResponseWriter, code int, r reply, e *queryError) {
	type status struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	out := struct {
		Body   []map[string]string `json:"body,omitempty"`
		Status status              `json:"status"`
	}{Status: status{Message: "ok"}}
	if e != nil {
		out.Status = status{Code: e.id, Message: e.msg}
	} else {
		for _, item := range r {
			m := map[string]string{}
			for _, p := range item {
				m[p.k] = p.v
			}
			out.Body = append(out.Body, m)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(out) // a write error is the caller gone
}
