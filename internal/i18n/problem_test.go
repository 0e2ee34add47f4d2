package i18n

import (
	"errors"
	"slices"
	"testing"
)

const problemEN = `
[language.name]
description = "name"
other = "English"

[form.field]
description = "a field's name"
other = "Corporations"

[form.bad_id]
description = "a problem naming a field"
other = "{{.Field}}: {{.Value}} is not an id."
`

const problemDE = `
[language.name]
other = "Deutsch"

[form.field]
other = "Corporationen"

[form.bad_id]
other = "{{.Field}}: {{.Value}} ist keine ID."
`

// TestProblemsAreSaidInTheReadersLanguage: a validator's problems are
// translated where they are shown, a Message argument (a field's name)
// too, and a refusal carries them for errors.As.
func TestProblemsAreSaidInTheReadersLanguage(t *testing.T) {
	c := loadTest(t, map[string]string{"en.toml": problemEN, "de.toml": problemDE})
	var ps Problems
	ps.Add("corporations", "form.bad_id", "Value", "12x", "Field", M("form.field"))
	for tag, want := range map[string]string{"en": "Corporations: 12x is not an id.", "de": "Corporationen: 12x ist keine ID."} {
		if got := c.Localizer(tag).Problems(ps); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: %q, want %q", tag, got, want)
		}
	}

	sentinel := errors.New("things: invalid thing")
	if err := Problems(nil).Err(sentinel); err != nil {
		t.Errorf("no problems refused: %v", err)
	}
	err := ps.Err(sentinel)
	var invalid *InvalidError
	if !errors.Is(err, sentinel) || !errors.As(err, &invalid) || len(invalid.Problems) != 1 || invalid.Problems[0].Field != "corporations" {
		t.Fatalf("refusal %v does not carry its problems", err)
	}
	if want := `things: invalid thing: form.bad_id Value="12x" Field="form.field"`; err.Error() != want {
		t.Errorf("refusal says %q, want %q", err.Error(), want)
	}
}
