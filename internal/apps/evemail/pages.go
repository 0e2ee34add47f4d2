package evemail

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/keepstar/keepstar/internal/web"
)

// logLength is how many mails the send log shows.
const logLength = 100

// mount adds the page of the settings role's holders: the sender, the test
// mails and the send log (the subjects, bodies and filters are on the
// settings page).
func (m *Mailer) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{m: m, srv: srv, pages: pages}
	srv.Handle("GET /admin/evemail", Access, http.HandlerFunc(h.show))
	srv.Handle("POST /admin/evemail/sender", Access, http.HandlerFunc(h.sender))
	srv.Handle("POST /admin/evemail/test", Access, http.HandlerFunc(h.test))
	return nil
}

type handlers struct {
	m     *Mailer
	srv   *web.Server
	pages *web.Pages
}

// page is the data of page.html.
type page struct {
	Sender     Sender
	Candidates []Sender
	Log        []Mail
	Limit      int
}

func (h *handlers) show(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d page
	var err error
	d.Limit = Limit
	if d.Sender, err = h.m.Sender(ctx); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	if d.Candidates, err = h.m.Candidates(ctx); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	if d.Log, err = h.m.Log(ctx, logLength); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "page.html", http.StatusOK, "evemail.title", d)
}

func (h *handlers) sender(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "evemail.error.form")
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("character"), 10, 32)
	if err != nil || id < 0 {
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "evemail.error.sender")
		return
	}
	_, err = h.m.SetSender(r.Context(), int32(id), web.ViewerFrom(r.Context()).AccountID)
	switch {
	case errors.Is(err, ErrNotCandidate):
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "evemail.error.sender")
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "evemail.sender_saved")
		http.Redirect(w, r, "/admin/evemail", http.StatusSeeOther)
	}
}

// test queues a test mail of the kind chosen to the viewer's main.
func (h *handlers) test(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "evemail.error.form")
		return
	}
	kind := r.PostForm.Get("kind")
	if kind != KindInvalidToken && kind != KindMissingCharacter {
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "evemail.error.kind")
		return
	}
	v := web.ViewerFrom(r.Context())
	if v.MainID == 0 {
		h.srv.Fail(w, r, http.StatusUnprocessableEntity, "evemail.error.no_main")
		return
	}
	if _, err := h.m.SendTest(r.Context(), kind, v.MainID, v.Name); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.AddFlash(r, "success", "evemail.test_queued")
	http.Redirect(w, r, "/admin/evemail", http.StatusSeeOther)
}
