// Command groupsfloor is the floor that bench/apps.sh measures Keepstar's
// GET /api/app/v2/groups/{cid} against: a bare net/http server that gives
// the same answer (the groups an app sees of a character's account, none
// when the account's groups are deactivated, 404 for a character Keepstar
// does not know) with one prepared statement on the same database, the same
// drivers (modernc.org/sqlite read-only, pgx), and the same JSON. No
// authentication, no middleware, no limits, no statistics: what is left is
// the database's and net/http's share of a request. /healthz answers "ok" as
// the bare handler that Keepstar's /healthz is compared to.
//
//	KEEPSTAR_DATABASE_URL=sqlite:/tmp/k.db groupsfloor -app 1 -listen 127.0.0.1:18082
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"github.com/keepstar/keepstar/internal/appapi"
	"github.com/keepstar/keepstar/internal/config"
)

// groupsOf is the one statement: the character, its account, and the
// account's memberships, unless the account's groups are deactivated, with
// their groups when the app sees them (a primary-key probe of app_groups
// each). No row: no such character; rows with a null group: memberships
// the app does not see. Of the forms tried, the fastest on SQLite: the
// memberships filtered by "group_id IN (the app's groups)" took half again
// as long (a probe per group of the app), one nested join an index scan.
const groupsOf = `SELECT g.id, g.name, g.description, g.hidden, g.internal, g.open, g.is_default
	FROM characters c
	JOIN accounts a ON a.id = c.account_id
	LEFT JOIN group_members m ON m.account_id = c.account_id AND a.groups_deactivated <> 'yes'
	LEFT JOIN app_groups ag ON ag.app_id = $2 AND ag.group_id = m.group_id
	LEFT JOIN groups g ON g.id = ag.group_id
	WHERE c.id = $1
	ORDER BY g.name, g.id`

// rows is what both drivers' rows have in common.
type rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close()
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func main() {
	listen := flag.String("listen", "127.0.0.1:18082", "address to serve on")
	appID := flag.Int64("app", 1, "the app whose groups are seen")
	flag.Parse()
	dbc, err := config.ParseDatabaseURL(os.Getenv("KEEPSTAR_DATABASE_URL"))
	if err != nil {
		log.Fatal("KEEPSTAR_DATABASE_URL: ", err)
	}
	ctx := context.Background()
	var query func(ctx context.Context, character int64) (rows, error)
	switch dbc.Dialect {
	case config.SQLite:
		// Keepstar's read pool: four connections, query only.
		db, err := sql.Open("sqlite", "file:"+dbc.Path+"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
		if err != nil {
			log.Fatal(err)
		}
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		stmt, err := db.PrepareContext(ctx, groupsOf)
		if err != nil {
			log.Fatal(err)
		}
		query = func(ctx context.Context, character int64) (rows, error) {
			r, err := stmt.QueryContext(ctx, character, *appID)
			return sqlRows{r}, err
		}
	case config.Postgres:
		// Keepstar's pool size (KEEPSTAR_DATABASE_MAX_CONNS's default); pgx
		// prepares the statement once per connection.
		pcfg, err := pgxpool.ParseConfig(dbc.URL)
		if err != nil {
			log.Fatal(err)
		}
		pcfg.MaxConns = 10
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			log.Fatal(err)
		}
		query = func(ctx context.Context, character int64) (rows, error) {
			r, err := pool.Query(ctx, groupsOf, character, *appID)
			return pgxRows{r}, err
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /api/app/v2/groups/{cid}", func(w http.ResponseWriter, r *http.Request) {
		character, _ := strconv.ParseInt(r.PathValue("cid"), 10, 64)
		groups, found, err := read(r.Context(), query, character)
		switch {
		case errors.Is(err, context.Canceled):
			// wrk closing its connections at the end of a run.
		case err != nil:
			log.Print(err)
			http.Error(w, "Internal server error.", http.StatusInternalServerError)
		case !found:
			w.WriteHeader(http.StatusNotFound)
		default:
			body, _ := json.Marshal(groups)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}
	})
	log.Fatal(http.ListenAndServe(*listen, mux))
}

func read(ctx context.Context, query func(context.Context, int64) (rows, error), character int64) ([]appapi.Group, bool, error) {
	rs, err := query(ctx, character)
	if err != nil {
		return nil, false, err
	}
	defer rs.Close()
	groups, found := []appapi.Group{}, false
	for rs.Next() {
		found = true
		var id *int64
		var name, description *string
		var hidden, internal, open, isDefault *bool
		if err := rs.Scan(&id, &name, &description, &hidden, &internal, &open, &isDefault); err != nil {
			return nil, false, err
		}
		if id == nil {
			continue
		}
		g := appapi.Group{ID: *id, Name: *name, Visibility: appapi.Visibility(*hidden, *internal), AutoAccept: *open, IsDefault: *isDefault}
		if *description != "" {
			g.Description = description
		}
		groups = append(groups, g)
	}
	if err := rs.Err(); err != nil {
		return nil, false, err
	}
	return groups, found, nil
}

type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() { r.Rows.Close() }
