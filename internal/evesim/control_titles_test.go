package evesim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// playerMember gives a character of a player corporation and the
// corporation's titles.
func playerMember(t *testing.T, u *universe.Universe) (int32, []universe.Title) {
	t.Helper()
	for _, id := range u.CharacterIDs() {
		c, _ := u.Character(id)
		if titles, _ := u.Titles(c.CorporationID); len(titles) >= 3 {
			return id, titles
		}
	}
	t.Fatal("no character in a corporation with titles")
	return 0, nil
}

func TestControlTitles(t *testing.T) {
	ts, u, _ := controlServer(t)
	id, titles := playerMember(t, u)
	c, _ := u.Character(id)

	var listed []titleView
	if code := call(t, ts, "GET", fmt.Sprintf("/control/corporations/%d/titles", c.CorporationID), "", &listed); code != 200 || len(listed) != len(titles) {
		t.Fatalf("corporation titles: %d %+v", code, listed)
	}
	for i, tv := range listed {
		if tv.ID != titles[i].ID || tv.Name != titles[i].Name {
			t.Errorf("title %d: %+v, want %+v", i, tv, titles[i])
		}
	}

	path := "/control/characters/" + itoa(id) + "/titles"
	var after characterView
	body := fmt.Sprintf(`{"title_ids":[%d,%d]}`, titles[2].ID, titles[0].ID)
	if code := call(t, ts, "PUT", path, body, &after); code != 200 || !slices.Equal(after.TitleIDs, []int32{titles[0].ID, titles[2].ID}) {
		t.Fatalf("set titles: %d %+v", code, after)
	}
	if code := call(t, ts, "PUT", path, `{"title_ids":[]}`, &after); code != 200 || after.TitleIDs == nil || len(after.TitleIDs) != 0 {
		t.Fatalf("clear titles: %d %+v", code, after)
	}

	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"PUT", path, `{"title_ids":[3]}`, 400},
		{"PUT", path, fmt.Sprintf(`{"title_ids":[%d]}`, titles[len(titles)-1].ID<<1), 400},
		{"PUT", path, `{"title_ids":"1"}`, 400},
		{"PUT", path, `{"titles":[1]}`, 400},
		{"PUT", "/control/characters/1/titles", `{"title_ids":[1]}`, 404},
		{"GET", "/control/corporations/1/titles", "", 404},
		{"GET", "/control/corporations/x/titles", "", 400},
	} {
		if got := call(t, ts, tc.method, tc.path, tc.body, nil); got != tc.want {
			t.Errorf("%s %s %s: %d, want %d", tc.method, tc.path, tc.body, got, tc.want)
		}
	}
}

func TestControlKillmails(t *testing.T) {
	ts, u, _ := controlServer(t)
	ids := u.CharacterIDs()
	var made struct {
		ID   int64  `json:"killmail_id"`
		Hash string `json:"killmail_hash"`
	}
	body := fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d,%d],"ship_type_id":587,"solar_system_id":30000142}`, ids[1], ids[2], ids[3])
	if code := call(t, ts, "POST", "/control/killmails", body, &made); code != 201 || made.ID == 0 || len(made.Hash) != 40 {
		t.Fatalf("add killmail: %d %+v", code, made)
	}
	k, err := u.Killmail(made.ID)
	if err != nil || k.Hash != made.Hash || k.Victim.CharacterID != ids[1] || k.Victim.ShipTypeID != 587 || len(k.Attackers) != 2 {
		t.Fatalf("killmail %+v: %v", k, err)
	}
	var listed []killmailView
	if code := call(t, ts, "GET", "/control/killmails", "", &listed); code != 200 || len(listed) != len(u.KillmailIDs()) {
		t.Fatalf("list: %d, %d killmails", code, len(listed))
	}
	if last := listed[len(listed)-1]; last.ID != made.ID || last.Hash != made.Hash || last.VictimID != ids[1] {
		t.Errorf("last listed %+v, want the new killmail", last)
	}

	if err := u.Biomass(ids[9]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body string
		want int
	}{
		{fmt.Sprintf(`{"attacker_ids":[%d]}`, ids[2]), 400},
		{fmt.Sprintf(`{"victim_id":%d}`, ids[1]), 400},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d]}`, ids[1], ids[1]), 400},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d],"ship_type_id":1}`, ids[1], ids[2]), 400},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d],"solar_system_id":1}`, ids[1], ids[2]), 400},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d],"extra":1}`, ids[1], ids[2]), 400},
		{fmt.Sprintf(`{"victim_id":1,"attacker_ids":[%d]}`, ids[2]), 404},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[1]}`, ids[1]), 404},
		{fmt.Sprintf(`{"victim_id":%d,"attacker_ids":[%d]}`, ids[9], ids[2]), 409},
		{`{"victim_id":`, 400},
	} {
		if got := call(t, ts, "POST", "/control/killmails", tc.body, nil); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.body, got, tc.want)
		}
	}
}
