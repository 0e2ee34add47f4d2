package i18n

import "testing"

func TestPseudo(t *testing.T) {
	c := testdata(t)
	p := c.WithPseudo()
	if got := c.Match("", PseudoTag); got != Source {
		t.Errorf("the catalogue itself gives %s to en-XA: the pseudo-language must be the copy's alone", got)
	}
	if got := p.Match("", PseudoTag); got != PseudoTag {
		t.Errorf("Match(en-XA) = %s", got)
	}
	for _, header := range []string{"en-US", "en", "en-GB,en;q=0.8", ""} {
		if got := p.Match("", header); got != Source {
			t.Errorf("Match(%q) = %s: an English reader gets English", header, got)
		}
	}
	if got := p.Match("", "de-DE"); got != "de" {
		t.Errorf("Match(de-DE) = %s", got)
	}
	l := p.Localizer(PseudoTag)
	if got, want := l.T("test.greeting", "Name", "Ana"), PseudoOpen+"Hello Ana"+PseudoClose; got != want {
		t.Errorf("T = %q, want %q", got, want)
	}
	if got := l.T("test.nothing"); got != "test.nothing" {
		t.Errorf("an id no language has: %q, want it bare", got)
	}
	if got := p.Localizer("de").T("test.greeting", "Name", "Ana"); got != "Hallo Ana" {
		t.Errorf("German in the copy: %q", got)
	}
	if n := len(p.Languages()); n != len(c.Languages())+1 {
		t.Errorf("%d languages, want %d", n, len(c.Languages())+1)
	}
}
