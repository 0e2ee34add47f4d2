package ejabberdtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/services/xmpp/ejabberdtest"
)

// A client logs in with the password the API set, is refused with
// another, and receives a message the API sends.
func TestClientLogsInAndReceives(t *testing.T) {
	s := ejabberdtest.Start(t, ejabberdtest.Options{})
	post := func(cmd, body string) {
		t.Helper()
		resp, err := http.Post(s.APIURL+"/"+cmd, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("register", `{"user":"bob","host":"keepstar.test","password":"secret"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := ejabberdtest.Login(ctx, s.C2SAddr, "bob@keepstar.test", "wrong"); err == nil {
		t.Error("a wrong password logged in")
	}
	c, err := ejabberdtest.Login(ctx, s.C2SAddr, "bob@keepstar.test", "secret")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(200 * time.Millisecond)
	post("send_message", `{"type":"chat","from":"pings@keepstar.test","to":"bob@keepstar.test","subject":"","body":"hello"}`)
	select {
	case m := <-c.Messages():
		if m.Body != "hello" {
			t.Errorf("message %+v", m)
		}
	case <-c.Done():
		t.Fatalf("session ended: %v", c.Err())
	case <-ctx.Done():
		t.Fatalf("no message:\n%s", s.Log())
	}
}
