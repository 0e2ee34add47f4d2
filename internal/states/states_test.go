package states_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/states"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestStoreRefusesThroughTheFormsValidator: the store refuses what the
// admin form refuses, with the form's messages, every problem at once.
func TestStoreRefusesThroughTheFormsValidator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := states.New(db, nil, access.NewCatalogue(access.Permissions), nil)
		_, err := st.Create(context.Background(), states.Input{Name: " ", Priority: -1, Factions: []int32{0},
			Permissions: []string{"no.such"}})
		var invalid *i18n.InvalidError
		if !errors.Is(err, states.ErrInvalid) || !errors.As(err, &invalid) {
			t.Fatalf("%v: want ErrInvalid with its problems", err)
		}
		var got []string
		for _, p := range invalid.Problems {
			got = append(got, p.Field+" "+p.ID)
		}
		want := []string{"name states.admin.error.name", "priority states.admin.error.priority", "factions states.admin.error.id",
			"permissions states.admin.error.permission"}
		if !slices.Equal(got, want) {
			t.Errorf("refused with %q, want %q", got, want)
		}
		if ps := st.Validate(states.Input{Name: "Allies", Priority: 75, Factions: []int32{500001}}); len(ps) != 0 {
			t.Errorf("a valid state has problems: %+v", ps)
		}
	})
}
