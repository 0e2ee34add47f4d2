package operations_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/keepstar/keepstar/internal/eve/affiliations"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// TestUnknownCharactersShown: a character whose id ESI refuses as no
// character (ESI then refuses its whole affiliation request) is named on the
// operations page and counted in the metrics once the affiliations job ran,
// and the job still completes and moves every other character.
func TestUnknownCharactersShown(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			const token = "metrics-token-for-the-test"
			site := sitetest.Start(t, sitetest.Options{Dialect: d, Env: map[string]string{"KEEPSTAR_METRICS_TOKEN": token}})
			chars := site.AccountCharacters(t, 2)
			admin := site.NewBrowser(t)
			admin.LogIn(t, chars[0])
			if _, _, err := site.Accounts().GrantSuperuser(ctx, strconv.Itoa(int(chars[0]))); err != nil {
				t.Fatal(err)
			}
			site.NewBrowser(t).LogIn(t, chars[1])
			body := admin.Expect(t, "superuser", "/admin/operations", nil, 200, `id="esi-unknown" class="mb-4" data-count="0"`)
			if !strings.Contains(section(body, `id="esi-unknown"`), "ESI knows every character.") {
				t.Errorf("before: %s", section(body, `id="esi-unknown"`))
			}

			const bogus = 2_100_000_007
			if _, err := site.DB.Exec(ctx, `INSERT INTO characters (id, account_id, name, owner_hash, main, created_at)
				SELECT $1, account_id, 'Ghost Pilot', 'x', FALSE, created_at FROM characters WHERE id = $2`, bogus, chars[1]); err != nil {
				t.Fatal(err)
			}
			ch, err := site.Sim.Universe.Character(chars[1])
			if err != nil {
				t.Fatal(err)
			}
			corps := site.Sim.Universe.CorporationIDs()
			to := corps[len(corps)-1]
			if to == ch.CorporationID {
				to = corps[len(corps)-2]
			}
			if err := site.Sim.Universe.MoveCharacter(chars[1], to); err != nil {
				t.Fatal(err)
			}
			site.RunJob(t, affiliations.SyncArgs{})

			moved, err := site.Accounts().Character(ctx, chars[1])
			if err != nil || moved.CorporationID != to {
				t.Errorf("the character beside the bad id: corporation %d (%v), want %d", moved.CorporationID, err, to)
			}
			body = admin.Expect(t, "superuser", "/admin/operations", nil, 200, `data-count="1"`,
				`data-character="2100000007"`, "Ghost Pilot")
			if row := jobRow(t, body, "affiliations_sync"); !strings.Contains(row, `data-outcome="completed"`) {
				t.Errorf("the job did not complete:\n%s", row)
			}
			status, metrics := scrape(t, site.URL+"/metrics", token)
			if status != http.StatusOK || !strings.Contains(metrics, "\nkeepstar_characters_unknown_to_esi 1\n") {
				t.Errorf("/metrics (%d) lacks keepstar_characters_unknown_to_esi 1", status)
			}
		})
	}
}
