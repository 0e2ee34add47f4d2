package pings

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/services"
	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the page: GET shows the form (to senders) and the history,
// POST sends.
func (p *Pings) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	h := &handlers{p: p, srv: srv, pages: pages}
	srv.Handle("GET /pings", pageAccess, http.HandlerFunc(h.show))
	srv.Handle("POST /pings", sendAccess, http.HandlerFunc(h.send))
	return nil
}

type handlers struct {
	p     *Pings
	srv   *web.Server
	pages *web.Pages
}

// page is the data of pings.html.
type page struct {
	CanSend    bool
	Groups     []Group
	Pingers    []services.Instance
	Announcers []services.Instance
	Form       form
	Problems   web.FormProblems
	History    []Ping
	// Everything: the history lists every ping, not only the viewer's.
	Everything bool
	MaxMessage int
}

// form is what the sender typed, shown again with its problems.
type form struct {
	Groups   []int64
	Message  string
	Instance int64
	Channels []int64
}

// Checked reports whether a group or instance id is among ids.
func (form) Checked(ids []int64, id int64) bool { return slices.Contains(ids, id) }

// senderOf is the viewer as a sender.
func senderOf(v *web.Viewer) Sender {
	return Sender{AccountID: v.AccountID, Name: v.Name, All: v.Has(PermissionSendAll.Name)}
}

func canSend(v *web.Viewer) bool { return v.Has(PermissionSend.Name) || v.Has(PermissionSendAll.Name) }

func (h *handlers) show(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, form{}, nil)
}

func (h *handlers) render(w http.ResponseWriter, r *http.Request, status int, f form, problems web.FormProblems) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	d := page{CanSend: canSend(v), Form: f, Problems: problems, MaxMessage: MaxMessage,
		Everything: v.Has(PermissionView.Name) || v.Has(PermissionSendAll.Name)}
	if d.CanSend {
		o, err := h.p.Options(ctx, senderOf(v))
		if err != nil {
			h.srv.Internal(w, r, err)
			return
		}
		d.Groups, d.Pingers, d.Announcers = o.Groups, o.Pingers, o.Announcers
		if f.Instance == 0 && len(o.Pingers) > 0 && problems == nil {
			d.Form.Instance = o.Pingers[0].ID
		}
	}
	var err error
	if d.History, err = h.p.History(ctx, v.AccountID, d.Everything); err != nil {
		h.srv.Internal(w, r, err)
		return
	}
	h.srv.Render(w, r, h.pages, "page.html", status, "pings.title", d)
}

func (h *handlers) send(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.srv.Fail(w, r, http.StatusBadRequest, "pings.error.form")
		return
	}
	f := form{Message: r.PostForm.Get("message"), Groups: ids(r.PostForm["groups"]), Channels: ids(r.PostForm["channels"])}
	f.Instance, _ = strconv.ParseInt(r.PostForm.Get("instance"), 10, 64)
	v := web.ViewerFrom(r.Context())
	_, err := h.p.Send(r.Context(), senderOf(v), Request{Groups: f.Groups, Message: f.Message, Instance: f.Instance, Channels: f.Channels})
	var invalid *i18n.InvalidError
	switch {
	case errors.As(err, &invalid):
		status := http.StatusUnprocessableEntity
		if errors.Is(err, ErrForbidden) {
			status = http.StatusForbidden
		}
		h.render(w, r, status, f, h.srv.Problems(r, invalid.Problems).InOrder("groups", "message", "instance", "channels"))
	case err != nil:
		h.srv.Internal(w, r, err)
	default:
		h.srv.AddFlash(r, "success", "pings.queued")
		http.Redirect(w, r, "/pings", http.StatusSeeOther)
	}
}

// ids reads a form's list of ids; what is not one is dropped (an id no
// option has is refused by Send).
func ids(values []string) []int64 {
	var out []int64
	for _, s := range values {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
