package evesim

import (
	"testing"
)

// TestControlRenamesCorporationsAndAlliances: CCP renames corporations and
// alliances (name and ticker); the control API does it for tests.
func TestControlRenamesCorporationsAndAlliances(t *testing.T) {
	ts, u, _ := controlServer(t)
	var corp int32
	for _, id := range u.CorporationIDs() {
		if c, err := u.Corporation(id); err == nil && !c.NPC {
			corp = id
			break
		}
	}
	alliance := u.Alliances()[0]
	if code := call(t, ts, "POST", "/control/corporations/"+itoa(corp)+"/rename", `{"name":"Renamed Holdings","ticker":"RNMD"}`, nil); code != 200 {
		t.Fatalf("rename corporation: %d", code)
	}
	if c, _ := u.Corporation(corp); c.Name != "Renamed Holdings" || c.Ticker != "RNMD" {
		t.Errorf("corporation %q [%s]", c.Name, c.Ticker)
	}
	if code := call(t, ts, "POST", "/control/alliances/"+itoa(alliance)+"/rename", `{"name":"Renamed Coalition","ticker":"RC"}`, nil); code != 200 {
		t.Fatalf("rename alliance: %d", code)
	}
	if a, _ := u.Alliance(alliance); a.Name != "Renamed Coalition" || a.Ticker != "RC" {
		t.Errorf("alliance %q [%s]", a.Name, a.Ticker)
	}
	for _, tc := range []struct{ path, body string }{
		{"/control/corporations/" + itoa(corp) + "/rename", `{"name":"ab","ticker":"X"}`},
		{"/control/corporations/" + itoa(corp) + "/rename", `{"name":"Long Enough","ticker":"TOOLONG"}`},
		{"/control/corporations/" + itoa(corp) + "/rename", `{"name":"Long Enough","ticker":""}`},
		{"/control/corporations/1000001/rename", `{"name":"Not Doomheim","ticker":"ND"}`},
		{"/control/alliances/1/rename", `{"name":"No Such","ticker":"NS"}`},
	} {
		if code := call(t, ts, "POST", tc.path, tc.body, nil); code != 400 {
			t.Errorf("%s %s: %d, want 400", tc.path, tc.body, code)
		}
	}
}
