package names_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/names"
	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// fakeESI answers POST /universe/ids from a table, as ESI does: exact
// names without case, unknown names left out; err fails every call.
type fakeESI struct {
	corporations map[string]int32
	asked        [][]string
	err          error
}

func (f *fakeESI) ResolveNames(_ context.Context, typed []string) (esi.IDs, error) {
	f.asked = append(f.asked, typed)
	if f.err != nil {
		return esi.IDs{}, f.err
	}
	var out esi.IDs
	for name, id := range f.corporations {
		if slices.ContainsFunc(typed, func(t string) bool { return strings.EqualFold(t, name) }) {
			out.Corporations = append(out.Corporations, esi.IDName{ID: id, Name: name})
		}
	}
	return out, nil
}

// fakeDirectory stores what ESI found, as the affiliations directory does.
type fakeDirectory struct{ db *store.DB }

func (d fakeDirectory) Refresh(ctx context.Context, corporations, _ []int32) error {
	for _, id := range corporations {
		if _, err := d.db.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, 'Far Away Inc.', 'FAR', $2)
			ON CONFLICT (id) DO NOTHING`, id, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

func corporation(t *testing.T, db *store.DB, id int32, name, ticker string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `INSERT INTO eve_corporations (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)`,
		id, name, ticker, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func problemIDs(ps i18n.Problems) []string {
	var out []string
	for _, p := range ps {
		name := ""
		for i := 0; i+1 < len(p.Args); i += 2 {
			if p.Args[i] == "Name" || p.Args[i] == "Value" {
				name = p.Args[i+1].(string)
			}
		}
		out = append(out, p.Field+" "+p.ID+" "+name)
	}
	return out
}

func TestEntriesTakeIDsAndNames(t *testing.T) {
	got := names.Entries("98000001 98000002\nGoonswarm Federation, 99000001;  Pandemic Horde \n\n-5\n24th Imperial Crusade")
	want := []string{"98000001", "98000002", "Goonswarm Federation", "99000001", "Pandemic Horde", "-5", "24th Imperial Crusade"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestResolveNamesLocalThenESI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corporation(t, db, 98000001, "Known Corp", "KNOW")
		corporation(t, db, 98000002, "Twin Corp", "TW1")
		corporation(t, db, 98000003, "Twin Corp", "TW2")
		fake := &fakeESI{corporations: map[string]int32{"Far Away Inc.": 98000009}}
		r := names.New(db, fake, fakeDirectory{db}, "https://images.example", nil)
		label := i18n.M("groups.admin.field.corporations")

		ids, ps, err := r.Resolve(ctx, names.Corporation, "corporations", label,
			"98000005\nknown corp\nFAR AWAY INC.\nTwin Corp\nNobody's Corp\n0\n98000005")
		if err != nil {
			t.Fatal(err)
		}
		if want := []int32{98000005, 98000001, 98000009}; !slices.Equal(ids, want) {
			t.Errorf("ids %v, want %v", ids, want)
		}
		want := []string{"corporations names.error.id 0", "corporations names.error.ambiguous Twin Corp",
			"corporations names.error.unknown.corporation Nobody's Corp"}
		if got := problemIDs(ps); !slices.Equal(got, want) {
			t.Errorf("problems %q, want %q", got, want)
		}
		// ESI is asked once, for the names Keepstar does not know.
		if len(fake.asked) != 1 || !slices.Equal(fake.asked[0], []string{"FAR AWAY INC.", "Nobody's Corp"}) {
			t.Errorf("ESI asked %q", fake.asked)
		}
		// What ESI found is in the directory now, with its ticker.
		known, err := r.Known(ctx, names.Corporation, []int32{98000009})
		if err != nil || known[0].Name != "Far Away Inc. [FAR]" {
			t.Errorf("known %+v (%v)", known, err)
		}

		// ESI failing: the names it was to resolve are refused as not
		// looked up; what Keepstar knows still resolves.
		fake.err = errors.New("esi down")
		ids, ps, err = r.Resolve(ctx, names.Corporation, "corporations", label, "Known Corp, Someone Else")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, []int32{98000001}) || !slices.Equal(problemIDs(ps), []string{"corporations names.error.unavailable Someone Else"}) {
			t.Errorf("with ESI down: %v %q", ids, problemIDs(ps))
		}

		// Factions from the fixed list, never ESI.
		asked := len(fake.asked)
		ids, ps, err = r.Resolve(ctx, names.Faction, "factions", label, "caldari state\nSansha's Nation")
		if err != nil || !slices.Equal(ids, []int32{500001}) || len(ps) != 1 || len(fake.asked) != asked {
			t.Errorf("factions: %v %q %v, ESI asked %d times", ids, problemIDs(ps), err, len(fake.asked)-asked)
		}
	})
}

func TestSearchByPrefixTickerAndExactName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		corporation(t, db, 98000001, "Alpha Miners", "ALM")
		corporation(t, db, 98000002, "alpha_wolves", "AW")
		corporation(t, db, 98000003, "Beta 100% Corp", "B100")
		fake := &fakeESI{corporations: map[string]int32{"Alphabet Soup": 98000009}}
		r := names.New(db, fake, fakeDirectory{db}, "https://images.example/", nil)

		got, err := r.Search(ctx, names.Corporation, "ALP")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Name != "Alpha Miners" || got[0].Ticker != "ALM" ||
			got[0].Image != "https://images.example/corporations/98000001/logo?size=64" || got[1].Name != "alpha_wolves" {
			t.Errorf("prefix: %+v", got)
		}
		// LIKE's wildcards are plain characters here.
		if got, _ := r.Search(ctx, names.Corporation, "alpha_"); len(got) != 1 || got[0].ID != 98000002 {
			t.Errorf("alpha_: %+v", got)
		}
		if got, _ := r.Search(ctx, names.Corporation, "Beta 100%"); len(got) != 1 || got[0].ID != 98000003 {
			t.Errorf("Beta 100%%: %+v", got)
		}
		// A ticker, an id.
		if got, _ := r.Search(ctx, names.Corporation, "b100"); len(got) != 1 || got[0].ID != 98000003 {
			t.Errorf("ticker: %+v", got)
		}
		if got, _ := r.Search(ctx, names.Corporation, "98000002"); len(got) != 1 || got[0].Name != "alpha_wolves" {
			t.Errorf("id: %+v", got)
		}
		// An exact name only ESI knows comes first, with its ticker.
		got, err = r.Search(ctx, names.Corporation, "alphabet soup")
		if err != nil || len(got) != 1 || got[0].ID != 98000009 || got[0].Ticker != "FAR" {
			t.Errorf("from ESI: %+v (%v)", got, err)
		}
		// ESI down: what Keepstar knows, no error.
		fake.err = errors.New("esi down")
		if got, err := r.Search(ctx, names.Corporation, "Alpha M"); err != nil || len(got) != 1 {
			t.Errorf("ESI down: %+v (%v)", got, err)
		}
		if got, _ := r.Search(ctx, names.Faction, "gal"); len(got) != 1 || got[0].Name != "Gallente Federation" || got[0].Image != "" {
			t.Errorf("faction: %+v", got)
		}
	})
}
