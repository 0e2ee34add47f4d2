package names_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

type answer struct {
	Matches []names.Match `json:"matches"`
	Error   string        `json:"error"`
}

func lookup(t *testing.T, b *sitetest.Browser, kind, q string, status int) answer {
	t.Helper()
	p := b.Get(t, "/api/eve/names?kind="+kind+"&q="+url.QueryEscape(q))
	if p.Status != status {
		t.Fatalf("lookup %s %q: %d, want %d\n%s", kind, q, p.Status, status, p.Body)
	}
	if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("lookup %s %q: %s", kind, q, ct)
	}
	var a answer
	if err := json.Unmarshal([]byte(p.Body), &a); err != nil {
		t.Fatalf("lookup %s %q: %v\n%s", kind, q, err, p.Body)
	}
	return a
}

// The lookup over HTTP on a whole site: what the site knows by prefix,
// what only ESI knows by its exact name, with tickers and images; for
// group and settings admins and superusers, refused to members.
func TestLookupOverHTTP(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			site := sitetest.Start(t, sitetest.Options{Dialect: d})
			ctx := context.Background()
			ids := site.AccountCharacters(t, 3)
			accs := site.Accounts()
			browsers := make([]*sitetest.Browser, len(ids))
			for i, id := range ids {
				browsers[i] = site.NewBrowser(t)
				browsers[i].LogIn(t, id)
			}
			member, groupAdmin, su := browsers[0], browsers[1], browsers[2]
			ga, err := accs.Character(ctx, ids[1])
			if err != nil {
				t.Fatal(err)
			}
			if err := accs.SetRoles(ctx, ga.AccountID, []string{access.RoleGroupAdmin}, false); err != nil {
				t.Fatal(err)
			}
			if _, _, err := accs.GrantSuperuser(ctx, strconv.Itoa(int(ids[2]))); err != nil {
				t.Fatal(err)
			}
			pilot, err := accs.Character(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			corp, err := site.Sim.Universe.Corporation(pilot.CorporationID)
			if err != nil {
				t.Fatal(err)
			}

			// Members have nothing to look up; nor have visitors.
			if a := lookup(t, member, "corporation", corp.Name[:3], http.StatusForbidden); a.Error == "" {
				t.Error("the refusal says nothing")
			}
			lookup(t, site.NewBrowser(t), "corporation", corp.Name[:3], http.StatusUnauthorized)

			// A corporation a member is in, by the start of its name.
			a := lookup(t, groupAdmin, "corporation", strings.ToLower(corp.Name[:3]), http.StatusOK)
			found := false
			for _, m := range a.Matches {
				if m.ID == pilot.CorporationID {
					found = m.Name == corp.Name && m.Ticker == corp.Ticker &&
						m.Image == site.Config.EVEImagesURL.String()+"/corporations/"+strconv.Itoa(int(m.ID))+"/logo?size=64"
				}
			}
			if !found {
				t.Errorf("%q not found as it should be: %+v", corp.Name, a.Matches)
			}
			// A character, with its corporation's ticker and portrait.
			a = lookup(t, su, "character", pilot.Name, http.StatusOK)
			if len(a.Matches) == 0 || a.Matches[0].ID != pilot.ID || a.Matches[0].Ticker != corp.Ticker ||
				!strings.HasSuffix(a.Matches[0].Image, "/characters/"+strconv.Itoa(int(pilot.ID))+"/portrait?size=64") {
				t.Errorf("character %q: %+v", pilot.Name, a.Matches)
			}
			// An alliance no member is in: found by its exact name through
			// ESI, with its ticker.
			far, err := site.Sim.Universe.Alliance(99000001)
			if err != nil {
				t.Fatal(err)
			}
			if a := lookup(t, su, "alliance", far.Name[:len(far.Name)-1], http.StatusOK); len(a.Matches) != 0 {
				t.Errorf("part of a name ESI alone knows found: %+v", a.Matches)
			}
			a = lookup(t, su, "alliance", strings.ToUpper(far.Name), http.StatusOK)
			if len(a.Matches) != 1 || a.Matches[0].ID != 99000001 || a.Matches[0].Name != far.Name || a.Matches[0].Ticker != far.Ticker {
				t.Errorf("alliance %q: %+v", far.Name, a.Matches)
			}
			// Factions, from the fixed list.
			if a := lookup(t, su, "faction", "min", http.StatusOK); len(a.Matches) != 1 || a.Matches[0].ID != 500002 {
				t.Errorf("faction: %+v", a.Matches)
			}
			// Nothing typed, nothing found; a bad kind or a long text is a 400
			// that says why.
			if a := lookup(t, su, "corporation", "", http.StatusOK); a.Matches == nil || len(a.Matches) != 0 {
				t.Errorf("empty: %+v", a)
			}
			if a := lookup(t, su, "planet", "x", http.StatusBadRequest); !strings.Contains(a.Error, "a corporation") {
				t.Errorf("bad kind: %q", a.Error)
			}
			if a := lookup(t, su, "corporation", strings.Repeat("x", 101), http.StatusBadRequest); !strings.Contains(a.Error, "100") {
				t.Errorf("long: %q", a.Error)
			}
		})
	}
}
