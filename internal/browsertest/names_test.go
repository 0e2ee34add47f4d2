package browsertest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/keepstar/keepstar/internal/sitetest"
)

// TestNamesInABrowser is a superuser naming a state's corporations by
// name at a desktop (with the keyboard) and at a phone (tapping): a
// corporation the site knows, found by the start of its name, and one only
// ESI knows, found by its full name; the ids land in the field, the state
// is saved and shows the names. The EVE login form's name pattern is valid
// for the browser (compiled with the v flag).
func TestNamesInABrowser(t *testing.T) {
	atDesktopAndPhone(t, testNames)
}

func testNames(t *testing.T, exe string, vp viewport) {
	site := sitetest.Start(t, sitetest.Options{})
	u := site.Sim.Universe
	su := site.AccountCharacters(t, 1)[0]
	me, err := u.Character(su)
	if err != nil {
		t.Fatal(err)
	}
	own, err := u.Corporation(me.CorporationID)
	if err != nil {
		t.Fatal(err)
	}
	// Far: a player corporation no member is in, which the site does not know.
	var far int32
	for _, c := range u.CorporationIDs() {
		if c > 2_000_000 && c != me.CorporationID {
			far = c
			break
		}
	}
	farCorp, err := u.Corporation(far)
	if err != nil {
		t.Fatal(err)
	}
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := openBrowser(ctx, t, exe, site, vp)
	p.visit("/")
	p.logIn(su)
	if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(su))); err != nil {
		t.Fatal(err)
	}

	p.visit("/admin/states/new")
	find, options := "#corporations-find", "#corporations ~ .eve-names [role=option]"
	p.waitVisible(find)
	if got := p.attr(find, "role"); got != "combobox" {
		t.Errorf("the search box is a %q, want a combobox", got)
	}
	if label := p.text(`label[for="corporations-find"]`); label != "Add a corporation by name" {
		t.Errorf("the search box's label is %q", label)
	}

	// The site's own corporation, by the start of its name.
	p.do("typing the start of a name", chromedp.SendKeys(find, own.Name[:4]))
	p.waitVisible(options)
	p.wantText(options, own.Name, "["+own.Ticker+"]")
	if !p.exists(options + " img") {
		t.Error("the match has no logo")
	}
	if vp.phone {
		p.do("tapping the match", p.press(fmt.Sprintf(`%s[data-id="%d"]`, options, me.CorporationID)))
	} else {
		i := p.optionIndex(options, me.CorporationID)
		steps := []chromedp.Action[chromedp.Void]{chromedp.Focus(find)}
		for range i + 1 {
			steps = append(steps, chromedp.KeyEvent(kb.ArrowDown))
		}
		if got := p.attr(find, "aria-expanded"); got != "true" {
			t.Errorf("aria-expanded %q with the list open", got)
		}
		p.do("picking with the keyboard", append(steps, chromedp.KeyEvent(kb.Enter))...)
	}
	p.waitValue("#corporations", strconv.Itoa(int(me.CorporationID)))
	p.wantAt(site.URL, "/admin/states/new") // Enter picked, and did not send the form
	p.wantText("#corporations ~ .eve-names .eve-names-status", own.Name+" added.")

	// A corporation only ESI knows, by its full name.
	p.do("typing a full name", chromedp.SendKeys(find, strings.ToLower(farCorp.Name)))
	sel := fmt.Sprintf(`%s[data-id="%d"]`, options, far)
	p.waitVisible(sel)
	p.wantText(sel, farCorp.Name, "["+farCorp.Ticker+"]")
	p.do("picking it", p.press(sel))
	p.waitValue("#corporations", strconv.Itoa(int(far)))
	// The list closes once a match is picked; a tap while it closes would
	// land where the page was.
	p.do("waiting for the list to close", chromedp.WaitNotVisible(chromedp.CSS("#corporations ~ .eve-names [role=listbox]")))
	p.screenshot(shots, "state-names")

	p.do("naming the state", chromedp.SendKeys("#name", "Friends by name"), chromedp.SetValue("#priority", "60"))
	p.follow("saving the state", p.press("#save-state"))
	p.wantAt(site.URL, "/admin/states")
	var id int64
	if err := site.DB.QueryRow(ctx, `SELECT id FROM states WHERE name = 'Friends by name'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	p.visit("/admin/states/" + strconv.FormatInt(id, 10))
	p.wantText("#corporations-known", own.Name, farCorp.Name)

	// The EVE login form's name pattern compiles with the v flag, and
	// checks the field.
	p.visit("/admin/eve-logins")
	valid := run(p, "compiling the name pattern", chromedp.Evaluate[bool](`(() => {
		const f = document.querySelector('#name');
		try { new RegExp(f.pattern, 'v'); } catch (e) { return false; }
		f.value = 'bad name';
		const refused = f.validity.patternMismatch;
		f.value = 'srp-tool.v2';
		return refused && !f.validity.patternMismatch;
	})()`))
	if !valid {
		t.Error("the login name pattern is not a valid v-flag expression, or does not check the name")
	}
	p.screenshot(shots, "eve-logins")
}

// optionIndex gives the place of the option of id among those sel finds.
func (p *page) optionIndex(sel string, id int32) int {
	p.t.Helper()
	i := run(p, "finding option "+strconv.Itoa(int(id)), chromedp.Evaluate[int](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s)).findIndex(e => e.dataset.id === %s)`, jsString(sel), jsString(strconv.Itoa(int(id))))))
	if i < 0 {
		p.t.Fatalf("no option %d", id)
	}
	return i
}

// waitValue waits until the field sel finds holds the id, on a line or
// among others.
func (p *page) waitValue(sel, id string) {
	p.t.Helper()
	expr := fmt.Sprintf(`document.querySelector(%s).value.split(/[\s,;]+/).includes(%s)`, jsString(sel), jsString(id))
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		p.t.Fatalf("%s never held %s: %v (it holds %q)", sel, id, err, p.value(sel))
	}
}
