package murmur

import (
	"errors"
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

// TestMurmurdLiveUsers drives getUsers, hasPermission, the temporary
// groups and kickUser with real clients connected: Alice logs in through
// the Go authenticator, which puts her in the group "members"; Bob is a
// guest. A channel's ACL lets only "members" enter.
func TestMurmurdLiveUsers(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	auth := &testAuth{users: map[string]testUser{
		"Alice_Pilot": {id: 1000000001, pw: "s3cret", display: "[CORP] Alice Pilot", groups: []string{"members"}},
	}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, ModuleMurmur, srv.Secret, auth)); err != nil {
		t.Fatal(err)
	}
	ch, err := s.AddChannel(ctx, "Members", 0)
	if err != nil {
		t.Fatal(err)
	}
	acls := []ACL{
		{ApplyHere: true, ApplySubs: true, UserID: -1, Group: "all", Deny: PermissionEnter},
		{ApplyHere: true, ApplySubs: true, UserID: -1, Group: "members", Allow: PermissionEnter},
	}
	if err := s.SetACL(ctx, ch, acls, nil, true); err != nil {
		t.Fatal(err)
	}
	gotACLs, _, inherit, err := s.GetACL(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	own := slices.DeleteFunc(gotACLs, func(a ACL) bool { return a.Inherited })
	if !inherit || !slices.EqualFunc(own, acls, func(a, b ACL) bool { return a == b }) {
		t.Errorf("GetACL = %+v, inherit %v; want %+v", own, inherit, acls)
	}

	if _, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Alice_Pilot", "wrong"); !isReject(err, mumbletest.RejectWrongUserPW) {
		t.Errorf("wrong password: %v, want WrongUserPW", err)
	}
	alice, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Alice_Pilot", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	bob, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Bob", "")
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]User{}
	for _, u := range users {
		byName[u.Name] = u
	}
	a, b := byName["[CORP] Alice Pilot"], byName["Bob"]
	if a.Session != alice.Session() || a.UserID != 1000000001 || a.Channel != 0 || a.Release == "" {
		t.Errorf("Alice in getUsers: %+v (session %d)", a, alice.Session())
	}
	if b.Session != bob.Session() || b.UserID != -1 {
		t.Errorf("Bob in getUsers: %+v (session %d)", b, bob.Session())
	}

	can := func(session int) bool {
		t.Helper()
		ok, err := s.HasPermission(ctx, session, ch, PermissionEnter)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !can(alice.Session()) || can(bob.Session()) {
		t.Errorf("Enter: Alice %v, Bob %v; want the authenticator's group to admit Alice only", can(alice.Session()), can(bob.Session()))
	}
	if err := s.AddUserToGroup(ctx, 0, bob.Session(), "members"); err != nil {
		t.Fatal(err)
	}
	if !can(bob.Session()) {
		t.Error("AddUserToGroup did not admit Bob")
	}
	if err := s.RemoveUserFromGroup(ctx, 0, bob.Session(), "members"); err != nil {
		t.Fatal(err)
	}
	if can(bob.Session()) {
		t.Error("RemoveUserFromGroup did not take Bob's group away")
	}
	// murmurd records the authenticator's groups for the user id as well
	// as the session (Server::setTempGroups) and removeUserFromGroup
	// removes only the session's entry, so a group given at login stays
	// until the next login: revoking it takes a kick.
	if err := s.RemoveUserFromGroup(ctx, 0, alice.Session(), "members"); err != nil {
		t.Fatal(err)
	}
	if !can(alice.Session()) {
		t.Error("removeUserFromGroup took away a group the authenticator gave: murmurd changed, update the docs")
	}
	if err := s.AddUserToGroup(ctx, 0, bob.Session(), "members"); err != nil {
		t.Fatal(err)
	}
	// And the server lets Bob in for real.
	if err := bob.MoveTo(ch); err != nil {
		t.Fatal(err)
	}
	inChannel := func(c *mumbletest.Client) bool { u, _ := c.User(c.Session()); return u.ChannelID == ch }
	if err := bob.Wait(ctx, inChannel); err != nil {
		t.Fatal(err)
	}

	if err := s.Kick(ctx, bob.Session(), "revoked"); err != nil {
		t.Fatal(err)
	}
	k := <-bob.Kicked()
	if k.Removed == nil || k.Removed.Reason != "revoked" {
		t.Errorf("Bob's kick: %+v", k)
	}
	<-bob.Done() // murmurd closes the connection after the UserRemove
	select {
	case k := <-bob.Kicked():
		t.Errorf("a second kick reported: %+v", k)
	default:
	}
	if err := s.Kick(ctx, 99999, "x"); !errors.Is(err, ErrInvalidSession) {
		t.Errorf("Kick of no session: %v, want ErrInvalidSession", err)
	}
	if _, err := s.HasPermission(ctx, alice.Session(), 4242, PermissionEnter); !errors.Is(err, ErrInvalidChannel) {
		t.Errorf("HasPermission in no channel: %v, want ErrInvalidChannel", err)
	}
}

func isReject(err error, want mumbletest.RejectType) bool {
	var r *mumbletest.RejectError
	return errors.As(err, &r) && r.Type == want
}

// TestMurmurdForceExternalAuth records what forceExternalAuth does, and
// does not do, with real logins: without an authenticator (none
// registered, or dropped after a failure) every login is refused as
// AuthenticatorFail instead of falling back to murmurd's own database; a
// name the authenticator calls unknown (-2) still falls through, and
// connects as an unregistered guest, so an authenticator that must keep
// strangers out answers -1, not -2. And a quirk of murmurd 1.3.4: a name
// refused as -3 is written to its own users table under the id -3
// (Server::authenticate stores any result but -1 and -2), so that name is
// afterwards refused as WrongUserPW whenever the authenticator falls
// through for it.
func TestMurmurdForceExternalAuth(t *testing.T) {
	srv := mumbletest.Start(t, mumbletest.Options{})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetConf(ctx, "forceExternalAuth", "true"); err != nil {
		t.Fatal(err)
	}
	if _, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Passerby", ""); !isReject(err, mumbletest.RejectAuthenticatorFail) {
		t.Errorf("login without an authenticator: %v, want AuthenticatorFail", err)
	}

	auth := &testAuth{users: map[string]testUser{"Alice_Pilot": {id: 42, pw: "s3cret"}}}
	if err := s.SetAuthenticator(ctx, serveAuthenticator(t, ModuleMurmur, srv.Secret, auth)); err != nil {
		t.Fatal(err)
	}
	if _, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Passerby", ""); !isReject(err, mumbletest.RejectWrongUserPW) {
		t.Errorf("a name once refused as -3: %v, want WrongUserPW (murmurd 1.3.4 keeps it)", err)
	}
	guest, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Guest", "")
	if err != nil {
		t.Fatalf("a name the authenticator does not know: %v, want a guest login", err)
	}
	defer guest.Close()
	if u, _ := guest.User(guest.Session()); u.UserID != -1 {
		t.Errorf("guest user id %d, want -1 (unregistered)", u.UserID)
	}
	if _, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Alice_Pilot", "nope"); !isReject(err, mumbletest.RejectWrongUserPW) {
		t.Errorf("wrong password: %v, want WrongUserPW", err)
	}
	alice, err := mumbletest.Connect(ctx, srv.VoiceAddr, "Alice_Pilot", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	alice.Close()
}
