package sso

import (
	"net/http"
	"testing"
)

// A refresh token issued without the flow refreshes like a login's; after
// a transfer that keeps tokens it refreshes into the new owner's, after a
// plain transfer it is dead.
func TestIssuedRefreshTokenAndTransfers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	kept, killed := e.someCharacter(t, 50), e.someCharacter(t, 51)
	refreshed := func(id int32, rt string) string {
		t.Helper()
		tr, resp, body := e.refresh(t, rt)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %s", resp.StatusCode, body)
		}
		at, err := e.srv.VerifyAccessToken(tr.AccessToken)
		c, _ := e.u.Character(id)
		if err != nil || at.CharacterID != id || at.Owner != e.u.OwnerHash(c) || len(at.Scopes) != 1 {
			t.Fatalf("refreshed token: %+v %v", at, err)
		}
		return tr.RefreshToken
	}
	rts := map[int32]string{}
	for _, id := range []int32{kept.ID, killed.ID} {
		rt, err := e.srv.IssueRefreshToken(confidentialID, id, []string{"publicData"})
		if err != nil {
			t.Fatal(err)
		}
		rts[id] = refreshed(id, rt)
	}
	if _, err := e.u.TransferKeepingTokens(kept.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.u.TransferCharacter(killed.ID, 0); err != nil {
		t.Fatal(err)
	}
	refreshed(kept.ID, rts[kept.ID]) // names the new owner
	if after, _ := e.u.Character(kept.ID); e.u.OwnerHash(after) == e.u.OwnerHash(kept) {
		t.Error("a transfer keeping tokens kept the owner hash")
	}
	_, resp, body := e.refresh(t, rts[killed.ID])
	wantOAuthError(t, resp, body, http.StatusBadRequest, "invalid_grant")

	if _, err := e.srv.IssueRefreshToken("no-such-client", kept.ID, nil); err == nil {
		t.Error("a token issued for an unknown client")
	}
	if _, err := e.srv.IssueRefreshToken(confidentialID, 1, nil); err == nil {
		t.Error("a token issued for an unknown character")
	}
}
