package hr_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepstar/keepstar/internal/apps/hr"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/sitetest"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// benchApplications is the size of the recruiters' list measured.
const benchApplications = 10000

// BenchmarkReviewPage measures the recruiters' list of HR applications
// through real HTTP on a site (server time: request to last byte, on
// loopback), with 10,000 applications by as many accounts to the form of
// the recruiter's corporation, a third each pending, approved and
// rejected: the first page, a page filtered by status, one deep in the
// list, and a search by name.
//
//	go test -run '^$' -bench ReviewPage -benchtime 50x ./internal/apps/hr/
func BenchmarkReviewPage(b *testing.B) {
	for _, d := range storetest.Dialects {
		b.Run(string(d), func(b *testing.B) {
			if d == config.Postgres && os.Getenv(storetest.PostgresEnv) == "" {
				b.Skipf("set %s to run on PostgreSQL", storetest.PostgresEnv)
			}
			ctx := context.Background()
			site := sitetest.Start(b, sitetest.Options{Dialect: d})
			recruiter := site.NewMember(b)
			if err := site.Accounts().SetPermissions(ctx, recruiter.AccountID, []string{hr.PermissionReview.Name}); err != nil {
				b.Fatal(err)
			}
			h := hr.NewHR(hr.Deps{DB: site.DB})
			f, err := h.CreateForm(ctx, recruiter.Corporation, "")
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now().UTC()
			for _, q := range []string{
				`INSERT INTO accounts (name, status, active, superuser, language, theme, created_at, updated_at)
					WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ` + strconv.Itoa(benchApplications) + `)
					SELECT 'Applicant ' || i, 'standard', TRUE, FALSE, '', '', $1, $1 FROM n`,
				`INSERT INTO characters (id, account_id, name, owner_hash, main, corporation_id, created_at)
					SELECT 95000000 + id, id, name, 'hash', TRUE, 1000001, $1 FROM accounts WHERE name LIKE 'Applicant %'`,
				`INSERT INTO hr_applications (form_id, account_id, status, reviewer_name, created_at)
					SELECT ` + strconv.FormatInt(f.ID, 10) + `, id, CASE id % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'approved' ELSE 'rejected' END,
					'', $1 FROM accounts WHERE name LIKE 'Applicant %'`,
			} {
				if _, err := site.DB.Exec(ctx, q, now); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range []struct {
				name, path string
				rows       int
			}{
				{"first", "/hr/review", hr.PerPage},
				{"pending", "/hr/review?status=pending", hr.PerPage},
				{"deep", "/hr/review?page=150", hr.PerPage},
				{"name", "/hr/review?name=applicant+999", 11},
			} {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						p := recruiter.Browser.Get(b, c.path)
						if p.Status != 200 {
							b.Fatalf("%s: %d", c.path, p.Status)
						}
						if n := strings.Count(p.Body, `data-application="`); n != c.rows {
							b.Fatalf("%s: %d rows, want %d", c.path, n, c.rows)
						}
					}
				})
			}
		})
	}
}
