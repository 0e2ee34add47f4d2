package browsertest

import (
	"fmt"

	"github.com/chromedp/chromedp"
)

// What a person does on Keepstar's pages and on the simulated EVE SSO's.

// authorize logs the character in on the simulated SSO's page, as a player
// does: types the character's name, continues, picks the character among
// the account's and authorizes. It ends on the page Keepstar sends back to.
func (p *page) authorize(characterID int32) {
	p.t.Helper()
	c, err := p.site.Sim.Universe.Character(characterID)
	if err != nil {
		p.t.Fatal(err)
	}
	p.wantAt(p.site.SimURL, "/v2/oauth/authorize")
	login := `input[name="sim_login"]`
	p.do("typing "+c.Name+" at the simulator", chromedp.WaitVisible(chromedp.CSS(login)),
		chromedp.SendKeys(chromedp.CSS(login), c.Name))
	p.follow("continuing at the simulator", p.press(`form[method="get"] button[type="submit"]`))

	choice := fmt.Sprintf(`input[name="character_id"][value="%d"]`, characterID)
	p.do("choosing "+c.Name, chromedp.WaitVisible(chromedp.CSS(choice)), p.press(choice))
	if !run(p, "reading the choice", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%s).checked`, jsString(choice)))) {
		p.t.Fatalf("%s is not chosen on the simulator's page", c.Name)
	}
	p.follow("authorizing "+c.Name, p.press(`button[name="decision"][value="allow"]`))
}

// logIn logs the character in from the home page's login button.
func (p *page) logIn(characterID int32) {
	p.t.Helper()
	p.waitVisible("#login")
	p.follow("clicking Log in with EVE Online", p.press("#login"))
	p.authorize(characterID)
	p.wantAt(p.site.URL, "/dashboard")
}

// addCharacter adds the character with the Add character button of the
// page (dashboard or characters page); it ends on the characters page.
func (p *page) addCharacter(characterID int32) {
	p.t.Helper()
	p.follow("clicking Add character", p.press("#add-character"))
	p.authorize(characterID)
	p.wantAt(p.site.URL, "/characters")
}

// openMenu makes the navbar's menu reachable: on a narrow screen it is
// collapsed behind the toggler (and must be), on a wide one it is open.
func (p *page) openMenu() {
	p.t.Helper()
	collapsed := p.visible(".navbar-toggler")
	if collapsed != p.vp.phone {
		p.t.Errorf("navbar toggler shown: %v, on a %dx%d screen", collapsed, p.vp.width, p.vp.height)
	}
	if collapsed && !p.visible("#site-nav.show") {
		// Bootstrap adds .show when the menu has finished opening.
		p.do("opening the menu", p.press(".navbar-toggler"), chromedp.WaitVisible(chromedp.CSS("#site-nav.show")))
	}
}

// menu follows the navbar's link to path.
func (p *page) menu(path string) {
	p.t.Helper()
	p.openMenu()
	p.follow("opening "+path+" from the menu", p.press(fmt.Sprintf(`#site-nav a.nav-link[href=%s]`, jsString(path))))
	p.wantAt(p.site.URL, path)
}

// logOut logs out with the button of the user menu; it ends on the home
// page with its login button.
func (p *page) logOut() {
	p.t.Helper()
	p.openMenu()
	if !p.visible("#logout") {
		p.do("opening the user menu", p.press("#user-menu"), chromedp.WaitVisible(chromedp.CSS("#logout")))
	}
	p.follow("clicking Log out", p.press("#logout"))
	p.wantAt(p.site.URL, "/")
	p.waitVisible("#login")
	if p.visible("#user-menu") {
		p.t.Error("the user menu is still shown after logging out")
	}
}

// characterIDs gives the data-character-id of the elements sel finds.
func (p *page) characterIDs(sel string) []string {
	p.t.Helper()
	return run(p, "reading "+sel, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s), e => e.dataset.characterId)`, jsString(sel))))
}
