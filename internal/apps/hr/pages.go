package hr

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keepstar/keepstar/internal/web"
)

// mount adds the pages: the applicant's (forms to apply to, their own
// applications), the form managers' and the reviewers'. The applicant's
// routes admit every logged-in account, a Guest's too, and show only the
// viewer's own applications; the reviewers' admit holders of hr.review or
// hr.review_all and answer 404 for an application outside their scope.
func (h *HR) mount(srv *web.Server) error {
	pages, err := srv.ParsePages(templates, "templates/*.html")
	if err != nil {
		return err
	}
	p := &handlers{h: h, srv: srv, pages: pages}
	srv.Handle("GET /hr", web.LoggedIn, http.HandlerFunc(p.home))
	srv.Handle("GET /hr/apply/{id}", web.LoggedIn, http.HandlerFunc(p.applyForm))
	srv.Handle("POST /hr/apply/{id}", web.LoggedIn, http.HandlerFunc(p.apply))
	srv.Handle("GET /hr/mine/{id}", web.LoggedIn, http.HandlerFunc(p.mine))
	srv.Handle("POST /hr/mine/{id}/withdraw", web.LoggedIn, http.HandlerFunc(p.withdraw))
	srv.Handle("GET /hr/forms", manageAccess, http.HandlerFunc(p.forms))
	srv.Handle("POST /hr/forms", manageAccess, http.HandlerFunc(p.createForm))
	srv.Handle("GET /hr/forms/{id}", manageAccess, http.HandlerFunc(p.form))
	srv.Handle("POST /hr/forms/{id}/questions", manageAccess, http.HandlerFunc(p.addQuestion))
	srv.Handle("POST /hr/forms/{id}/questions/{question}/delete", manageAccess, http.HandlerFunc(p.deleteQuestion))
	srv.Handle("GET /hr/review", reviewAccess, http.HandlerFunc(p.review))
	srv.Handle("GET /hr/review/{id}", reviewAccess, http.HandlerFunc(p.application))
	srv.Handle("POST /hr/review/{id}/comment", reviewAccess, http.HandlerFunc(p.comment))
	srv.Handle("POST /hr/review/{id}/claim", reviewAccess, http.HandlerFunc(p.claim))
	srv.Handle("POST /hr/review/{id}/approve", reviewAccess, http.HandlerFunc(p.approve))
	srv.Handle("POST /hr/review/{id}/reject", reviewAccess, http.HandlerFunc(p.reject))
	return nil
}

type handlers struct {
	h     *HR
	srv   *web.Server
	pages *web.Pages
}

// id reads a positive id from the path; false answered 404.
func (p *handlers) id(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		p.srv.Fail(w, r, http.StatusNotFound, "hr.error.not_found")
		return 0, false
	}
	return id, true
}

// fail answers an engine's error: a problem 422 with its message, the
// rest each with its status.
func (p *handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pr *Problem
	switch {
	case errors.As(err, &pr):
		p.srv.Fail(w, r, http.StatusUnprocessableEntity, pr.Key, pr.Args...)
	case errors.Is(err, ErrNotFound):
		p.srv.Fail(w, r, http.StatusNotFound, "hr.error.not_found")
	case errors.Is(err, ErrUnknownCorp):
		p.srv.Fail(w, r, http.StatusUnprocessableEntity, "hr.error.corporation")
	case errors.Is(err, ErrFormExists):
		p.srv.Fail(w, r, http.StatusConflict, "hr.error.form_exists")
	case errors.Is(err, ErrPending):
		p.srv.Fail(w, r, http.StatusConflict, "hr.error.pending")
	case errors.Is(err, ErrNotPending):
		p.srv.Fail(w, r, http.StatusConflict, "hr.error.not_pending")
	case errors.Is(err, ErrNotClaimed):
		p.srv.Fail(w, r, http.StatusConflict, "hr.error.not_claimed")
	default:
		p.srv.Internal(w, r, err)
	}
}

// homePage is the data of home.html.
type homePage struct {
	Forms   []Form
	Mine    []Application
	Pending map[int64]bool // forms the viewer has a pending application to
}

func (p *handlers) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	fs, err := p.h.Forms(ctx)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	mine, err := p.h.Mine(ctx, v.AccountID)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	d := homePage{Mine: mine, Pending: map[int64]bool{}}
	for _, a := range mine {
		if a.Status == Pending {
			d.Pending[a.FormID] = true
		}
	}
	for _, f := range fs {
		if f.Questions > 0 {
			d.Forms = append(d.Forms, f)
		}
	}
	p.srv.Render(w, r, p.pages, "home.html", http.StatusOK, "hr.title", d)
}

// applyPage is the data of apply.html.
type applyPage struct {
	Form      Form
	Questions []Question
}

func (p *handlers) applyForm(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	f, qs, err := p.h.Form(r.Context(), id)
	if err == nil && len(qs) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "apply.html", http.StatusOK, "hr.apply.title", applyPage{Form: f, Questions: qs})
}

func (p *handlers) apply(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.form")
		return
	}
	ctx := r.Context()
	_, qs, err := p.h.Form(ctx, id)
	if err == nil && len(qs) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	answers := map[int64]string{}
	for _, q := range qs {
		answers[q.ID] = r.PostForm.Get("q" + strconv.FormatInt(q.ID, 10))
	}
	app, err := p.h.Apply(ctx, id, web.ViewerFrom(ctx).AccountID, answers)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "hr.flash.applied")
	web.SeeOther(w, r, "/hr/mine/"+strconv.FormatInt(app, 10))
}

// applicationPage is the data of application.html, for the applicant and
// for a reviewer.
type applicationPage struct {
	Application Application
	Answers     []Answer
	Review      bool // a reviewer's page: the applicant, comments, decisions
	Applicant   Applicant
	Comments    []Comment
	Mine        bool // the reviewer claimed it
	MayDecide   bool
	MaxComment  int
}

func (p *handlers) mine(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	ctx := r.Context()
	a, as, err := p.h.Application(ctx, id)
	if err == nil && a.AccountID != web.ViewerFrom(ctx).AccountID {
		err = ErrNotFound // another's application is not there for them
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "application.html", http.StatusOK, "hr.application.title", applicationPage{Application: a, Answers: as})
}

func (p *handlers) withdraw(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	if err := p.h.Withdraw(r.Context(), web.ViewerFrom(r.Context()).AccountID, id); err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "hr.flash.withdrawn")
	web.SeeOther(w, r, "/hr")
}

// formsPage is the data of forms.html.
type formsPage struct {
	Forms          []Form
	MaxDescription int
}

func (p *handlers) forms(w http.ResponseWriter, r *http.Request) {
	fs, err := p.h.Forms(r.Context())
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "forms.html", http.StatusOK, "hr.forms.title", formsPage{Forms: fs, MaxDescription: maxDescription})
}

func (p *handlers) createForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.form")
		return
	}
	corp, err := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("corporation")), 10, 32)
	if err != nil || corp <= 0 {
		p.srv.Fail(w, r, http.StatusUnprocessableEntity, "hr.error.corporation")
		return
	}
	f, err := p.h.CreateForm(r.Context(), int32(corp), r.PostForm.Get("description"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "hr.flash.form_created")
	web.SeeOther(w, r, "/hr/forms/"+strconv.FormatInt(f.ID, 10))
}

// formPage is the data of form.html.
type formPage struct {
	Form                          Form
	Questions                     []Question
	MaxTitle, MaxHelp, MaxChoices int
}

func (p *handlers) form(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	f, qs, err := p.h.Form(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "form.html", http.StatusOK, "hr.form.title",
		formPage{Form: f, Questions: qs, MaxTitle: maxTitle, MaxHelp: maxHelp, MaxChoices: maxChoices})
}

func (p *handlers) addQuestion(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.form")
		return
	}
	in := QuestionInput{Title: r.PostForm.Get("title"), Help: r.PostForm.Get("help"), Choices: r.PostForm.Get("choices")}
	if s := strings.TrimSpace(r.PostForm.Get("position")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			p.srv.Fail(w, r, http.StatusUnprocessableEntity, "hr.error.position", "Max", 1000)
			return
		}
		in.Position = n
	}
	if _, err := p.h.AddQuestion(r.Context(), id, in); err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "hr.flash.question_added")
	web.SeeOther(w, r, "/hr/forms/"+strconv.FormatInt(id, 10))
}

func (p *handlers) deleteQuestion(w http.ResponseWriter, r *http.Request) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return
	}
	q, ok := p.id(w, r, "question")
	if !ok {
		return
	}
	if err := p.h.DeleteQuestion(r.Context(), id, q); err != nil {
		p.fail(w, r, err)
		return
	}
	p.srv.AddFlash(r, "success", "hr.flash.question_deleted")
	web.SeeOther(w, r, "/hr/forms/"+strconv.FormatInt(id, 10))
}

// statuses are the reviewers' status filter's choices.
var statuses = []string{Pending, Approved, Rejected}

// reviewPage is the data of review.html.
type reviewPage struct {
	Applications []Application
	Total        int
	Filter       Filter
	Statuses     []string
	Pages        int
	Scope        Scope
}

// Link is the list's address with the filter and another page.
func (d reviewPage) Link(page int) string {
	q := make([]string, 0, 3)
	if d.Filter.Status != "" {
		q = append(q, "status="+d.Filter.Status)
	}
	if d.Filter.Name != "" {
		q = append(q, "name="+url.QueryEscape(d.Filter.Name))
	}
	q = append(q, "page="+strconv.Itoa(page))
	return "/hr/review?" + strings.Join(q, "&")
}

func (p *handlers) review(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, err := p.h.ScopeOf(ctx, web.ViewerFrom(ctx))
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	q := r.URL.Query()
	f := Filter{Status: q.Get("status"), Name: strings.TrimSpace(q.Get("name")), Page: 1}
	if f.Status != "" && f.Status != Pending && f.Status != Approved && f.Status != Rejected {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.status")
		return
	}
	if len(f.Name) > 100 {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.name_long", "Max", 100)
		return
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.page")
			return
		}
		f.Page = n
	}
	as, total, err := p.h.Review(ctx, s, f)
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	d := reviewPage{Applications: as, Total: total, Filter: f, Statuses: statuses, Pages: (total + PerPage - 1) / PerPage, Scope: s}
	p.srv.Render(w, r, p.pages, "review.html", http.StatusOK, "hr.review.title", d)
}

// reviewed loads an application the viewer may review; false answered
// (404 outside their scope, as if it were not there).
func (p *handlers) reviewed(w http.ResponseWriter, r *http.Request) (Application, []Answer, bool) {
	id, ok := p.id(w, r, "id")
	if !ok {
		return Application{}, nil, false
	}
	ctx := r.Context()
	s, err := p.h.ScopeOf(ctx, web.ViewerFrom(ctx))
	if err != nil {
		p.srv.Internal(w, r, err)
		return Application{}, nil, false
	}
	a, as, err := p.h.Application(ctx, id)
	if err == nil && !s.Sees(a.CorporationID) {
		err = ErrNotFound
	}
	if err != nil {
		p.fail(w, r, err)
		return Application{}, nil, false
	}
	return a, as, true
}

func (p *handlers) application(w http.ResponseWriter, r *http.Request) {
	a, as, ok := p.reviewed(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v := web.ViewerFrom(ctx)
	d := applicationPage{Application: a, Answers: as, Review: true, Mine: a.ReviewerID == v.AccountID, MaxComment: maxComment}
	d.MayDecide = a.Status == Pending && (d.Mine || v.Superuser)
	var err error
	d.Applicant, err = p.h.ApplicantOf(ctx, a.AccountID)
	if err == nil {
		d.Comments, err = p.h.Comments(ctx, a.ID)
	}
	if err != nil {
		p.srv.Internal(w, r, err)
		return
	}
	p.srv.Render(w, r, p.pages, "application.html", http.StatusOK, "hr.application.title", d)
}

func (p *handlers) back(w http.ResponseWriter, r *http.Request, a Application, flash string) {
	p.srv.AddFlash(r, "success", flash)
	web.SeeOther(w, r, "/hr/review/"+strconv.FormatInt(a.ID, 10))
}

func (p *handlers) comment(w http.ResponseWriter, r *http.Request) {
	a, _, ok := p.reviewed(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		p.srv.Fail(w, r, http.StatusBadRequest, "hr.error.form")
		return
	}
	v := web.ViewerFrom(r.Context())
	if err := p.h.AddComment(r.Context(), a.ID, v.AccountID, v.Name, r.PostForm.Get("text")); err != nil {
		p.fail(w, r, err)
		return
	}
	p.back(w, r, a, "hr.flash.commented")
}

func (p *handlers) claim(w http.ResponseWriter, r *http.Request) {
	a, _, ok := p.reviewed(w, r)
	if !ok {
		return
	}
	v := web.ViewerFrom(r.Context())
	if err := p.h.Claim(r.Context(), a.ID, v.AccountID, v.Name); err != nil {
		p.fail(w, r, err)
		return
	}
	p.back(w, r, a, "hr.flash.claimed")
}

func (p *handlers) approve(w http.ResponseWriter, r *http.Request) { p.decide(w, r, true) }
func (p *handlers) reject(w http.ResponseWriter, r *http.Request)  { p.decide(w, r, false) }

func (p *handlers) decide(w http.ResponseWriter, r *http.Request, approve bool) {
	a, _, ok := p.reviewed(w, r)
	if !ok {
		return
	}
	v := web.ViewerFrom(r.Context())
	if err := p.h.Decide(r.Context(), a.ID, v.AccountID, v.Name, v.Superuser, approve); err != nil {
		p.fail(w, r, err)
		return
	}
	if approve {
		p.back(w, r, a, "hr.flash.approved")
	} else {
		p.back(w, r, a, "hr.flash.rejected")
	}
}

// Prev and Next are the neighbouring pages' numbers.
func (d reviewPage) Prev() int { return d.Filter.Page - 1 }
func (d reviewPage) Next() int { return d.Filter.Page + 1 }
