package srp_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/srp"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
	"github.com/keepstar/keepstar/internal/web"
)

// benchRequests is the size of the fleet the benchmark reads.
const benchRequests = 500

// BenchmarkFleetPage reads, over HTTP as an officer, the page of a fleet
// with 500 requests (pending ones with the decision form, from 20
// members, with the totals), on each engine.
func BenchmarkFleetPage(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skipf("set %s to run on PostgreSQL", storetest.PostgresEnv)
			}
			ctx := context.Background()
			site := sitetest.Start(b, sitetest.Options{Dialect: d})
			officer := site.NewMember(b)
			if err := site.Accounts().SetPermissions(ctx, officer.AccountID, []string{srp.PermissionManage.Name}); err != nil {
				b.Fatal(err)
			}
			accounts := make([]int64, 20)
			for i := range accounts {
				accounts[i] = site.NewMember(b).AccountID
			}
			f, err := srp.NewSRP(srp.Deps{DB: site.DB}).CreateFleet(ctx, &web.Viewer{AccountID: officer.AccountID},
				srp.FleetInput{Name: "Big fight", Doctrine: "Ravens", Commander: "FC", Time: time.Now()})
			if err != nil {
				b.Fatal(err)
			}
			err = site.DB.InTx(ctx, func(tx *store.Tx) error {
				for i := range benchRequests {
					status, payout := "pending", 0.0
					if i%3 == 1 {
						status, payout = "approved", 150e6
					}
					if _, err := tx.Exec(ctx, `INSERT INTO srp_requests (fleet_id, account_id, killmail_id, killmail_hash, character_id,
						character_name, ship_type_id, ship_name, loss_value, additional, status, payout, comment, decided_by, created_at)
						VALUES ($1, $2, $3, $4, $5, $6, 638, 'Raven', 181200000, 'Lost on the gate', $7, $8, '', '', $9)`,
						f.ID, accounts[i%len(accounts)], int64(130000000+i), strings.Repeat("ab", 20), 90000001+2*i,
						"Pilot "+strconv.Itoa(i), status, payout, time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			path := "/srp/fleets/" + strconv.FormatInt(f.ID, 10)
			for b.Loop() {
				p := officer.Browser.Get(b, path)
				if p.Status != 200 {
					b.Fatalf("%s: %d", path, p.Status)
				}
				if n := strings.Count(p.Body, `data-request="`); n != benchRequests {
					b.Fatalf("%d requests shown, want %d", n, benchRequests)
				}
			}
		})
	}
}
