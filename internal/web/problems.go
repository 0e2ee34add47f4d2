package web

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/keepstar/keepstar/internal/i18n"
)

// FormProblem is one problem of a posted form in the visitor's language,
// with the field (the input's name) it is about; "" for the form as a
// whole.
type FormProblem struct {
	Field string
	Text  string
}

// String is the problem's text, so that a template listing the problems
// shows it as {{.}}.
func (p FormProblem) String() string { return p.Text }

// FormProblems are what is wrong with a posted form, in order, said in the
// visitor's language. A page lists them in a summary at the top and shows
// each beside its field (Bootstrap's is-invalid and invalid-feedback), the
// first invalid field focused without JavaScript (autofocus):
//
//	<input class="form-control{{$p.Invalid "name"}}" id="name" name="name"{{$p.Attrs "name"}}>
//	{{$p.Feedback "name"}}
type FormProblems []FormProblem

// Problems says a validator's problems in the request's language.
func (s *Server) Problems(r *http.Request, ps i18n.Problems) FormProblems {
	loc := s.Localizer(r)
	out := make(FormProblems, 0, len(ps))
	for _, p := range ps {
		out = append(out, FormProblem{Field: p.Field, Text: loc.Say(p.Message)})
	}
	return out
}

// Problem is one problem of field, said in the request's language.
func (s *Server) Problem(r *http.Request, field, id string, args ...any) FormProblem {
	return FormProblem{Field: field, Text: s.Localizer(r).Say(i18n.M(id, args...))}
}

// Has tells whether field has a problem.
func (ps FormProblems) Has(field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

// Of gives the texts of field's problems.
func (ps FormProblems) Of(field string) []string {
	var out []string
	for _, p := range ps {
		if p.Field == field {
			out = append(out, p.Text)
		}
	}
	return out
}

// Invalid gives Bootstrap's class of an invalid input (with its leading
// space) when field has a problem, else nothing.
func (ps FormProblems) Invalid(field string) string {
	if ps.Has(field) {
		return " is-invalid"
	}
	return ""
}

// Attrs gives the attributes of field's input: aria-describedby naming the
// field's help (the ids given) and, when it has a problem, its feedback,
// aria-invalid, and autofocus on the first field of the form with a
// problem.
func (ps FormProblems) Attrs(field string, help ...string) template.HTMLAttr {
	ids := help
	invalid := ps.Has(field)
	if invalid {
		ids = append(ids[:len(ids):len(ids)], FeedbackID(field))
	}
	var b strings.Builder
	if len(ids) > 0 {
		b.WriteString(` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
	}
	if invalid {
		b.WriteString(` aria-invalid="true"`)
		if ps.first() == field {
			b.WriteString(" autofocus")
		}
	}
	return template.HTMLAttr(b.String())
}

// GroupAttrs gives the attributes of a group of inputs (a fieldset of
// checkboxes) about field: aria-describedby naming the group's help (the
// ids given) and, when field has a problem, its feedback. Focus goes on
// the group's first input (Focus), as a fieldset takes none.
func (ps FormProblems) GroupAttrs(field string, help ...string) template.HTMLAttr {
	ids := help
	if ps.Has(field) {
		ids = append(ids[:len(ids):len(ids)], FeedbackID(field))
	}
	if len(ids) == 0 {
		return ""
	}
	return template.HTMLAttr(` aria-describedby="` + template.HTMLEscapeString(strings.Join(ids, " ")) + `"`)
}

// Focus gives autofocus when field is the first of the form with a
// problem: for the first input of a group of them (GroupAttrs).
func (ps FormProblems) Focus(field string) template.HTMLAttr {
	if field != "" && ps.first() == field {
		return " autofocus"
	}
	return ""
}

// Feedback gives the block shown under field's input with its problems;
// nothing when it has none. It is shown whatever the markup around the
// input (d-block): beside a group of checkboxes as beside one input.
func (ps FormProblems) Feedback(field string) template.HTML {
	texts := ps.Of(field)
	if len(texts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<div class="invalid-feedback d-block" id="` + template.HTMLEscapeString(FeedbackID(field)) + `">`)
	for i, t := range texts {
		if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString(template.HTMLEscapeString(t))
	}
	b.WriteString("</div>")
	return template.HTML(b.String())
}

// FeedbackID is the id of the element holding field's problems.
func FeedbackID(field string) string { return field + "-error" }

// first is the field of the first problem about a field.
func (ps FormProblems) first() string {
	for _, p := range ps {
		if p.Field != "" {
			return p.Field
		}
	}
	return ""
}

// InOrder sorts the problems in the order of the form's fields (problems
// of the form as a whole first, of fields not named last), so that the
// summary reads as the form and the first field with a problem is focused,
// whichever check found it first.
func (ps FormProblems) InOrder(fields ...string) FormProblems {
	rank := func(field string) int {
		if field == "" {
			return -1
		}
		if i := slices.Index(fields, field); i >= 0 {
			return i
		}
		return len(fields)
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b FormProblem) int { return rank(a.Field) - rank(b.Field) })
	return out
}
