package evesim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A title given and a killmail recorded through the control API show on
// ESI, through a token from the simulated SSO.
func TestControlTitlesAndKillmailsReachESI(t *testing.T) {
	sim, base := startSim(t)
	var ceo, corp int32
	for _, cid := range sim.Universe.CorporationIDs() {
		if c, _ := sim.Universe.Corporation(cid); !c.NPC && c.CEOID != 0 {
			ceo, corp = c.CEOID, cid
			break
		}
	}
	post := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := post("PUT", fmt.Sprintf("/control/characters/%d/titles", ceo), `{"title_ids":[1,2]}`); res.StatusCode != 200 {
		t.Fatalf("set titles: %s", res.Status)
	}
	tok := login(t, base, ceo, []string{"esi-characters.read_titles.v1", "esi-corporations.read_titles.v1"})
	code, body := esiGet(t, base, fmt.Sprintf("/characters/%d/titles", ceo), tok.AccessToken)
	var titles []struct {
		ID int32 `json:"title_id"`
	}
	if code != 200 || json.Unmarshal(body, &titles) != nil || len(titles) != 2 || titles[0].ID != 1 || titles[1].ID != 2 {
		t.Fatalf("own titles: %d %s", code, body)
	}
	if code, body := esiGet(t, base, fmt.Sprintf("/corporations/%d/members/titles", corp), tok.AccessToken); code != 200 {
		t.Errorf("member titles as CEO: %d %s", code, body)
	}

	victim := sim.Universe.CharacterIDs()[0]
	if victim == ceo {
		victim = sim.Universe.CharacterIDs()[1]
	}
	res := post("POST", "/control/killmails", fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d]}`, victim, ceo))
	var made struct {
		ID   int64  `json:"killmail_id"`
		Hash string `json:"killmail_hash"`
	}
	if res.StatusCode != 201 || json.NewDecoder(res.Body).Decode(&made) != nil {
		t.Fatalf("add killmail: %s", res.Status)
	}
	if code, body := esiGet(t, base, fmt.Sprintf("/killmails/%d/%s", made.ID, made.Hash), ""); code != 200 ||
		!strings.Contains(string(body), fmt.Sprintf(`"character_id":%d`, ceo)) {
		t.Errorf("killmail: %d %s", code, body)
	}
	if code, _ := esiGet(t, base, fmt.Sprintf("/killmails/%d/%s", made.ID, strings.Repeat("a", 40)), ""); code != 422 {
		t.Errorf("wrong hash: %d, want 422", code)
	}
}
