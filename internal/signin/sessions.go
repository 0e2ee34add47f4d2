package signin

import (
	"net/http"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/sessions"
	"github.com/keepstar/keepstar/internal/web"
)

// The member's sessions page: every browser logged in to the account, and
// logging them out, one, all others, or all.

// SessionTimes are the session settings the page explains.
type SessionTimes struct {
	Lifetime, IdleTimeout time.Duration
}

func (s *Signin) mountSessions() {
	s.srv.Handle("GET /sessions", web.LoggedIn, http.HandlerFunc(s.sessionsPage))
	s.srv.Handle("POST /sessions/{id}/logout", web.LoggedIn, http.HandlerFunc(s.endSession))
	s.srv.Handle("POST /sessions/logout-others", web.LoggedIn, http.HandlerFunc(s.endOtherSessions))
	s.srv.Handle("POST /sessions/logout-all", web.LoggedIn, http.HandlerFunc(s.endAllSessions))
}

// owners gives the viewer's characters with their owners, and their names.
func (s *Signin) owners(r *http.Request) (sessions.Owners, map[int32]string, error) {
	cs, err := s.deps.Accounts.Characters(r.Context(), web.ViewerFrom(r.Context()).AccountID)
	if err != nil {
		return nil, nil, err
	}
	owners, names := sessions.Owners{}, map[int32]string{}
	for _, c := range cs {
		owners[c.ID], names[c.ID] = c.OwnerHash, c.Name
	}
	return owners, names, nil
}

// sessionRow is one line of sessions.html.
type sessionRow struct {
	sessions.Info
	Character string
}

type sessionsPage struct {
	Sessions          []sessionRow
	Lifetime, Idle    string
	TouchEveryMinutes int
}

func (s *Signin) sessionsPage(w http.ResponseWriter, r *http.Request) {
	owners, names, err := s.owners(r)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	list, err := s.srv.Sessions().List(r.Context(), owners)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	page := sessionsPage{Lifetime: shortDuration(s.deps.Sessions.Lifetime), Idle: shortDuration(s.deps.Sessions.IdleTimeout),
		TouchEveryMinutes: int(sessions.TouchEvery.Minutes())}
	for _, info := range list {
		page.Sessions = append(page.Sessions, sessionRow{Info: info, Character: names[info.CharacterID]})
	}
	s.srv.Render(w, r, s.pages, "sessions.html", http.StatusOK, "signin.sessions.title", page)
}

func (s *Signin) endSession(w http.ResponseWriter, r *http.Request) {
	owners, _, err := s.owners(r)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	found, current, err := s.srv.Sessions().End(r.Context(), owners, r.PathValue("id"))
	switch {
	case err != nil:
		s.srv.Internal(w, r, err)
	case !found:
		s.srv.Fail(w, r, http.StatusNotFound, "signin.sessions.error.not_found")
	case current:
		web.SeeOther(w, r, "/")
	default:
		s.srv.AddFlash(r, "success", "signin.sessions.ended")
		web.SeeOther(w, r, "/sessions")
	}
}

func (s *Signin) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	owners, _, err := s.owners(r)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	n, err := s.srv.Sessions().EndAll(r.Context(), owners, true)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	s.srv.AddFlash(r, "success", "signin.sessions.ended_others", "Count", n)
	web.SeeOther(w, r, "/sessions")
}

func (s *Signin) endAllSessions(w http.ResponseWriter, r *http.Request) {
	owners, _, err := s.owners(r)
	if err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	if _, err := s.srv.Sessions().EndAll(r.Context(), owners, false); err != nil {
		s.srv.Internal(w, r, err)
		return
	}
	web.SeeOther(w, r, "/")
}

// shortDuration writes 24h0m0s as 24h, 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	out := d.String()
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}
