package esi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

func TestUniverseNamesAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	var got []nameEntry
	f.do("POST", "/universe/names", "", []int64{int64(c.member), int64(c.corp), int64(c.alliance), 500001, 30000142, 587, 60003760}).want(t, 200).json(t, &got)
	cats := make([]string, len(got))
	for i, e := range got {
		cats[i] = e.Category
		if e.Name == "" {
			t.Errorf("%d: empty name", e.ID)
		}
	}
	if want := "character corporation alliance faction solar_system inventory_type station"; strings.Join(cats, " ") != want {
		t.Errorf("categories %v, want %s", cats, want)
	}
	f.do("POST", "/universe/names", "", []int64{int64(c.member), 1}).want(t, 404)
	f.do("POST", "/universe/names", "", []int64{int64(c.member), 1 << 40}).want(t, 404)
}

func TestBiomassedCharacter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	if err := f.u.Biomass(c.member); err != nil {
		t.Fatal(err)
	}
	var detail map[string]any
	f.do("GET", fmt.Sprintf("/characters/%d", c.member), "", nil).want(t, 200).json(t, &detail)
	if detail["corporation_id"] != float64(universe.Doomheim) {
		t.Errorf("corporation_id %v, want Doomheim", detail["corporation_id"])
	}
	if _, ok := detail["alliance_id"]; ok {
		t.Errorf("biomassed character keeps alliance %v", detail["alliance_id"])
	}
	var aff []affiliationEntry
	f.do("POST", "/characters/affiliation", "", []int32{c.member, c.director}).want(t, 200).json(t, &aff)
	if len(aff) != 2 {
		t.Fatalf("affiliation %+v: want the two characters", aff)
	}
	if aff[0].CharacterID != c.member || aff[0].CorporationID != universe.Doomheim || aff[0].AllianceID != 0 {
		t.Errorf("biomassed affiliation %+v", aff[0])
	}
	if aff[1].CorporationID != c.corp {
		t.Errorf("director affiliation %+v, want corporation %d", aff[1], c.corp)
	}
	f.do("POST", "/characters/affiliation", "", []int32{12345}).want(t, 404)
}

// TestCorporationHistory: a character's history lists the corporation it
// was generated in, then each move, the newest first with increasing
// record ids; biomassing moves it to Doomheim, the last record.
func TestCorporationHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	var before []corporationRecord
	f.do("GET", fmt.Sprintf("/characters/%d/corporationhistory", c.member), "", nil).want(t, 200).json(t, &before)
	if len(before) != 1 || before[0].CorporationID != c.corp || before[0].StartDate.IsZero() {
		t.Fatalf("history of a generated character: %+v", before)
	}
	if err := f.u.Biomass(c.member); err != nil {
		t.Fatal(err)
	}
	var after []corporationRecord
	f.do("GET", fmt.Sprintf("/characters/%d/corporationhistory", c.member), "", nil).want(t, 200).json(t, &after)
	if len(after) != 2 || after[0].CorporationID != universe.Doomheim || after[1] != before[0] || after[0].RecordID <= after[1].RecordID {
		t.Errorf("history after biomass: %+v, before %+v", after, before)
	}
}

// TestAffiliationAllOrNothing: one id that is not a character (unknown, a
// corporation, beyond int32) makes ESI refuse the whole request with 404,
// as Tranquility does (esi/esi-issues#719), not leave the id out.
func TestAffiliationAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	for _, bad := range []int64{12345, int64(c.corp), int64(c.alliance), 1 << 40} {
		got := f.do("POST", "/characters/affiliation", "", []int64{int64(c.member), bad, int64(c.director)})
		got.want(t, 404)
		if msg := got.errorText(t); msg == "" {
			t.Errorf("%d: no error message", bad)
		}
	}
	f.do("POST", "/characters/affiliation", "", []int64{int64(c.member), int64(c.director)}).want(t, 200)
}

func TestBulkBodyLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ids := f.u.CharacterIDs()
	thousand := make([]int64, 1000)
	for i := range thousand {
		thousand[i] = int64(ids[i%len(ids)])
		if i >= len(ids) {
			thousand[i] = 1<<40 + int64(i) // distinct, unknown
		}
	}
	for _, path := range []string{"/characters/affiliation", "/universe/names"} {
		t.Run(path, func(t *testing.T) {
			f.do("POST", path, "", append(thousand, 5)).want(t, 400)
			f.do("POST", path, "", []int64{}).want(t, 400)
			f.do("POST", path, "", "{").want(t, 400)
			f.do("POST", path, "", `{"ids":[1]}`).want(t, 400)
			f.do("POST", path, "", `[1] [2]`).want(t, 400)
			f.do("POST", path, "", []int64{int64(ids[0]), int64(ids[0])}).want(t, 400)
		})
	}
	// A thousand ids are accepted; the unknown among them make it a 404.
	f.do("POST", "/characters/affiliation", "", thousand).want(t, 404)
	var aff []affiliationEntry
	f.do("POST", "/characters/affiliation", "", thousand[:len(ids)]).want(t, 200).json(t, &aff)
	if len(aff) != len(ids) {
		t.Errorf("%d affiliations, want %d", len(aff), len(ids))
	}
}

func TestCompatibilityDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		value string
		want  int
	}{
		{"", 200}, // missing: served as the oldest date
		{CompatibilityDate, 200},
		{"2020-01-01", 200},
		{"2026-09-01", 200}, // today on the test clock
		{"2026-09-02", 400}, // tomorrow
		{"18/08/2026", 400},
		{"2026-08-18T00:00:00Z", 400},
	} {
		req := f.newRequest("GET", "/alliances", "", nil)
		if tc.value == "" {
			req.Header.Del("X-Compatibility-Date")
		} else {
			req.Header.Set("X-Compatibility-Date", tc.value)
		}
		got := f.send(req)
		if got.status != tc.want {
			t.Errorf("%q: status %d, want %d", tc.value, got.status, tc.want)
		}
		if got.status == 400 {
			got.errorText(t)
		}
	}
}

func TestNotFoundAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, path := range []string{"/characters/1", "/corporations/1", "/alliances/1", "/alliances/1/corporations",
		"/universe/systems/1", "/universe/types/1", "/no/such/route", "/characters/9000000000"} {
		got := f.do("GET", path, "", nil).want(t, 404)
		if msg := got.errorText(t); !strings.Contains(strings.ToLower(msg), "not found") {
			t.Errorf("%s: error %q", path, msg)
		}
	}
}

func TestWrongMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got := f.do("DELETE", "/status", "", nil).want(t, 405)
	if got.header.Get("Allow") != "GET" || got.errorText(t) != "Method not allowed" {
		t.Errorf("405 %v %s", got.header, got.body)
	}
	got = f.do("GET", "/universe/names", "", nil).want(t, 405)
	if got.header.Get("Allow") != "POST" {
		t.Errorf("Allow %q, want POST", got.header.Get("Allow"))
	}
	if got.header.Get("X-ESI-Error-Limit-Remain") != "98" {
		t.Errorf("405s do not count against the error limit: %v", got.header)
	}
}

func TestSendMail(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	tok := f.token(c.director, "esi-mail.send_mail.v1")
	path := fmt.Sprintf("/characters/%d/mail", c.director)
	rcpt := []map[string]any{{"recipient_id": c.member, "recipient_type": "character"}}
	got := f.do("POST", path, tok, map[string]any{"recipients": rcpt, "subject": "Fleet", "body": "Now", "approved_cost": 0}).want(t, 201)
	var id int32
	got.json(t, &id)
	if !bytes.Equal(bytes.TrimSpace(got.body), []byte(fmt.Sprint(id))) {
		t.Errorf("body %q is not a bare integer", got.body)
	}
	f.clock.Advance(time.Minute)
	f.do("POST", path, tok, map[string]any{"recipients": rcpt, "subject": "Again", "body": ""}).want(t, 201)
	mails := f.srv.SentMails()
	if len(mails) != 2 || mails[0].ID != id || mails[1].ID == id {
		t.Fatalf("sent mails %+v", mails)
	}
	m := mails[0]
	if m.From != c.director || m.Subject != "Fleet" || m.Body != "Now" || !m.Sent.Equal(testStart) ||
		len(m.Recipients) != 1 || m.Recipients[0] != (Recipient{ID: c.member, Type: "character"}) {
		t.Errorf("stored mail %+v", m)
	}

	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = rcpt[0]
	}
	for name, body := range map[string]any{
		"no body":         map[string]any{"recipients": rcpt, "subject": "x"},
		"no subject":      map[string]any{"recipients": rcpt, "body": "x"},
		"no recipients":   map[string]any{"subject": "x", "body": "x"},
		"zero recipients": map[string]any{"recipients": []any{}, "subject": "x", "body": "x"},
		"51 recipients":   map[string]any{"recipients": many, "subject": "x", "body": "x"},
		"bad type":        map[string]any{"recipients": []map[string]any{{"recipient_id": 1, "recipient_type": "fleet"}}, "subject": "x", "body": "x"},
		"no id":           map[string]any{"recipients": []map[string]any{{"recipient_type": "character"}}, "subject": "x", "body": "x"},
		"long subject":    map[string]any{"recipients": rcpt, "subject": strings.Repeat("s", 1001), "body": "x"},
		"long body":       map[string]any{"recipients": rcpt, "subject": "x", "body": strings.Repeat("b", 10001)},
		"not json":        "{",
	} {
		if got := f.do("POST", path, tok, body); got.status != 400 {
			t.Errorf("%s: status %d, want 400", name, got.status)
		}
	}
	if n := len(f.srv.SentMails()); n != 2 {
		t.Errorf("%d mails stored after rejected sends, want 2", n)
	}
	f.do("POST", fmt.Sprintf("/characters/%d/mail", c.member), tok, map[string]any{"recipients": rcpt, "subject": "x", "body": "x"}).want(t, 403)
}

// FuzzParseIDs feeds the bulk-body parser untrusted bytes: it must never
// panic, and what it accepts must be 1 to limit distinct ids that encode
// back to an equivalent array.
func FuzzParseIDs(f *testing.F) {
	for _, seed := range []string{"[1,2,3]", "[]", "[1,1]", "{}", "[1] [2]", "[9223372036854775808]", "[-1, 0]", " [ 5 ] ", "[1.5]", "null"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ids, err := parseIDs(bytes.NewReader(body), 10)
		if err != nil {
			return
		}
		if len(ids) < 1 || len(ids) > 10 {
			t.Fatalf("%q gave %d ids", body, len(ids))
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%q gave repeated id %d", body, id)
			}
			seen[id] = true
		}
		var again []int64
		if err := json.Unmarshal(body, &again); err != nil || len(again) != len(ids) {
			t.Fatalf("%q accepted but not a JSON array of %d ids: %v", body, len(ids), err)
		}
	})
}

// FuzzParseMail feeds the send-mail parser untrusted bytes: it must never
// panic, and what it accepts must satisfy the spec's schema.
func FuzzParseMail(f *testing.F) {
	for _, seed := range []string{
		`{"recipients":[{"recipient_id":1,"recipient_type":"character"}],"subject":"s","body":"b"}`,
		`{"recipients":[],"subject":"s","body":"b"}`, `{"recipients":[{}],"subject":"s","body":"b"}`,
		`{"subject":"s"}`, `[]`, `null`, `{"recipients":null,"subject":"","body":""}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := parseMail(bytes.NewReader(body))
		if err != nil {
			return
		}
		if m.Body == nil || m.Subject == nil || len(m.Recipients) < 1 || len(m.Recipients) > 50 || m.ApprovedCost < 0 {
			t.Fatalf("%q accepted as %+v", body, m)
		}
		for _, r := range m.Recipients {
			if r.RecipientID == nil || r.RecipientType == nil || *r.RecipientID < 1 || !slices.Contains(recipientTypes, *r.RecipientType) {
				t.Fatalf("%q accepted with recipient %+v", body, r)
			}
		}
	})
}

func TestUniverseIDsExactNamesWithoutCase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.cast()
	member, err := f.u.Character(c.member)
	if err != nil {
		t.Fatal(err)
	}
	corp, err := f.u.Corporation(c.corp)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string][]idEntry
	f.do("POST", "/universe/ids", "", []string{strings.ToUpper(member.Name), corp.Name, "Caldari State", corp.Name[:3], "Nobody At All"}).
		want(t, 200).json(t, &got)
	want := map[string][]idEntry{
		"characters":   {{int64(c.member), member.Name}},
		"corporations": {{int64(c.corp), corp.Name}},
		"factions":     {{500001, "Caldari State"}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v (a prefix and an unknown name left out)", got, want)
	}
	var none map[string][]idEntry
	f.do("POST", "/universe/ids", "", []string{"Nobody At All"}).want(t, 200).json(t, &none)
	if len(none) != 0 {
		t.Errorf("no match: %v, want {}", none)
	}
	for _, body := range []any{[]string{}, []string{""}, []string{strings.Repeat("é", 101)}, []string{"a", "a"}, []int{1}, "[\"a\""} {
		f.do("POST", "/universe/ids", "", body).want(t, 400)
	}
	ok := make([]string, 500)
	for i := range ok {
		ok[i] = fmt.Sprintf("Name %d", i)
	}
	f.do("POST", "/universe/ids", "", ok).want(t, 200)
	f.do("POST", "/universe/ids", "", append(ok, "one more")).want(t, 400)
}

// FuzzParseNames feeds the POST /universe/ids body parser untrusted bytes:
// what it accepts is a JSON array of 1 to 500 distinct names of 1 to 100
// characters, as the spec's schema says.
func FuzzParseNames(f *testing.F) {
	for _, seed := range []string{`["Jita"]`, `[]`, `["a","a"]`, `[""]`, `{}`, `["a"] ["b"]`, `[1]`, `null`, `["\u00e9"]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		names, err := parseNames(bytes.NewReader(body))
		if err != nil {
			return
		}
		if len(names) < 1 || len(names) > maxIDNames {
			t.Fatalf("%q gave %d names", body, len(names))
		}
		seen := map[string]bool{}
		for _, n := range names {
			if l := len([]rune(n)); l < 1 || l > maxNameRunes || seen[n] {
				t.Fatalf("%q gave name %q", body, n)
			}
			seen[n] = true
		}
	})
}
