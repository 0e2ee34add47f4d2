package feature_test

import (
	"context"
	"errors"
	"testing"

	"github.com/keepstar/keepstar/internal/feature"
	"github.com/keepstar/keepstar/internal/web"
)

// The dashboard's cards come in the order of the features; one feature
// failing costs its own cards only, and its error names it. A feature's
// cards stand for its own Services and Apps menu entries only.
func TestSetCards(t *testing.T) {
	broken := errors.New("database away")
	var s feature.Set
	s.Add(
		feature.Feature{Name: "first", Cards: func(context.Context, int64) ([]feature.Card, error) {
			return []feature.Card{{Title: "A"}, {Title: "B"}}, nil
		}, Menu: []web.MenuItem{{Section: web.MenuServices, Path: "/first"}, {Section: web.MenuMain, Path: "/first-main"}}},
		feature.Feature{Name: "plain", Menu: []web.MenuItem{{Section: web.MenuApps, Path: "/plain"}}},
		feature.Feature{Name: "broken", Cards: func(context.Context, int64) ([]feature.Card, error) {
			return []feature.Card{{Title: "half"}}, broken
		}},
		feature.Feature{Name: "last", Cards: func(_ context.Context, id int64) ([]feature.Card, error) {
			if id != 7 {
				t.Errorf("cards asked for account %d", id)
			}
			return []feature.Card{{Title: "C"}}, nil
		}},
	)
	cards, err := s.Cards(context.Background(), 7)
	var titles []string
	for _, c := range cards {
		titles = append(titles, c.Title)
	}
	if len(titles) != 3 || titles[0] != "A" || titles[1] != "B" || titles[2] != "C" {
		t.Errorf("cards %q, want A B C", titles)
	}
	if !errors.Is(err, broken) || err.Error() != "broken: database away" {
		t.Errorf("error %v", err)
	}
	for path, want := range map[string]bool{"/first": true, "/first-main": false, "/plain": false, "/nothing": false} {
		if got := s.CardsFor(path); got != want {
			t.Errorf("CardsFor(%q) = %v, want %v", path, got, want)
		}
	}
}
