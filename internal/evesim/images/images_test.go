package images_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/images"
	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// newUniverse generates a universe of a few hundred characters on a fixed
// clock.
func newUniverse(t *testing.T) *universe.Universe {
	t.Helper()
	u, err := universe.Generate(universe.Options{Seed: 3, Characters: 300,
		Now: func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// serve runs an image server over u on a real port and gives its URL.
func serve(t *testing.T, u *universe.Universe) string {
	t.Helper()
	ts := httptest.NewServer(images.New(u))
	t.Cleanup(ts.Close)
	return ts.URL
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, string(b)}
}

// svgDoc is what the tests read back of an image.
type svgDoc struct {
	Width  string `xml:"width,attr"`
	Height string `xml:"height,attr"`
	Title  string `xml:"title"`
	Rect   struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Text string `xml:"text"`
}

// image fetches an image, checks it is a well-formed SVG with the image
// headers, and parses it.
func image(t *testing.T, url string) (svgDoc, answer) {
	t.Helper()
	a := do(t, http.MethodGet, url)
	if a.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, a.status, a.body)
	}
	for name, want := range map[string]string{
		"Content-Type":            "image/svg+xml",
		"Cache-Control":           "public, max-age=86400",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
	} {
		if got := a.header.Get(name); got != want {
			t.Errorf("GET %s: %s = %q, want %q", url, name, got, want)
		}
	}
	if etag := a.header.Get("ETag"); !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Errorf("GET %s: ETag %q", url, etag)
	}
	var doc svgDoc
	if err := xml.Unmarshal([]byte(a.body), &doc); err != nil {
		t.Fatalf("GET %s: not well-formed SVG: %v\n%s", url, err, a.body)
	}
	return doc, a
}

func TestPortraitShowsInitials(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	c, err := u.Character(u.CharacterIDs()[5])
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(c.Name)
	want := ""
	for _, w := range words {
		want += strings.ToUpper(w[:1])
	}

	doc, _ := image(t, fmt.Sprintf("%s/characters/%d/portrait?size=128", base, c.ID))
	if doc.Text != want || doc.Title != c.Name {
		t.Errorf("portrait of %q shows %q titled %q, want %q", c.Name, doc.Text, doc.Title, want)
	}
	if doc.Width != "128" || doc.Height != "128" {
		t.Errorf("size %sx%s, want 128x128", doc.Width, doc.Height)
	}
	if doc.Rect.Fill == "#ffffff" || len(doc.Rect.Fill) != 7 {
		t.Errorf("background %q", doc.Rect.Fill)
	}

	// Without a size the default is drawn.
	doc, _ = image(t, fmt.Sprintf("%s/characters/%d/portrait", base, c.ID))
	if doc.Width != fmt.Sprint(images.DefaultSize) {
		t.Errorf("default size %s, want %d", doc.Width, images.DefaultSize)
	}
}

// The same image is the same bytes and ETag every time, and across servers
// over the same universe; If-None-Match revalidates it.
func TestImagesAreDeterministic(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	id := u.CharacterIDs()[7]
	url := fmt.Sprintf("%s/characters/%d/portrait?size=64", base, id)
	_, first := image(t, url)
	_, second := image(t, url)
	if first.body != second.body || first.header.Get("ETag") != second.header.Get("ETag") {
		t.Fatalf("two answers differ:\n%s %s\n%s %s", first.header.Get("ETag"), first.body, second.header.Get("ETag"), second.body)
	}
	_, other := image(t, fmt.Sprintf("%s/characters/%d/portrait?size=64", serve(t, newUniverse(t)), id))
	if other.body != first.body || other.header.Get("ETag") != first.header.Get("ETag") {
		t.Errorf("another server over the same universe draws another image")
	}
	_, bigger := image(t, fmt.Sprintf("%s/characters/%d/portrait?size=256", base, id))
	if bigger.header.Get("ETag") == first.header.Get("ETag") {
		t.Errorf("sizes 64 and 256 share an ETag")
	}

	if a := do(t, http.MethodGet, url, "If-None-Match", first.header.Get("ETag")); a.status != http.StatusNotModified || a.body != "" {
		t.Errorf("If-None-Match: %d %q, want 304", a.status, a.body)
	}

	// Renaming the character changes its image and so its ETag.
	if err := u.Rename(id, "Zed Quorra"); err != nil {
		t.Fatal(err)
	}
	doc, renamed := image(t, url)
	if doc.Text != "ZQ" || renamed.header.Get("ETag") == first.header.Get("ETag") {
		t.Errorf("after a rename: %q, ETag %s", doc.Text, renamed.header.Get("ETag"))
	}
}

func TestLogosShowTickers(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	var corp universe.Corporation
	for _, id := range u.CorporationIDs() {
		c, err := u.Corporation(id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.NPC {
			corp = c
			break
		}
	}
	alliance, err := u.Alliance(u.Alliances()[0])
	if err != nil {
		t.Fatal(err)
	}
	faction, ok := u.Faction(500001)
	if !ok {
		t.Fatal("no Caldari State in the universe")
	}

	for _, tc := range []struct {
		path, text, title string
	}{
		{fmt.Sprintf("/corporations/%d/logo?size=32", corp.ID), corp.Ticker, corp.Name},
		{fmt.Sprintf("/alliances/%d/logo?size=1024", alliance.ID), alliance.Ticker, alliance.Name},
		{fmt.Sprintf("/corporations/%d/logo", universe.Doomheim), "666", "Doomheim"},
		// Faction logos are in the corporations category, as on the real
		// server.
		{"/corporations/500001/logo?size=64", "CS", faction.Name},
	} {
		doc, _ := image(t, base+tc.path)
		if doc.Text != tc.text || doc.Title != tc.title {
			t.Errorf("%s shows %q titled %q, want %q titled %q", tc.path, doc.Text, doc.Title, tc.text, tc.title)
		}
	}
}

func TestTypesAreGreySquaresWithTheirID(t *testing.T) {
	base := serve(t, newUniverse(t))
	for _, path := range []string{"/types/587/icon?size=64", "/types/587/render?size=512", "/types/123456/icon"} {
		doc, _ := image(t, base+path)
		id := strings.Split(path, "/")[2]
		if doc.Text != id || doc.Rect.Fill != "#6b6b6b" {
			t.Errorf("%s shows %q on %s", path, doc.Text, doc.Rect.Fill)
		}
	}
	doc, _ := image(t, base+"/types/587/icon")
	if doc.Title != "Rifter" {
		t.Errorf("a known type is titled %q, want Rifter", doc.Title)
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	ids := u.CharacterIDs()
	for _, path := range []string{
		"/characters/1/portrait",
		fmt.Sprintf("/characters/%d/portrait", ids[len(ids)-1]+1000),
		"/characters/abc/portrait",
		"/characters/-5/portrait",
		"/characters/99999999999/portrait",
		"/corporations/98999999/logo",
		"/alliances/1/logo",
		"/alliances/500001/logo", // factions are corporations here
		"/types/0/icon",
		"/types/x/render",
		fmt.Sprintf("/characters/%d/logo", ids[0]),
		fmt.Sprintf("/characters/%d", ids[0]),
		"/",
	} {
		if a := do(t, http.MethodGet, base+path); a.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, a.status)
		}
	}
}

func TestBadSizesAreRefused(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	id := u.CharacterIDs()[0]
	for _, size := range []string{"100", "abc", "0", "-64", "", "2048", "64.0", "1e2"} {
		a := do(t, http.MethodGet, fmt.Sprintf("%s/characters/%d/portrait?size=%s", base, id, size))
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "size") {
			t.Errorf("size=%q: %d %q, want 400", size, a.status, a.body)
		}
	}
	for _, size := range []int{32, 64, 128, 256, 512, 1024} {
		doc, _ := image(t, fmt.Sprintf("%s/alliances/%d/logo?size=%d", base, u.Alliances()[0], size))
		if doc.Width != fmt.Sprint(size) {
			t.Errorf("size=%d drew %s", size, doc.Width)
		}
	}
}

// Names go into the SVG escaped: a renamed character with markup in its name
// cannot inject anything.
func TestNamesAreEscaped(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	id := u.CharacterIDs()[2]
	name := `Tom & <Jerry> "O'Neil"`
	if err := u.Rename(id, name); err != nil {
		t.Fatal(err)
	}
	doc, a := image(t, fmt.Sprintf("%s/characters/%d/portrait?size=64", base, id))
	if doc.Title != name || doc.Text != "T&<" {
		t.Errorf("title %q, text %q; want %q and %q", doc.Title, doc.Text, name, "T&<")
	}
	for _, raw := range []string{"<Jerry>", `"O'Neil"`, "& <", ">T&<"} {
		if strings.Contains(a.body, raw) {
			t.Errorf("body holds %q unescaped:\n%s", raw, a.body)
		}
	}
	if !strings.Contains(a.body, "Tom &amp; &lt;Jerry&gt;") {
		t.Errorf("body lacks the escaped name:\n%s", a.body)
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	u := newUniverse(t)
	base := serve(t, u)
	url := fmt.Sprintf("%s/characters/%d/portrait?size=32", base, u.CharacterIDs()[0])
	_, get := image(t, url)

	head := do(t, http.MethodHead, url)
	if head.status != http.StatusOK || head.body != "" {
		t.Fatalf("HEAD: %d %q", head.status, head.body)
	}
	for _, name := range []string{"Content-Type", "ETag", "Content-Length", "Content-Security-Policy", "Cache-Control"} {
		if head.header.Get(name) != get.header.Get(name) {
			t.Errorf("HEAD %s = %q, GET has %q", name, head.header.Get(name), get.header.Get(name))
		}
	}

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		if a := do(t, method, url); a.status != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", method, a.status)
		}
	}
}
