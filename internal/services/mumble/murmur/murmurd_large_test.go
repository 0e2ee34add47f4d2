package murmur

import (
	"fmt"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/services/mumble/mumbletest"
)

// TestMurmurdUsersWithLargeComments: getUsers carries each user's whole
// comment, which murmurd allows up to 128 KiB with images, so a busy
// server's answer runs to megabytes and must be read whole.
func TestMurmurdUsersWithLargeComments(t *testing.T) {
	const commentSize = 200_000
	srv := mumbletest.Start(t, mumbletest.Options{Ini: []string{"textmessagelength=0", "imagemessagelength=0"}})
	ctx := t.Context()
	s, err := dialMurmurd(t, srv).Server(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	const clients = 8 // 1.6 MB of comments
	comment := strings.Repeat("x", commentSize)
	for i := range clients {
		c, err := mumbletest.Connect(ctx, srv.VoiceAddr, fmt.Sprintf("User%d", i), "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetComment(comment); err != nil {
			t.Fatal(err)
		}
		// murmurd confirms a long comment with its hash.
		commented := func(c *mumbletest.Client) bool {
			u, _ := c.User(c.Session())
			return u.CommentHash != "" || len(c.Denied()) > 0
		}
		if err := c.Wait(ctx, commented); err != nil {
			t.Fatal(err)
		}
		if d := c.Denied(); len(d) > 0 {
			t.Fatalf("comment refused: %+v", d)
		}
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != clients {
		t.Fatalf("%d users, want %d", len(users), clients)
	}
	for _, u := range users {
		if u.Comment != comment {
			t.Errorf("%s's comment has %d bytes, want %d", u.Name, len(u.Comment), commentSize)
		}
	}
}
