package browsertest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, Deque's accessibility checker, vendored for the
// tests only (testdata/README.md says which version and how it was
// fetched; docs/decisions/0027-axe-core.md why). It never ships in the
// binary: only this test package embeds it.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeViolation is a rule axe-core found broken on a page, with the elements
// that break it.
type axeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

type axeNode struct {
	Target  string `json:"target"`
	HTML    string `json:"html"`
	Summary string `json:"summary"`
}

// axeRun runs the rules (of a kind, "tag" or "rule", and values) on the whole document, and keeps
// the serious and critical violations: those that stop or seriously hinder
// a person (no name on a control, text a low-vision reader cannot read).
// The minor and moderate ones are judgement calls the audit does not fail
// on.
const axeRun = `axe.run(document, {
	resultTypes: ["violations"],
	runOnly: {type: %q, values: %s},
}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => ({
		target: n.target.join(" "), html: n.html.slice(0, 160), summary: n.failureSummary || "",
	}))})))`

// Rules the audits run: every rule of WCAG 2.0, 2.1 and 2.2 at levels A and
// AA, and axe's best practices; or only those about colours, for a page
// already audited in another theme (a theme changes colours only, and the
// colour rules take a third of the time of all).
var (
	axeAll    = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}
	axeColour = []string{"color-contrast", "link-in-text-block"}
)

// audit runs axe-core on the page as it is now and gives its serious and
// critical violations; colour runs only the rules about colours. axe is put into the page through the DevTools
// protocol (Runtime.evaluate), which the page's Content-Security-Policy
// does not govern: a <script> element would be refused, as it should be.
func (p *page) audit(colour bool) []axeViolation {
	p.t.Helper()
	loaded := run(p, "looking for axe", chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if !loaded {
		p.do("injecting axe-core", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	kind, values := "tag", axeAll
	if colour {
		kind, values = "rule", axeColour
	}
	b, err := json.Marshal(values)
	if err != nil {
		p.t.Fatal(err)
	}
	return run(p, "running axe-core", chromedp.Evaluate[[]axeViolation](fmt.Sprintf(axeRun, kind, b), chromedp.EvalAwaitPromise))
}

// offScreen lists the controls a person can see but not reach: buttons,
// links styled as buttons, and form fields lying partly beyond the left or
// right edge of the screen (in a table wider than a phone, say). The
// collapsed menu's entries are hidden, not off screen, and are not listed.
func (p *page) offScreen() []string {
	p.t.Helper()
	return run(p, "looking for controls off screen", chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth;
		return Array.from(document.querySelectorAll("button, .btn, input:not([type=hidden]), select, textarea, a.nav-link"))
			.filter(e => e.checkVisibility({visibilityProperty: true}))
			.filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.left < -1 || r.right > w + 1); })
			.map(e => (e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + Array.from(e.classList).join(".")) +
				" (" + (e.innerText || e.value || e.name || "").trim().slice(0, 40) + ")");
	})()`))
}

// finding is one way a rule is broken (a rule and what axe says of the
// element: the same colours, the same missing name), with the pages,
// themes and elements it shows on.
type finding struct {
	rule, impact, help, summary string
	paths, themes, targets      []string
	html                        string
}

// findings gathers the violations of the audits, one entry per rule and
// failure however many pages and themes share it, so that a failure reads as
// a list of things to fix rather than a wall of repeats.
type findings struct {
	byKey map[string]*finding
	order []string
}

func (f *findings) add(path, theme string, vs []axeViolation) {
	if f.byKey == nil {
		f.byKey = map[string]*finding{}
	}
	for _, v := range vs {
		for _, n := range v.Nodes {
			key := v.ID + "\x00" + n.Summary
			got, ok := f.byKey[key]
			if !ok {
				got = &finding{rule: v.ID, impact: v.Impact, help: v.Help, summary: n.Summary, html: n.HTML}
				f.byKey[key] = got
				f.order = append(f.order, key)
			}
			got.paths = appendNew(got.paths, path)
			got.themes = appendNew(got.themes, theme)
			got.targets = appendNew(got.targets, n.Target)
		}
	}
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func (f *findings) String() string {
	var b strings.Builder
	short := func(list []string) string {
		if len(list) > 6 {
			return strings.Join(list[:6], ", ") + fmt.Sprintf(" … and %d more", len(list)-6)
		}
		return strings.Join(list, ", ")
	}
	for _, key := range f.order {
		got := f.byKey[key]
		fmt.Fprintf(&b, "\n%s (%s): %s\n    %s\n    themes: %s\n    pages: %s\n    elements: %s\n    e.g. %s\n",
			got.rule, got.impact, got.help, strings.ReplaceAll(strings.TrimSpace(got.summary), "\n", "\n    "),
			short(got.themes), short(got.paths), short(got.targets), got.html)
	}
	return b.String()
}

// waitIdle waits until htmx has no request in flight, so that a fragment
// loading after the page (the unread count) is audited as it is shown.
func (p *page) waitIdle() {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](`document.readyState === "complete" && !document.querySelector(".htmx-request")`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		p.t.Fatalf("%s never settled: %v", p.location(), err)
	}
}
