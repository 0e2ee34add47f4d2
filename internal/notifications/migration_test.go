package notifications_test

import (
	"context"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/keepstar/keepstar/internal/app"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/store/storetest"
)

// renameUp is one rename of a stored message id in the migration's Up part.
var renameUp = regexp.MustCompile(`(?m)^UPDATE notifications SET (title_key|message_key) = '([^']+)' WHERE (?:title_key|message_key) = '([^']+)';$`)

// The notices already sent name their messages by id. When the ids took
// their package's name (issue 13), a migration renamed them in the stored
// rows too, and back on the way down; each new id is in the catalogue.
func TestStoredMessageIDsFollowTheirRename(t *testing.T) {
	catalogue, err := app.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			fsys, err := store.MigrationSources(d)
			if err != nil {
				t.Fatal(err)
			}
			names, err := fs.Glob(fsys, "*_message_ids_per_feature.sql")
			if err != nil || len(names) != 1 {
				t.Fatalf("the migration of the renamed ids: %v, %v", names, err)
			}
			version, err := strconv.ParseInt(strings.SplitN(names[0], "_", 2)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			src, err := fs.ReadFile(fsys, names[0])
			if err != nil {
				t.Fatal(err)
			}
			up, _, _ := strings.Cut(string(src), "-- +goose Down")
			renames := map[string]string{} // old id: new id
			for _, m := range renameUp.FindAllStringSubmatch(up, -1) {
				renames[m[3]] = m[2]
				if !catalogue.Has(m[2]) {
					t.Errorf("%s renames %s to %s, which is not in the catalogue", names[0], m[3], m[2])
				}
			}
			if len(renames) == 0 {
				t.Fatalf("%s renames nothing that this test reads", names[0])
			}

			db := storetest.OpenEmpty(t, d)
			dialect := goose.DialectSQLite3
			if d == config.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, db.SQLWriter(), fsys,
				goose.WithTableName("keepstar_migrations"), goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, version-1); err != nil {
				t.Fatal(err)
			}
			account := newAccount(t, db)
			for old := range renames {
				if _, err := db.Exec(ctx, `INSERT INTO notifications (account_id, level, title, message, title_key, message_key, args, created_at)
					VALUES ($1, 'info', '', '', $2, $2, '{}', CURRENT_TIMESTAMP)`, account, old); err != nil {
					t.Fatal(err)
				}
			}
			// keys gives the rows' ids, each row's the same on both columns.
			keys := func() map[string]bool {
				t.Helper()
				got := map[string]bool{}
				rows, err := db.Query(ctx, `SELECT title_key, message_key FROM notifications`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var title, message string
					if err := rows.Scan(&title, &message); err != nil {
						t.Fatal(err)
					}
					if title != message {
						t.Errorf("title_key %s, message_key %s: renamed apart", title, message)
					}
					got[title] = true
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				return got
			}

			if _, err := p.UpTo(ctx, version); err != nil {
				t.Fatal(err)
			}
			got := keys()
			for old, renamed := range renames {
				if !got[renamed] {
					t.Errorf("%s was not renamed to %s: %v", old, renamed, got)
				}
			}
			if _, err := p.DownTo(ctx, version-1); err != nil {
				t.Fatal(err)
			}
			got = keys()
			for old := range renames {
				if !got[old] {
					t.Errorf("%s did not come back on the way down: %v", old, got)
				}
			}
		})
	}
}
