package notifications

import (
	"embed"
	"errors"
	"html"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/keepstar/keepstar/internal/web"
)

//go:embed templates
var templates embed.FS

type pages struct {
	st    *Store
	srv   *web.Server
	pages *web.Pages
}

// Mount adds the notifications page, the unread count of the top bar, the
// actions on notifications and their JSON twin.
func (s *Store) Mount(srv *web.Server) error {
	ps, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &pages{st: s, srv: srv, pages: ps}
	srv.Handle("GET /notifications", web.LoggedIn, http.HandlerFunc(p.list))
	srv.Handle("GET /notifications/unread", web.LoggedIn, http.HandlerFunc(p.unread))
	// Every open page polls it.
	srv.Quiet("GET /notifications/unread")
	srv.Handle("POST /notifications/{id}/read", web.LoggedIn, http.HandlerFunc(p.markRead))
	srv.Handle("POST /notifications/{id}/delete", web.LoggedIn, http.HandlerFunc(p.delete))
	srv.Handle("POST /notifications/read-all", web.LoggedIn, http.HandlerFunc(p.readAll))
	srv.Handle("POST /notifications/delete-read", web.LoggedIn, http.HandlerFunc(p.deleteRead))
	srv.Handle("GET /api/me/notifications", web.LoggedIn, http.HandlerFunc(p.listJSON))
	return nil
}

// Shown is a notification as the reader sees it, in their language.
type Shown struct {
	ID      int64
	Level   Level
	Title   string
	Message string
	When    string
	Read    bool
	// Count is how often it was sent, coalesced into one.
	Count    int
	Security bool
}

// show translates notifications for the request's reader.
func (p *pages) show(r *http.Request, list []Notification) []Shown {
	out := make([]Shown, 0, len(list))
	for _, n := range list {
		args := make([]any, 0, 2*len(n.Args))
		for _, k := range slices.Sorted(maps.Keys(n.Args)) {
			args = append(args, k, n.Args[k])
		}
		s := Shown{ID: n.ID, Level: n.Level, Title: n.Title, Message: n.Message, When: web.EVETime(n.CreatedAt), Read: n.Read,
			Count: n.Count, Security: n.Security}
		if n.TitleKey != "" {
			s.Title = p.srv.T(r, n.TitleKey, args...)
		}
		if n.MessageKey != "" {
			s.Message = p.srv.T(r, n.MessageKey, args...)
		}
		out = append(out, s)
	}
	return out
}

type listPage struct {
	Notifications []Shown
	Unread        int
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) {
	v := web.ViewerFrom(r.Context())
	list, err := p.st.List(r.Context(), v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	page := listPage{Notifications: p.show(r, list)}
	for _, n := range list {
		if !n.Read {
			page.Unread++
		}
	}
	p.srv.Render(w, r, p.pages, "notifications.html", http.StatusOK, "notifications.title", page)
}

// unread answers the top bar's badge: an htmx fragment that asks again
// after the refresh time (a setting; 0 stops it), or JSON.
func (p *pages) unread(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	n, err := p.st.Unread(ctx, web.ViewerFrom(ctx).AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "" {
		web.WriteJSON(w, http.StatusOK, map[string]int{"unread": n})
		return
	}
	values, err := p.st.settings.Values(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	every := values.Int(SettingRefreshSeconds)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	trigger := ""
	if every > 0 {
		trigger = ` hx-get="/notifications/unread" hx-trigger="every ` + strconv.Itoa(every) + `s" hx-swap="outerHTML"`
	}
	if n == 0 {
		w.Write([]byte(`<span id="unread-count" data-unread="0"` + trigger + `></span>`))
		return
	}
	label := p.srv.T(r, "notifications.unread", "Count", n)
	w.Write([]byte(`<span id="unread-count" data-unread="` + strconv.Itoa(n) + `" class="position-absolute top-0 start-100 translate-middle badge rounded-pill text-bg-danger badge-count" title="` +
		html.EscapeString(label) + `"` + trigger + `>` + strconv.Itoa(n) + `</span>`))
}

// done answers an action: back to the list.
func (p *pages) done(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "notifications.error.not_found")
	case err != nil:
		p.srv.Internal(w, r, err)
	default:
		web.SeeOther(w, r, "/notifications")
	}
}

func (p *pages) markRead(w http.ResponseWriter, r *http.Request) {
	if id, ok := p.srv.PathID(w, r, "id", "web.error.not_found"); ok {
		p.done(w, r, p.st.MarkRead(r.Context(), web.ViewerFrom(r.Context()).AccountID, id))
	}
}

func (p *pages) delete(w http.ResponseWriter, r *http.Request) {
	if id, ok := p.srv.PathID(w, r, "id", "web.error.not_found"); ok {
		p.done(w, r, p.st.Delete(r.Context(), web.ViewerFrom(r.Context()).AccountID, id))
	}
}

func (p *pages) readAll(w http.ResponseWriter, r *http.Request) {
	p.done(w, r, p.st.MarkAllRead(r.Context(), web.ViewerFrom(r.Context()).AccountID))
}

func (p *pages) deleteRead(w http.ResponseWriter, r *http.Request) {
	p.done(w, r, p.st.DeleteRead(r.Context(), web.ViewerFrom(r.Context()).AccountID))
}

// NotificationJSON is a notification in Keepstar's JSON answers.
type NotificationJSON struct {
	ID      int64  `json:"id"`
	Level   Level  `json:"level"`
	Title   string `json:"title"`
	Message string `json:"message"`
	Created string `json:"created"`
	Read    bool   `json:"read"`
	// Count is how often it was sent, coalesced into this one; Security
	// marks a notice about the account's safety, never dropped unread.
	Count    int  `json:"count"`
	Security bool `json:"security"`
}

func (p *pages) listJSON(w http.ResponseWriter, r *http.Request) {
	list, err := p.st.List(r.Context(), web.ViewerFrom(r.Context()).AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	out := []NotificationJSON{}
	for i, s := range p.show(r, list) {
		out = append(out, NotificationJSON{ID: s.ID, Level: s.Level, Title: s.Title, Message: s.Message,
			Created: list[i].CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), Read: s.Read, Count: s.Count, Security: s.Security})
	}
	web.WriteJSON(w, http.StatusOK, out)
}
