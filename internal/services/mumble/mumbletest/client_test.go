package mumbletest

import (
	"errors"
	"testing"
)

func TestConnectAndSeeOthers(t *testing.T) {
	srv := Start(t, Options{})
	ctx := t.Context()
	alice, err := Connect(ctx, srv.VoiceAddr, "Alice", "")
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	if alice.Session() <= 0 {
		t.Fatalf("session %d", alice.Session())
	}
	if u, ok := alice.User(alice.Session()); !ok || u.Name != "Alice" || u.UserID != -1 {
		t.Errorf("own state %+v, %v; want Alice, unregistered", u, ok)
	}

	bob, err := Connect(ctx, srv.VoiceAddr, "Bob", "")
	if err != nil {
		t.Fatal(err)
	}
	seesBob := func(c *Client) bool { u, ok := c.User(bob.Session()); return ok && u.Name == "Bob" }
	if err := alice.Wait(ctx, seesBob); err != nil {
		t.Fatal(err)
	}
	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	bobGone := func(c *Client) bool {
		for _, r := range c.Removed() {
			if r.Session == bob.Session() {
				return true
			}
		}
		return false
	}
	if err := alice.Wait(ctx, bobGone); err != nil {
		t.Fatal(err)
	}
	if _, ok := alice.User(bob.Session()); ok {
		t.Error("Bob is still listed after his UserRemove")
	}

	// A second login under the same name from the same address replaces
	// the first, which murmurd disconnects.
	alice2, err := Connect(ctx, srv.VoiceAddr, "Alice", "")
	if err != nil {
		t.Fatalf("second Alice: %v", err)
	}
	defer alice2.Close()
	k := <-alice.Kicked()
	t.Logf("replaced: %+v", k)
	if k.Removed == nil && k.Err == nil {
		t.Errorf("Kicked = %+v", k)
	}
}

func isReject(err error, want RejectType) bool {
	var r *RejectError
	return errors.As(err, &r) && r.Type == want
}

func TestServerPassword(t *testing.T) {
	srv := Start(t, Options{ServerPassword: "letmein"})
	ctx := t.Context()
	if _, err := Connect(ctx, srv.VoiceAddr, "Carol", "nope"); !isReject(err, RejectWrongServerPW) {
		t.Errorf("wrong server password: %v, want WrongServerPW", err)
	}
	c, err := Connect(ctx, srv.VoiceAddr, "Carol", "letmein")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestKickedWhenServerStops(t *testing.T) {
	srv := Start(t, Options{})
	c, err := Connect(t.Context(), srv.VoiceAddr, "Dave", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Restart(t)
	k := <-c.Kicked()
	if k.Removed != nil || k.Err == nil {
		t.Errorf("Kicked = %+v, want the connection's end", k)
	}
	// The restarted server takes logins again.
	c2, err := Connect(t.Context(), srv.VoiceAddr, "Dave", "")
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

func TestCloseDoesNotReportKick(t *testing.T) {
	srv := Start(t, Options{})
	c, err := Connect(t.Context(), srv.VoiceAddr, "Erin", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-c.Kicked():
		t.Errorf("Kicked after Close: %+v", k)
	default:
	}
}
