package web

import (
	"net/http"

	"github.com/keepstar/keepstar/internal/i18n"
)

// Confirmation is what a destructive action asks before it is done: the
// question, what follows counted from the data ("12 members lose this
// group"), the button that does it and where Cancel leads. Its messages are
// said in the visitor's language when the page is shown.
type Confirmation struct {
	// Question is the page's heading: "Delete the group Capital pilots?".
	Question i18n.Message
	// Consequences are what the action does, a sentence each, their
	// numbers counted when asked (a Count argument chooses the plural).
	Consequences []i18n.Message
	// Button is the label of the button that does it.
	Button i18n.Message
	// Back is where Cancel leads: the page the action was started from.
	Back string
	// Action is where the confirmed form posts; the path asked for when
	// empty.
	Action string
	// Reversible: the action can be undone (a deactivation), so the page
	// does not say it cannot.
	Reversible bool
}

// Ask reads what an action would act on (answering 404 or 403 itself, ok
// false) and says what doing it means.
type Ask func(w http.ResponseWriter, r *http.Request) (c Confirmation, ok bool)

// confirmPage is the data of confirm.html.
type confirmPage struct {
	Question     string
	Consequences []string
	Button       string
	Back         string
	Action       string
	Reversible   bool
	// Refused: the action was posted without confirming it.
	Refused bool
}

// ConfirmField is the form field a confirmed destructive action posts, with
// the value ConfirmYes.
const (
	ConfirmField = "confirm"
	ConfirmYes   = "yes"
)

// Confirmed tells whether a posted form confirms its action.
func Confirmed(r *http.Request) bool { return r.PostFormValue(ConfirmField) == ConfirmYes }

// HandleConfirmed mounts a destructive action at path (as
// "/admin/groups/{id}/delete"): GET shows the confirmation ask gives, whose
// form posts to the same path with confirm=yes; POST does the action only
// so confirmed. A POST without it is refused with 400 and the confirmation
// shown again, saying it must be confirmed: a stale form or a hand-made
// request never deletes anything unasked. The delete buttons of the pages
// are links to path, so the pattern needs no JavaScript.
func (s *Server) HandleConfirmed(path string, access Access, ask Ask, do http.HandlerFunc) {
	s.Handle("GET "+path, access, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := ask(w, r); ok {
			s.Confirm(w, r, http.StatusOK, c, false)
		}
	}))
	s.Handle("POST "+path, access, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			s.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
			return
		}
		if Confirmed(r) {
			do(w, r)
			return
		}
		c, ok := ask(w, r)
		if !ok {
			return
		}
		if wantsJSON(r) {
			s.Fail(w, r, http.StatusBadRequest, "web.confirm.required")
			return
		}
		s.Confirm(w, r, http.StatusBadRequest, c, true)
	}))
}

// Confirm shows confirmation c with status; refused says the action was
// posted unconfirmed. HandleConfirmed uses it; a route that is destructive
// only for some values of its form (deactivating, not activating, an
// account) calls it itself, with c.Action naming the confirmed route.
func (s *Server) Confirm(w http.ResponseWriter, r *http.Request, status int, c Confirmation, refused bool) {
	loc := s.Localizer(r)
	page := confirmPage{Question: loc.Say(c.Question), Button: loc.Say(c.Button), Back: LocalPath(c.Back, "/"),
		Action: c.Action, Reversible: c.Reversible, Refused: refused}
	if page.Action == "" {
		page.Action = r.URL.Path
	}
	for _, m := range c.Consequences {
		page.Consequences = append(page.Consequences, loc.Say(m))
	}
	s.Render(w, r, s.ownPages, "confirm.html", status, "web.confirm.title", page)
}
