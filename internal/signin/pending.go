package signin

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// A flow started and not yet back is kept in the visitor's browser, in a
// cookie sealed with the site's secret key (encrypted and authenticated, so
// it can be neither read nor forged), rather than in a session: clicking
// "Log in" writes nothing on the server, however often it is clicked
// (issue 12). The cookie lives as long as a flow may take, and holds a few
// flows for a player starting logins in several tabs.
//
// A state is good once: the callback takes its flow out of the cookie it
// sends back, so the browser that used a callback cannot use it again. A
// copy of the cookie taken before the callback would still hold the state,
// but not a usable code: the SSO accepts each code once (RFC 6749 4.1.2),
// and a callback replayed in another browser finds no cookie at all.

// PendingPurpose is the purpose the key sealing the cookie is derived for
// (internal/secrets).
const PendingPurpose = "sso pending logins"

const (
	pendingCookie = "keepstar_sso"
	// flowLifetime bounds the time from the login button to the callback.
	flowLifetime = 10 * time.Minute
	// maxPending bounds the flows one browser keeps (several tabs).
	maxPending = 5
	// maxNext bounds the page to return to: a longer one is dropped (the
	// flow returns to its usual page) so that the cookie stays small.
	maxNext = 256
	// maxCookie keeps the cookie within what every browser stores (4 KiB
	// with its name and attributes).
	maxCookie = 3800
)

// pending is a flow started and not yet back. The scopes are not kept:
// the callback reads them from the EVE login, which keeps the cookie small.
type pending struct {
	State    string    `json:"s"`
	Verifier string    `json:"v"`
	Login    string    `json:"l"`
	Purpose  purpose   `json:"p"`
	Account  int64     `json:"a,omitempty"` // the account that started an add or a token
	Expect   int32     `json:"e,omitempty"` // the character a renewal is for
	Next     string    `json:"n,omitempty"`
	Started  time.Time `json:"t"`
}

func (s *Signin) pendingName() string { return s.srv.CookieName(pendingCookie) }

// pendingFlows gives the flows the request's cookie holds; none when it has
// none, or one this site did not seal.
func (s *Signin) pendingFlows(r *http.Request) []pending {
	c, err := r.Cookie(s.pendingName())
	if err != nil {
		return nil
	}
	raw, err := s.deps.Pending.Open(c.Value, s.pendingName())
	if err != nil {
		return nil
	}
	var list []pending
	if json.Unmarshal([]byte(raw), &list) != nil {
		return nil
	}
	return list
}

// writePending sets the cookie to list, or clears it when list is empty.
func (s *Signin) writePending(w http.ResponseWriter, list []pending) {
	for len(list) > 0 {
		b, _ := json.Marshal(list) // plain data: cannot fail
		value := s.deps.Pending.Seal(string(b), s.pendingName())
		if len(value) <= maxCookie {
			s.srv.SetCookie(w, &http.Cookie{Name: s.pendingName(), Value: value,
				MaxAge: int((flowLifetime + time.Minute).Seconds())})
			return
		}
		list = list[1:] // the oldest flow gives way
	}
	s.srv.SetCookie(w, &http.Cookie{Name: s.pendingName(), MaxAge: -1})
}

// keep adds a started flow to the cookie, dropping the flows that expired.
func (s *Signin) keep(w http.ResponseWriter, r *http.Request, p pending) {
	if len(p.Next) > maxNext {
		p.Next = ""
	}
	list := slices.DeleteFunc(s.pendingFlows(r), func(q pending) bool { return s.now().Sub(q.Started) > flowLifetime })
	list = append(list, p)
	if len(list) > maxPending {
		list = list[len(list)-maxPending:]
	}
	s.writePending(w, list)
}

// take removes the flow of state from the cookie: a state is good once.
func (s *Signin) take(w http.ResponseWriter, r *http.Request, state string) (pending, bool) {
	list := s.pendingFlows(r)
	i := slices.IndexFunc(list, func(p pending) bool { return state != "" && p.State == state })
	if i < 0 {
		return pending{}, false
	}
	p := list[i]
	s.writePending(w, slices.Delete(list, i, i+1))
	return p, true
}
