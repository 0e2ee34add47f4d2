package appapi

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/keepstar/keepstar/internal/web"
)

// managedApp is an app as its managers see it: read-only, with the names
// of its groups.
type managedApp struct {
	App
	GroupNames []string
}

type managedPage struct {
	Apps []managedApp
	// Problem is of the secret form of the app ProblemApp.
	Problem    string
	ProblemApp int64
}

func (p *pages) renderManaged(w http.ResponseWriter, r *http.Request, status int, page managedPage) {
	ctx := r.Context()
	mine, err := p.st.Managed(ctx, web.ViewerFrom(ctx).AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	names, err := p.groupNames(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	for _, a := range mine {
		m := managedApp{App: a}
		for _, g := range a.Groups {
			m.GroupNames = append(m.GroupNames, names[g])
		}
		page.Apps = append(page.Apps, m)
	}
	p.srv.Render(w, r, p.pages, "apps.html", status, "appapi.managed.title", page)
}

// managed lists the apps the viewer manages.
func (p *pages) managed(w http.ResponseWriter, r *http.Request) {
	p.renderManaged(w, r, http.StatusOK, managedPage{})
}

// secretPage shows a new secret, the only time it is ever shown.
type secretPage struct {
	App    App
	Secret string
	// Authorization is the header value an app sends.
	Authorization string
	// Replaced: the app had a secret, which stopped working.
	Replaced bool
	BaseURL  string
}

// newSecret makes a new secret for an app the viewer manages and shows it
// in the answer itself: never in a redirect, a flash or a log, since only
// its hash is kept. Replacing a secret an app uses breaks that app, so
// the manager ticks a box saying so first.
func (p *pages) newSecret(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// The role opened the route; the app's own managers decide, before
	// the app is read: to anyone else an app they do not manage is one
	// that does not exist, so its name or existence is not learnt here.
	id, ok := p.srv.PathID(w, r, "id", "appapi.error.not_found")
	if !ok {
		return
	}
	manages, err := p.st.IsManager(ctx, id, web.ViewerFrom(ctx).AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	if !manages {
		p.srv.Fail(w, r, http.StatusNotFound, "appapi.error.not_found")
		return
	}
	a, ok := p.load(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "web.error.bad_form")
		return
	}
	if a.HasSecret && r.PostForm.Get("confirm") != "yes" {
		p.renderManaged(w, r, http.StatusUnprocessableEntity, managedPage{ProblemApp: a.ID,
			Problem: p.srv.T(r, "appapi.managed.error.confirm")})
		return
	}
	secret, err := p.st.NewSecret(ctx, a.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "appapi.error.not_found")
		return
	case err != nil:
		p.srv.Internal(w, r, err)
		return
	}
	page := secretPage{App: a, Secret: secret, Replaced: a.HasSecret, BaseURL: p.deps.BaseURL,
		Authorization: "Bearer " + base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(a.ID, 10)+":"+secret))}
	p.srv.Render(w, r, p.pages, "app_secret.html", http.StatusOK, "appapi.secret.title", page)
}
