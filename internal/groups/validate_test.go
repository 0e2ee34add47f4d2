package groups_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/groups"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// ids lists the message ids of a refusal's problems, failing the test when
// err is no refusal with problems wrapping sentinel.
func ids(t *testing.T, err, sentinel error) []string {
	t.Helper()
	var invalid *i18n.InvalidError
	if !errors.Is(err, sentinel) || !errors.As(err, &invalid) {
		t.Fatalf("%v: want %v with its problems", err, sentinel)
	}
	var out []string
	for _, p := range invalid.Problems {
		out = append(out, p.ID)
	}
	return out
}

// TestStoreRefusesThroughTheFormsValidator: the store refuses what the
// admin forms refuse, with the same messages, every problem at once, and
// writes nothing.
func TestStoreRefusesThroughTheFormsValidator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := groups.New(db, groups.Options{Queue: &noQueue{}, Catalogue: access.NewCatalogue(access.Permissions)})
		alpha, err := st.Create(ctx, groups.Input{Name: " Alpha "})
		if err != nil || alpha.Name != "Alpha" {
			t.Fatalf("create: %+v %v", alpha, err)
		}
		bad := groups.Input{Name: "  ", Description: strings.Repeat("d", 4001), AllowedStates: []int64{999999},
			Required: []int64{alpha.ID, 888888}, Forbidden: []int64{alpha.ID}, Corporations: []int32{-1},
			Managers: []int64{777777}, Permissions: []string{"no.such"}}
		want := []string{"groups.admin.error.name_required", "groups.admin.error.description", "groups.admin.error.state",
			"groups.admin.error.group", "groups.admin.error.required_forbidden", "groups.admin.error.id",
			"groups.admin.error.account", "groups.admin.error.permission"}
		_, err = st.Create(ctx, bad)
		if got := ids(t, err, groups.ErrInvalid); !slices.Equal(got, want) {
			t.Errorf("create refused with %q, want %q", got, want)
		}
		// The pages ask the same validator.
		ps, err := st.Validate(ctx, db, 0, bad)
		if err != nil || len(ps) != len(want) {
			t.Errorf("Validate: %+v %v", ps, err)
		}
		_, err = st.Update(ctx, alpha.ID, groups.Input{Name: "Alpha", Required: []int64{alpha.ID}, ManagerGroups: []int64{alpha.ID}})
		if got := ids(t, err, groups.ErrInvalid); !slices.Equal(got, []string{"groups.admin.error.self"}) {
			t.Errorf("update refused with %q, want the self-reference only", got)
		}
		if all, err := st.List(ctx); err != nil || len(all) != 1 || len(all[0].Required) != 0 {
			t.Errorf("groups after refusals: %+v %v", all, err)
		}

		_, err = st.CreateAutogroups(ctx, groups.AutogroupConfig{States: []int64{999999}, NameSource: "bogus", CorporationPrefix: "a\tb"})
		want = []string{"groups.admin.autogroups.error.state", "groups.admin.autogroups.error.kinds", "groups.admin.autogroups.error.name_source",
			"groups.admin.autogroups.error.prefix"}
		if got := ids(t, err, groups.ErrAutogroupInvalid); !slices.Equal(got, want) {
			t.Errorf("autogroups refused with %q, want %q", got, want)
		}
		err = st.UpdateAutogroups(ctx, 1, []int64{999999}, false, false)
		if got := ids(t, err, groups.ErrAutogroupInvalid); !slices.Equal(got, want[:2]) {
			t.Errorf("autogroups update refused with %q, want %q", got, want[:2])
		}

		err = st.Reserve(ctx, "ops\x07", strings.Repeat("r", 1001), 0)
		want = []string{"groups.admin.reserved.error.name", "groups.admin.reserved.error.reason"}
		if got := ids(t, err, groups.ErrInvalid); !slices.Equal(got, want) {
			t.Errorf("reserve refused with %q, want %q", got, want)
		}
	})
}
