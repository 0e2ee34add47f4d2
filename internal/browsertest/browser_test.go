package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// viewport is the screen a person uses the site on.
type viewport struct {
	name          string
	width, height int64
	// phone emulates a mobile device with a touch screen: the page is laid
	// out for device-width, and the person taps instead of clicking.
	phone bool
}

var (
	desktop = viewport{name: "desktop", width: 1366, height: 900}
	phone   = viewport{name: "phone", width: 390, height: 844, phone: true}
)

// atDesktopAndPhone runs test at each viewport, in parallel, with the
// Chromium the tests use (skipping when there is none).
func atDesktopAndPhone(t *testing.T, test func(t *testing.T, exe string, vp viewport)) {
	exe := chromium(t)
	for _, vp := range []viewport{desktop, phone} {
		t.Run(vp.name, func(t *testing.T) {
			t.Parallel()
			test(t, exe, vp)
		})
	}
}

// chromium gives the Chromium binary that KEEPSTAR_TEST_CHROMIUM names, and
// skips the test when the variable is empty. A name that is no binary skips
// too, except in CI (CI=true), where it is a broken set-up and fails.
func chromium(t *testing.T) string {
	t.Helper()
	name := os.Getenv("KEEPSTAR_TEST_CHROMIUM")
	if name == "" {
		t.Skip("browser tests are off: set KEEPSTAR_TEST_CHROMIUM=/usr/bin/chromium to run them")
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("KEEPSTAR_TEST_CHROMIUM=%s names no Chromium: %v", name, err)
		}
		t.Skipf("browser tests are off: KEEPSTAR_TEST_CHROMIUM=%s names no Chromium: %v", name, err)
	}
	return path
}

// page is one person at one tab of a Chromium of their own, on a site.
type page struct {
	t    *testing.T
	ctx  context.Context
	site *sitetest.Site
	vp   viewport

	mu      sync.Mutex
	console []string // errors and exceptions the pages wrote to the console
	// ignored are URLs whose console errors are expected: a page opened
	// to see its 404.
	ignored []string
}

// ignoreConsole expects errors of the page at url in the console: the
// browser reports a page's error status there.
func (p *page) ignoreConsole(url string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ignored = append(p.ignored, url)
}

// openBrowser starts a headless Chromium (exe) at the viewport, with a fresh
// profile, for as long as ctx lasts; the test's cleanup closes it and fails
// the test if a page wrote an error or an exception to the console.
func openBrowser(ctx context.Context, t *testing.T, exe string, site *sitetest.Site, vp viewport) *page {
	t.Helper()
	var output sitetest.LogBuffer
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// No traffic of the browser's own: this machine and CI reach
		// nothing but the site and its simulator.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(vp.width), int(vp.height)),
		chromedp.CombinedOutput(&output),
	)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	p := newTab(t, tabCtx, site, vp, func() { cancelTab(); cancelAlloc() }, &output)
	if p == nil {
		t.Fatalf("starting %s: %s", exe, withoutDBus(output.String()))
	}
	return p
}

// stranger opens a second tab in the same Chromium as a person of their
// own: a fresh browser context, sharing no cookie with p, on the same
// viewport. The audits use it for the pages of visitors who are not logged
// in, without starting a second browser.
func (p *page) stranger() *page {
	p.t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(p.ctx, chromedp.WithNewBrowserContext())
	s := newTab(p.t, tabCtx, p.site, p.vp, cancelTab, nil)
	if s == nil {
		p.t.Fatal("opening a second browser context failed")
	}
	return s
}

// newTab makes the page of a tab: it sets the viewport (the first action on
// a new browser starts it) and collects what the tab writes to the console;
// the test's cleanup closes the tab with cancel and fails the test if a page
// wrote an error or an exception to the console. It gives nil when the tab
// cannot start.
func newTab(t *testing.T, tabCtx context.Context, site *sitetest.Site, vp viewport, cancel func(), output *sitetest.LogBuffer) *page {
	t.Helper()
	p := &page{t: t, ctx: tabCtx, site: site, vp: vp}
	var opts []chromedp.EmulateViewportOption
	if vp.phone {
		opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	// Reduced motion: Bootstrap scrolls smoothly otherwise, and a tap
	// aimed while the page still scrolls (to a field just typed into)
	// lands where the button was.
	reducedMotion := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	})
	if err := chromedp.Do(tabCtx, chromedp.EmulateViewport(vp.width, vp.height, opts...), reducedMotion); err != nil {
		cancel()
		t.Logf("emulating the viewport: %v", err)
		return nil
	}
	messages := chromedp.Console(tabCtx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			// A page that links no icon (River UI's, a JSON answer) has
			// the browser ask for /favicon.ico, which the site does not
			// serve: no fault of the page.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.HasSuffix(m.URL, "/favicon.ico") {
				p.mu.Lock()
				if !slices.Contains(p.ignored, m.URL) {
					p.console = append(p.console, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line+1))
				}
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, m := range p.console {
			t.Errorf("console: %s", m)
		}
		if t.Failed() && output != nil {
			t.Logf("Chromium's output:\n%s", withoutDBus(output.String()))
		}
	})
	return p
}

// do runs steps that show nothing back, in order.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s on %s: %v", what, p.location(), err)
	}
}

// run runs an action that gives a value.
func run[T any](p *page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, a)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// follow runs steps that lead to another page (a click on a link or a
// button) and waits until it has loaded, after every redirect.
func (p *page) follow(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	res, err := chromedp.RunResponse(p.ctx, steps...)
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	p.loaded(what, res)
}

// visit opens a URL of the site (a path) as if typed into the address bar.
func (p *page) visit(path string) {
	p.t.Helper()
	what := "opening " + path
	p.loaded(what, run(p, what, chromedp.NavigateResponse(p.site.URL+path)))
}

// loaded checks the page a navigation ended on: it answered 200 and, on a
// phone, fits the screen's width.
func (p *page) loaded(what string, res *network.Response) {
	p.t.Helper()
	if res.Status != http.StatusOK {
		p.t.Fatalf("%s: %s answered %d", what, res.URL, res.Status)
	}
	p.fitsWidth()
}

// fitsWidth checks that nothing on a phone's page is wider than the screen:
// a page wider than the viewport scrolls sideways.
func (p *page) fitsWidth() {
	p.t.Helper()
	if !p.vp.phone {
		return
	}
	w := run(p, "measuring the page", chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if len(w) == 2 && w[0] > w[1] {
		p.t.Errorf("%s is %d px wide on a %d px screen", p.location(), w[0], w[1])
	}
}

// press clicks what sel finds, or taps it on a phone.
func (p *page) press(sel string) chromedp.Action[chromedp.Void] {
	if p.vp.phone {
		return chromedp.Tap(chromedp.CSS(sel))
	}
	return chromedp.Click(chromedp.CSS(sel))
}

// waitVisible waits until what sel finds is shown.
func (p *page) waitVisible(sel string) {
	p.t.Helper()
	p.do("waiting for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// visible tells whether what sel finds is on the page and shown.
func (p *page) visible(sel string) bool {
	p.t.Helper()
	return run(p, "looking for "+sel, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !!e && e.checkVisibility(); })()`, jsString(sel))))
}

// texts gives the text a person sees in each element sel finds.
func (p *page) texts(sel string) []string {
	p.t.Helper()
	return run(p, "reading "+sel, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s), e => e.innerText)`, jsString(sel))))
}

// text gives the text a person sees in the elements sel finds, joined.
func (p *page) text(sel string) string {
	p.t.Helper()
	return strings.Join(p.texts(sel), "\n")
}

// location gives the page's URL, or "" when there is none.
func (p *page) location() string {
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	if err != nil {
		return ""
	}
	return loc
}

// url gives the page's URL, parsed.
func (p *page) url() *url.URL {
	p.t.Helper()
	u, err := url.Parse(p.location())
	if err != nil {
		p.t.Fatal(err)
	}
	return u
}

// wantAt checks that the page is at path of base (the site or the simulator).
func (p *page) wantAt(base, path string) {
	p.t.Helper()
	u := p.url()
	if b, _ := url.Parse(base); u.Host != b.Host || u.Path != path {
		p.t.Fatalf("at %s, want %s%s", u, base, path)
	}
}

// wantText checks that the elements sel finds show every one of want.
func (p *page) wantText(sel string, want ...string) {
	p.t.Helper()
	got := p.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			p.t.Errorf("%s on %s shows %q, want %q in it", sel, p.url().Path, got, w)
		}
	}
}

// screenshot saves the whole page as dir/<viewport>-<name>.png and copies
// it into the artifacts folder, <artifacts>/<viewport>/<name>.png, when
// KEEPSTAR_TEST_ARTIFACTS names one (KEEPSTAR_TEST_SCREENSHOTS, its older
// name, still works). Tests that keep their screenshots give t.ArtifactDir()
// as dir: under go test -artifacts they stay in the test's output.
func (p *page) screenshot(dir, name string) {
	p.t.Helper()
	png := run(p, "taking a screenshot", chromedp.FullScreenshot(100))
	file := filepath.Join(dir, p.vp.name+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot %s", file)
	keep := os.Getenv("KEEPSTAR_TEST_ARTIFACTS")
	if keep == "" {
		keep = os.Getenv("KEEPSTAR_TEST_SCREENSHOTS")
	}
	if keep != "" {
		sub := filepath.Join(keep, p.vp.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, name+".png"), png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

// withoutDBus drops the lines of Chromium's complaints that it finds no
// D-Bus, which a machine without a desktop never has.
func withoutDBus(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.Contains(line, "ERROR:dbus/") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return string(b)
}
