package services

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/web"
)

// memberAccess is the access of a member's actions on one service: any
// member, each handler then asking whether they hold that service's
// access permission (its name is in the path), and answering 403 if not.
var memberAccess = web.Allow("members holding the service's access permission (checked by the handler)",
	func(v *web.Viewer) bool { return true })

// mount adds the members' and the admins' pages.
func (s *Services) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	m := &memberPages{s: s, srv: srv, pages: pages}
	srv.Handle("GET /services", web.LoggedIn, http.HandlerFunc(m.list))
	srv.Handle("GET /services/{slug}/link", memberAccess, http.HandlerFunc(m.link))
	srv.Handle("GET /services/{slug}/callback", memberAccess, http.HandlerFunc(m.callback))
	srv.Handle("POST /services/{slug}/activate", memberAccess, http.HandlerFunc(m.activate))
	srv.Handle("POST /services/{slug}/password", memberAccess, http.HandlerFunc(m.password))
	srv.Handle("POST /services/{slug}/refresh", memberAccess, http.HandlerFunc(m.refresh))
	srv.Handle("GET /services/{slug}/sso", memberAccess, http.HandlerFunc(m.sso))
	srv.HandleConfirmed("/services/{slug}/deactivate", memberAccess, m.askDeactivate, m.deactivate)
	return s.mountAdmin(srv, pages)
}

type memberPages struct {
	s     *Services
	srv   *web.Server
	pages *web.Pages
}

// servicesPage is the data of services.html.
type servicesPage struct {
	Offers []Offer
}

func (m *memberPages) list(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	offers, err := m.s.Offers(r.Context(), v.AccountID)
	if err != nil {
		m.srv.Internal(w, r, err)
		return
	}
	m.srv.Render(w, r, m.pages, "services.html", http.StatusOK, "services.title", servicesPage{Offers: offers})
}

// fail answers a member's action that failed with what they can do.
func (m *memberPages) fail(w http.ResponseWriter, r *http.Request, err error) {
	// A connector says what went wrong in the member's words (Discord: in
	// a hundred servers already, banned, the code expired).
	var said *i18n.InvalidError
	if errors.As(err, &said) && len(said.Problems) > 0 {
		status := http.StatusBadRequest
		if errors.Is(err, ErrUnavailable) {
			status = http.StatusServiceUnavailable
		}
		m.s.logger.InfoContext(r.Context(), "service action refused", "path", r.URL.Path, "error", err)
		m.srv.Fail(w, r, status, said.Problems[0].ID, said.Problems[0].Args...)
		return
	}
	switch {
	case errors.Is(err, ErrNotFound):
		m.srv.Fail(w, r, http.StatusNotFound, "services.error.not_found")
	case errors.Is(err, ErrNoAccess):
		m.srv.Fail(w, r, http.StatusForbidden, "services.error.no_access")
	case errors.Is(err, ErrLinked):
		m.srv.Fail(w, r, http.StatusConflict, "services.error.linked")
	case errors.Is(err, ErrNoAccount):
		m.srv.Fail(w, r, http.StatusConflict, "services.error.no_account")
	case errors.Is(err, ErrUnsupported):
		m.srv.Fail(w, r, http.StatusBadRequest, "services.error.unsupported")
	case errors.Is(err, ErrTaken):
		m.srv.Fail(w, r, http.StatusConflict, "services.error.taken")
	case errors.Is(err, ErrUnavailable):
		m.srv.FailDetail(w, r, http.StatusServiceUnavailable, err.Error(), "services.error.unavailable")
	default:
		m.s.logger.ErrorContext(r.Context(), "service action failed", "path", r.URL.Path, "error", err)
		m.srv.FailDetail(w, r, http.StatusBadGateway, err.Error(), "services.error.failed")
	}
}

// linkCookie holds the state of a link under way, sealed with the account
// and the service it is for: the callback takes an answer only in the
// browser, session and service that asked for it (Alliance Auth never
// checks the state: a CSRF that links someone else's Discord account).
const linkCookie = "service_link"

// linkLifetime bounds how long a member may take on the service's
// consent page.
const linkLifetime = 10 * time.Minute

func (m *memberPages) callbackURL(slug string) string {
	return m.srv.BaseURL() + "/services/" + url.PathEscape(slug) + "/callback"
}

func (m *memberPages) link(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	slug := r.PathValue("slug")
	state := rand.Text()
	to, err := m.s.LinkURL(r.Context(), slug, v.AccountID, state, m.callbackURL(slug))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	expires := m.s.now().Add(linkLifetime)
	sealed := m.s.linkBox.Seal(strings.Join([]string{state, slug, strconv.FormatInt(v.AccountID, 10),
		strconv.FormatInt(expires.Unix(), 10)}, "|"), linkCookie)
	m.srv.SetCookie(w, &http.Cookie{Name: m.srv.CookieName(linkCookie), Value: sealed, MaxAge: int(linkLifetime.Seconds())})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (m *memberPages) callback(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	slug := r.PathValue("slug")
	// The cookie is single use, whatever the answer.
	m.srv.SetCookie(w, &http.Cookie{Name: m.srv.CookieName(linkCookie), Value: "", MaxAge: -1})
	if !m.stateMatches(r, slug, v.AccountID) {
		m.srv.Fail(w, r, http.StatusBadRequest, "services.error.state")
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		// The member declined on the service's page.
		m.srv.AddFlash(r, "warning", "services.flash.declined")
		http.Redirect(w, r, "/services", http.StatusSeeOther)
		return
	}
	code := r.URL.Query().Get("code")
	if code == "" || len(code) > 512 {
		m.srv.Fail(w, r, http.StatusBadRequest, "services.error.code")
		return
	}
	acct, err := m.s.Link(r.Context(), slug, v.AccountID, code, m.callbackURL(slug))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.srv.AddFlash(r, "success", "services.flash.linked", "Name", acct.ExternalName)
	http.Redirect(w, r, "/services", http.StatusSeeOther)
}

// stateMatches checks the callback's state against the link cookie.
func (m *memberPages) stateMatches(r *http.Request, slug string, accountID int64) bool {
	c, err := r.Cookie(m.srv.CookieName(linkCookie))
	if err != nil {
		return false
	}
	raw, err := m.s.linkBox.Open(c.Value, linkCookie)
	if err != nil {
		return false
	}
	parts := strings.Split(raw, "|")
	if len(parts) != 4 {
		return false
	}
	expires, err := strconv.ParseInt(parts[3], 10, 64)
	return err == nil && parts[0] == r.URL.Query().Get("state") && parts[1] == slug &&
		parts[2] == strconv.FormatInt(accountID, 10) && m.s.now().Unix() <= expires
}

// credentialsPage is the data of credentials.html: a password shown once.
type credentialsPage struct {
	Instance Instance
	Username string
	Password string
}

func (m *memberPages) showCredentials(w http.ResponseWriter, r *http.Request, slug, username, password string) {
	inst, err := m.s.Instance(r.Context(), slug)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// The password is in this page only: no cache keeps it.
	w.Header().Set("Cache-Control", "no-store")
	m.srv.Render(w, r, m.pages, "credentials.html", http.StatusOK, "services.credentials.title",
		credentialsPage{Instance: inst, Username: username, Password: password})
}

func (m *memberPages) activate(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	slug := r.PathValue("slug")
	acct, password, err := m.s.Activate(r.Context(), slug, v.AccountID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if password == "" {
		// An invitation: its join link is on the Services page.
		m.srv.AddFlash(r, "success", "services.flash.invited")
		http.Redirect(w, r, "/services", http.StatusSeeOther)
		return
	}
	m.showCredentials(w, r, slug, acct.ExternalName, password)
}

// refresh checks a member's service account again now (an invitation
// they have just redeemed), rather than at the next verification.
func (m *memberPages) refresh(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	if err := m.s.Refresh(r.Context(), r.PathValue("slug"), v.AccountID); err != nil {
		m.fail(w, r, err)
		return
	}
	m.srv.AddFlash(r, "info", "services.flash.refreshing")
	http.Redirect(w, r, "/services", http.StatusSeeOther)
}

// sso answers a service's single sign-on request (Discourse sends the
// member's browser here): a member who may use the service goes back to
// it signed in; a visitor logs in first (the route's access).
func (m *memberPages) sso(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	to, err := m.s.SSO(r.Context(), r.PathValue("slug"), v.AccountID, r.URL.Query())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// The answer is for this browser only.
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusFound)
}

// Passwords a member sets: long enough, and short enough for every
// service's hash.
const (
	minPassword = 8
	maxPassword = 64
)

func (m *memberPages) password(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	slug := r.PathValue("slug")
	if err := r.ParseForm(); err != nil {
		m.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	password := r.PostFormValue("password")
	if r.PostFormValue("reset") == "" {
		if n := utf8.RuneCountInString(password); n < minPassword || n > maxPassword {
			m.srv.Fail(w, r, http.StatusBadRequest, "services.error.password", "Min", minPassword, "Max", maxPassword)
			return
		}
	} else {
		password = ""
	}
	acct, set, err := m.s.SetPassword(r.Context(), slug, v.AccountID, password)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.showCredentials(w, r, slug, acct.ExternalName, set)
}

func (m *memberPages) askDeactivate(w http.ResponseWriter, r *http.Request) (web.Confirmation, bool) {
	v := web.ViewerFrom(r.Context())
	inst, err := m.s.Instance(r.Context(), r.PathValue("slug"))
	if err != nil {
		m.fail(w, r, err)
		return web.Confirmation{}, false
	}
	acct, err := m.s.AccountOf(r.Context(), inst.ID, v.AccountID)
	if err != nil {
		m.fail(w, r, err)
		return web.Confirmation{}, false
	}
	return web.Confirmation{
		Question:     i18n.M("services.deactivation.question", "Service", inst.Name),
		Consequences: []i18n.Message{i18n.M("services.deactivation.consequence", "Service", inst.Name, "Name", acct.ExternalName)},
		Button:       i18n.M("services.deactivation.button"),
		Back:         "/services",
		Reversible:   true,
	}, true
}

func (m *memberPages) deactivate(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	if err := m.s.Deactivate(r.Context(), r.PathValue("slug"), v.AccountID); err != nil {
		m.fail(w, r, err)
		return
	}
	m.srv.AddFlash(r, "success", "services.flash.deactivated")
	http.Redirect(w, r, "/services", http.StatusSeeOther)
}
