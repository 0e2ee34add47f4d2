package web_test

import (
	"testing"

	"github.com/keepstar/keepstar/internal/web"
)

// A form's problems give each field its markup: invalid, described by its
// help and its feedback, the first field with a problem focused, the text
// escaped.
func TestFormProblemsMarkUpTheirFields(t *testing.T) {
	ps := web.FormProblems{{Field: "priority", Text: "Not a <number>."}, {Text: "Taken."}, {Field: "name", Text: "Required."},
		{Field: "priority", Text: "Too high."}}.InOrder("name", "priority")
	if ps[0].Text != "Taken." || ps[1].Field != "name" || ps[2].Text != "Not a <number>." || ps[3].Text != "Too high." {
		t.Fatalf("InOrder: %+v", ps)
	}
	if got := ps.Invalid("name") + "|" + ps.Invalid("other"); got != " is-invalid|" {
		t.Errorf("Invalid: %q", got)
	}
	for _, c := range []struct {
		field string
		help  []string
		want  string
	}{
		{"name", nil, ` aria-describedby="name-error" aria-invalid="true" autofocus`},
		{"priority", []string{"priority-help"}, ` aria-describedby="priority-help priority-error" aria-invalid="true"`},
		{"other", []string{"other-help"}, ` aria-describedby="other-help"`},
		{"other", nil, ``},
	} {
		if got := string(ps.Attrs(c.field, c.help...)); got != c.want {
			t.Errorf("Attrs(%s): %q, want %q", c.field, got, c.want)
		}
	}
	if got, want := string(ps.Feedback("priority")), `<div class="invalid-feedback d-block" id="priority-error">Not a &lt;number&gt;.<br>Too high.</div>`; got != want {
		t.Errorf("Feedback: %q, want %q", got, want)
	}
	if got := string(ps.GroupAttrs("priority", "priority-help")) + "|" + string(ps.GroupAttrs("other", "other-help")) + "|" +
		string(ps.GroupAttrs("other")); got != ` aria-describedby="priority-help priority-error"| aria-describedby="other-help"|` {
		t.Errorf("GroupAttrs: %q", got)
	}
	if got := string(ps.Focus("name")) + "|" + string(ps.Focus("priority")) + "|" + string(ps.Focus("")); got != " autofocus||" {
		t.Errorf("Focus: %q", got)
	}
	if ps.Feedback("other") != "" {
		t.Error("feedback for a field without problems")
	}
}
