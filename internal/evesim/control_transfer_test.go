package evesim

import "testing"

// A transfer with keep_tokens changes the owner but leaves the refresh
// tokens' generation alone; a plain one moves it on.
func TestControlTransferKeepingTokens(t *testing.T) {
	ts, u, _ := controlServer(t)
	kept, killed := u.CharacterIDs()[7], u.CharacterIDs()[8]
	for _, tc := range []struct {
		id   int32
		body string
		dies bool
	}{{kept, `{"keep_tokens":true}`, false}, {killed, `{}`, true}} {
		before, _ := u.Character(tc.id)
		var view characterView
		if code := call(t, ts, "POST", "/control/characters/"+itoa(tc.id)+"/transfer", tc.body, &view); code != 200 || view.OwnerHash == u.OwnerHash(before) {
			t.Fatalf("transfer %s: %d %+v", tc.body, code, view)
		}
		after, _ := u.Character(tc.id)
		if dies := after.TokenGeneration != before.TokenGeneration; dies != tc.dies {
			t.Errorf("transfer %s: tokens die %t, want %t", tc.body, dies, tc.dies)
		}
	}
}
