package sitetest

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Browser is one visitor of a site: a cookie jar, and redirects followed
// the way a browser follows them.
type Browser struct {
	site *Site
	// Client does not follow redirects itself: Browser does, so that it can
	// answer the simulated SSO's page.
	Client *http.Client
	// Header is sent with every request (Accept-Language...).
	Header http.Header
}

// NewBrowser gives a visitor with no cookie.
func (s *Site) NewBrowser(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{site: s, Header: http.Header{}, Client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page is the answer a browser ends on after following redirects.
type Page struct {
	Status int
	URL    string
	Body   string
	Header http.Header
	// Visited lists every URL requested on the way.
	Visited []string
}

// do sends one request.
func (b *Browser) do(t testing.TB, method, u string, form url.Values) *http.Response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range b.Header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// A browser posting a form of the site's own page.
		req.Header.Set("Origin", b.site.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// follow requests u and follows redirects to the end. At the simulated
// SSO's authorize page it picks characterID, as a player would.
func (b *Browser) follow(t testing.TB, method, u string, form url.Values, characterID int32) Page {
	t.Helper()
	var p Page
	for hops := 0; ; hops++ {
		if hops > 10 {
			t.Fatalf("more than 10 redirects: %v", p.Visited)
		}
		if characterID != 0 && strings.HasPrefix(u, b.site.SimURL+"/v2/oauth/authorize") {
			// The simulator's shortcut for the player's choice on its page.
			u += "&character_id=" + strconv.Itoa(int(characterID))
		}
		p.Visited = append(p.Visited, u)
		res := b.do(t, method, u, form)
		p.Status, p.URL, p.Header = res.StatusCode, u, res.Header
		loc := res.Header.Get("Location")
		if res.StatusCode < 300 || res.StatusCode >= 400 || loc == "" {
			p.Body = Body(t, res)
			return p
		}
		res.Body.Close()
		next, err := res.Request.URL.Parse(loc)
		if err != nil {
			t.Fatalf("bad Location %q: %v", loc, err)
		}
		method, form, u = http.MethodGet, nil, next.String()
	}
}

// Get follows a page of the site (a path) or any URL.
func (b *Browser) Get(t testing.TB, path string) Page {
	t.Helper()
	return b.follow(t, http.MethodGet, b.url(path), nil, 0)
}

// Post submits a form of the site and follows the answer.
func (b *Browser) Post(t testing.TB, path string, form url.Values) Page {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return b.follow(t, http.MethodPost, b.url(path), form, 0)
}

// Expect gets path (posts form when it is not nil) and fails the test
// unless the page it ends on has the status and every one of texts. who
// names the visitor in the failure, which shows the page's main part.
func (b *Browser) Expect(t testing.TB, who, path string, form url.Values, status int, texts ...string) string {
	t.Helper()
	var p Page
	if form == nil {
		p = b.Get(t, path)
	} else {
		p = b.Post(t, path, form)
	}
	main := p.Body
	if i := strings.Index(main, "<main"); i >= 0 {
		main = main[i:]
	}
	main = main[:min(len(main), 4000)]
	if p.Status != status {
		t.Fatalf("%s as %s: %d, want %d\n%s", path, who, p.Status, status, main)
	}
	for _, text := range texts {
		if !strings.Contains(p.Body, text) {
			t.Fatalf("%s as %s: the page lacks %q\n%s", path, who, text, main)
		}
	}
	return p.Body
}

// Flow starts an SSO flow at path (a login, /characters/add, a token's
// link) and logs characterID in at the simulator.
func (b *Browser) Flow(t testing.TB, path string, characterID int32) Page {
	t.Helper()
	return b.follow(t, http.MethodGet, b.url(path), nil, characterID)
}

// LogIn logs characterID in with the account login and checks it worked.
func (b *Browser) LogIn(t testing.TB, characterID int32) Page {
	t.Helper()
	p := b.Flow(t, "/sso/login", characterID)
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/dashboard") {
		t.Fatalf("login of %d ended at %s with %d:\n%s", characterID, p.URL, p.Status, p.Body)
	}
	return p
}

// AddCharacter adds characterID to the logged-in account and checks the
// flow ended on the characters page.
func (b *Browser) AddCharacter(t testing.TB, characterID int32) Page {
	t.Helper()
	p := b.Flow(t, "/characters/add", characterID)
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/characters") {
		t.Fatalf("adding %d ended at %s with %d:\n%s", characterID, p.URL, p.Status, p.Body)
	}
	return p
}

// Cookie gives the value of the site's session cookie, or "".
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.site.URL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *Browser) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return b.site.URL + path
}
