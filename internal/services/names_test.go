package services

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormatAppliesAllianceAuthsPlaceholders(t *testing.T) {
	member := Identity{Username: "Ayla Sol", CharacterName: "Ayla Sol", CharacterID: 90000001, CorpName: "Keepers", CorpID: 98000001,
		CorpTicker: "KEEP", AllianceName: "Star Union", AllianceID: 99000001, AllianceTicker: "STAR"}
	loner := Identity{Username: "Bo", CharacterName: "Bo", CharacterID: 90000002, CorpName: "Bo Inc", CorpID: 98000002, CorpTicker: "BOI"}
	for _, c := range []struct {
		format string
		id     Identity
		want   string
	}{
		{"[{corp_ticker}] {character_name}", member, "[KEEP] Ayla Sol"},
		{"{alliance_or_corp_ticker} {character_name}", member, "STAR Ayla Sol"},
		{"{alliance_or_corp_ticker} {character_name}", loner, "BOI Bo"},
		{"{alliance_or_corp_name}", loner, "Bo Inc"},
		{"{alliance_ticker} {character_name}", loner, "Bo"}, // no alliance: empty, trimmed
		{"{character_id}/{corp_id}/{alliance_id}", member, "90000001/98000001/99000001"},
		{"{alliance_id}", loner, ""},
		{"{{{corp_ticker}}} {username}", member, "{KEEP} Ayla Sol"},
		{"{character_name:.4}", member, "Ayla"},
		{"{corp_name:.0}x", member, "x"},
		{"  {character_name}  ", member, "Ayla Sol"},
	} {
		got, err := Format(c.format, c.id)
		if err != nil || got != c.want {
			t.Errorf("Format(%q) = %q, %v; want %q", c.format, got, err, c.want)
		}
	}
	for _, bad := range []string{"{nope}", "{character_name", "}", "{corp_ticker:>10}", "{corp_ticker:.x}", "{corp_ticker:.-1}"} {
		if err := CheckFormat(bad); err == nil {
			t.Errorf("CheckFormat(%q) accepted it", bad)
		}
	}
}

func FuzzFormat(f *testing.F) {
	for _, s := range []string{"[{corp_ticker}] {character_name}", "{{}}", "{character_name:.3}", "{", "}}{", "{:}", "ä{corp_name}ö"} {
		f.Add(s)
	}
	id := Identity{CharacterName: "Ayla Sol", CorpTicker: "KEEP", AllianceTicker: "STAR", AllianceID: 1}
	f.Fuzz(func(t *testing.T, format string) {
		got, err := Format(format, id)
		if err != nil {
			return
		}
		if got != strings.TrimSpace(got) {
			t.Errorf("Format(%q) = %q: not trimmed", format, got)
		}
		if utf8.ValidString(format) && !utf8.ValidString(got) {
			t.Errorf("Format(%q) = %q: valid text made invalid", format, got)
		}
	})
}

func TestWantMapsGroupsByNameOrExplicitlyAndKeepsWhatIsNotManaged(t *testing.T) {
	f := facts{active: true, stateID: 2, stateName: "Member", identity: Identity{CharacterName: "Ayla Sol", CorpTicker: "KEEP"},
		groups: []namedGroup{{1, "Fleet"}, {2, "Social"}, {3, "Leadership"}}, permissions: map[string]bool{"services.chat.access": true}}
	v := vocabulary{reserved: []string{"Nitro"}, states: []string{"Guest", "Member"}}
	typ := Type{Capabilities: Capabilities{Groups: true}, Sanitize: func(s string) string { return strings.ToUpper(s) }}
	byName := Instance{Slug: "chat", MapByName: true, StateAsGroup: true, Maps: map[int64]string{2: "", 3: "Leaders"},
		StateFormats: map[int64]string{2: "{corp_ticker} {character_name}"}, Unmanaged: []string{"Friends"}}
	w, err := f.want(byName, typ, v)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "KEEP AYLA SOL" {
		t.Errorf("name %q: the state's format, sanitised, is not applied", w.Name)
	}
	if strings.Join(w.Groups, ",") != "Fleet,Leaders,Member" {
		t.Errorf("groups by name %q, want Fleet (by name), Leaders (mapped), Member (the state); Social mapped to none", w.Groups)
	}
	for g, keep := range map[string]bool{"nitro": true, "friends": true, "Fleet": false, "Anything": false} {
		if w.Keep(g) != keep {
			t.Errorf("by name: Keep(%q) = %v", g, w.Keep(g))
		}
	}
	explicit := byName
	explicit.MapByName = false
	w, _ = f.want(explicit, typ, v)
	if strings.Join(w.Groups, ",") != "Leaders,Member" {
		t.Errorf("explicit groups %q, want Leaders and the state", w.Groups)
	}
	for g, keep := range map[string]bool{"Leaders": false, "Member": false, "Guest": false, "Fleet": true, "Anything": true} {
		if w.Keep(g) != keep {
			t.Errorf("explicit: Keep(%q) = %v", g, w.Keep(g))
		}
	}
	if !f.allowed(Instance{Slug: "chat"}) || f.allowed(Instance{Slug: "voice"}) {
		t.Error("allowed does not follow the instance's permission")
	}
	f.active = false
	if f.allowed(Instance{Slug: "chat"}) {
		t.Error("a deactivated account is allowed")
	}
}
