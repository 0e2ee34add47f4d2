package accounts

import (
	"errors"
	"testing"

	"github.com/keepstar/keepstar/internal/feature"
)

// The cards of a feature stand for its menu entry; when some cards could
// not be read, only an entry that a card read leads under loses its plain
// card, so that the dashboard still leads to a feature whose cards failed.
func TestCardsStandForTheirMenuEntries(t *testing.T) {
	cardsFor := func(path string) bool { return path == "/services" || path == "/apps/x" }
	cs := []feature.Card{{Path: "/services#service-chat"}, {Path: "/services/comms/link?x=1"}}
	for _, tc := range []struct {
		err  error
		path string
		want bool
	}{
		{nil, "/services", true},
		{nil, "/apps/x", true},
		{nil, "/other", false},
		{errors.New("down"), "/services", true},
		{errors.New("down"), "/apps/x", false},
	} {
		if got := carded(cardsFor, cs, tc.err)(tc.path); got != tc.want {
			t.Errorf("error %v, %s: %v, want %v", tc.err, tc.path, got, tc.want)
		}
	}
	if carded(nil, cs, nil)("/services") {
		t.Error("no CardsFor, yet an entry is carded")
	}
	for card, want := range map[string]bool{"/services": true, "/services/": true, "/services/a/link": true, "/services#x": true,
		"/services?x": true, "/servicesx": false, "/": false} {
		if got := under(card, "/services"); got != want {
			t.Errorf("under(%q, /services) = %v", card, got)
		}
	}
}
