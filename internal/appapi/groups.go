package appapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"

	"golang.org/x/text/collate"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The operations of role app-groups: the groups of characters' accounts, of
// corporations and alliances, and the members of a group. An app only ever
// sees the groups assigned to it (App.MaySee), and the groups of an account
// whose groups are deactivated (accounts.groups_deactivated, decided by the
// access engine) are not given at all.

// mountGroups adds the operations of role app-groups.
func (api *API) mountGroups(srv *web.Server) {
	for _, v := range []struct{ version, phrase string }{{"v1", ""}, {"v2", "Character not found."}} {
		api.handleVersioned(srv, "GET /api/app/"+v.version+"/groups/{cid}", RoleGroups, api.accountGroupsRead(v.phrase),
			func(w http.ResponseWriter, r *http.Request, app *App) {
				api.accountGroups(w, r, app, v.phrase)
			})
	}
	api.handle(srv, "POST /api/app/v1/groups", RoleGroups, api.accountGroupsBulk)
	for _, k := range []entityKind{corporations, alliances} {
		api.handle(srv, "GET /api/app/v1/"+k.path+"/{"+k.param+"}", RoleGroups, func(w http.ResponseWriter, r *http.Request, app *App) {
			api.entityGroupsOne(w, r, app, k, "")
		})
		api.handle(srv, "GET /api/app/v2/"+k.path+"/{"+k.param+"}", RoleGroups, func(w http.ResponseWriter, r *http.Request, app *App) {
			api.entityGroupsOne(w, r, app, k, k.notFound)
		})
		api.handle(srv, "POST /api/app/v1/"+k.path, RoleGroups, func(w http.ResponseWriter, r *http.Request, app *App) {
			api.entityGroupsBulk(w, r, app, k)
		})
	}
	api.handle(srv, "GET /api/app/v1/groups-with-fallback", RoleGroups, api.groupsWithFallback)
	api.handle(srv, "GET /api/app/v1/group-members/{groupId}", RoleGroups, api.groupMembers)
}

// CharacterGroups is Neucore's CharacterGroups: a character (id, name and
// corporation only), the groups of its account the app may see, and the
// account's group deactivation.
type CharacterGroups struct {
	Character   GroupsCharacter `json:"character"`
	Groups      []Group         `json:"groups"`
	Deactivated string          `json:"deactivated"`
}

// GroupsCharacter is the character of CharacterGroups: Neucore gives its id,
// name and corporation (with its alliance), the corporation null when none.
type GroupsCharacter struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Corporation *Corporation `json:"corporation"`
}

// EntityGroups is a corporation or an alliance with the groups mapped to it
// that the app may see: Neucore's Corporation (without its alliance) or
// Alliance, with groups.
type EntityGroups struct {
	ID     int64   `json:"id"`
	Name   *string `json:"name"`
	Ticker *string `json:"ticker"`
	Groups []Group `json:"groups"`
}

// accountGroups is groupsV1 and groupsV2: the groups of the account of a
// character. An unknown character is a 404 with phrase (v1: the standard
// one); a deactivated account has no groups.
func (api *API) accountGroups(w http.ResponseWriter, r *http.Request, app *App, phrase string) {
	groups, found, _, err := api.groupsOfCharacter(r.Context(), app, phpInt(r.PathValue("cid")))
	if err != nil {
		api.internal(w, r, err)
		return
	}
	writeAccountGroups(w, groups, found, phrase)
}

// accountGroupsRead is accountGroups for an app remembered at its version
// (handleVersioned): the same answer, from the statement that reads the
// version too.
func (api *API) accountGroupsRead(phrase string) versionedRead {
	return func(r *http.Request, app *App) (int64, func(http.ResponseWriter), error) {
		groups, found, version, err := api.groupsOfCharacter(r.Context(), app, phpInt(r.PathValue("cid")))
		if err != nil {
			return 0, nil, err
		}
		return version, func(w http.ResponseWriter) { writeAccountGroups(w, groups, found, phrase) }, nil
	}
}

func writeAccountGroups(w http.ResponseWriter, groups []Group, found bool, phrase string) {
	if !found {
		web.WriteReason(w, http.StatusNotFound, phrase)
		return
	}
	writeGroups(w, groups)
}

// accountGroupsBulk is groupsBulkV1: the groups of the accounts of many
// characters, in the order asked, skipping unknown characters.
func (api *API) accountGroupsBulk(w http.ResponseWriter, r *http.Request, app *App) {
	ids, ok := idsFromBody(r)
	if !ok {
		web.WriteReason(w, http.StatusBadRequest, "")
		return
	}
	out, err := api.charactersGroups(r.Context(), app, ids)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// entityGroupsOne is corpGroupsV1/V2 and allianceGroupsV1/V2.
func (api *API) entityGroupsOne(w http.ResponseWriter, r *http.Request, app *App, k entityKind, phrase string) {
	found, err := api.entitiesGroups(r.Context(), app, k, []int64{phpInt(r.PathValue(k.param))})
	switch {
	case err != nil:
		api.internal(w, r, err)
	case len(found) == 0:
		web.WriteReason(w, http.StatusNotFound, phrase)
	default:
		writeJSON(w, http.StatusOK, found[0].Groups)
	}
}

// entityGroupsBulk is corpGroupsBulkV1 and allianceGroupsBulkV1.
func (api *API) entityGroupsBulk(w http.ResponseWriter, r *http.Request, app *App, k entityKind) {
	ids, ok := idsFromBody(r)
	if !ok {
		web.WriteReason(w, http.StatusBadRequest, "")
		return
	}
	out, err := api.entitiesGroups(r.Context(), app, k, ids)
	if err != nil {
		api.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// groupsWithFallback is groupsWithFallbackV1: the groups of the character's
// account when Keepstar knows the character (even none, even deactivated),
// else those of the corporation followed by those of the alliance not
// already given. Neucore does not check that the three belong together,
// and neither does Keepstar.
func (api *API) groupsWithFallback(w http.ResponseWriter, r *http.Request, app *App) {
	q := r.URL.Query()
	groups, found, _, err := api.groupsOfCharacter(r.Context(), app, phpInt(q.Get("character")))
	if err != nil {
		api.internal(w, r, err)
		return
	}
	if found {
		writeJSON(w, http.StatusOK, groups)
		return
	}
	groups = []Group{}
	seen := map[int64]bool{}
	for _, k := range []struct {
		kind entityKind
		id   int64
	}{{corporations, phpInt(q.Get("corporation"))}, {alliances, phpInt(q.Get("alliance"))}} {
		found, err := api.entitiesGroups(r.Context(), app, k.kind, []int64{k.id})
		if err != nil {
			api.internal(w, r, err)
			return
		}
		for _, e := range found {
			for _, g := range e.Groups {
				if !seen[g.ID] {
					seen[g.ID] = true
					groups = append(groups, g)
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, groups)
}

// groupMembers is Neucore's members: the main characters of the accounts in
// a group the app may see, optionally only those in a corporation. Like
// Neucore, it does not leave out accounts whose groups are deactivated.
func (api *API) groupMembers(w http.ResponseWriter, r *http.Request, app *App) {
	ctx := r.Context()
	groupID := phpInt(r.PathValue("groupId"))
	var n int
	if app.MaySee(groupID) {
		// The app's groups are of the version authenticated: the group may
		// have been deleted since.
		if err := api.db.QueryRow(ctx, `SELECT count(*) FROM groups WHERE id = $1`, groupID).Scan(&n); err != nil {
			api.internal(w, r, fmt.Errorf("apps: group %d: %w", groupID, err))
			return
		}
	}
	if n == 0 {
		web.WriteReason(w, http.StatusNotFound, "Group not found.")
		return
	}
	query := `SELECT c.id FROM group_members m JOIN characters c ON c.account_id = m.account_id AND c.main WHERE m.group_id = $1`
	args := []any{groupID}
	// Present but empty is Neucore's corporation 0: nobody.
	if q := r.URL.Query(); q.Has("corporation") {
		query += ` AND c.corporation_id = $2`
		args = append(args, phpInt(q.Get("corporation")))
	}
	ids := []int64{}
	err := store.Each(ctx, api.db, query+` ORDER BY c.id`, func(rows store.Rows) error {
		var id int64
		err := rows.Scan(&id)
		ids = append(ids, id)
		return err
	}, args...)
	if err != nil {
		api.internal(w, r, fmt.Errorf("apps: members of group %d: %w", groupID, err))
		return
	}
	writeJSON(w, http.StatusOK, ids)
}

// appGroupColumns read a Group as the group operations give it: Neucore
// leaves isAutoManaged unset (null) there.
const appGroupColumns = `g.id, g.name, g.description, g.hidden, g.internal, g.open, g.is_default`

// nullableGroup holds the columns of appGroupColumns from a left join,
// NULL when it found no group.
type nullableGroup struct {
	id                                *int64
	name, description                 *string
	hidden, internal, open, isDefault *bool
}

func (n *nullableGroup) dest() []any {
	return []any{&n.id, &n.name, &n.description, &n.hidden, &n.internal, &n.open, &n.isDefault}
}

// visibleTo gives the group if there is one and app may see it. The app's
// groups are those of the version the authenticator read: a change of them
// makes a new version, and a deleted group has no members, mappings or row
// left to find.
func (n *nullableGroup) visibleTo(app *App) (Group, bool) {
	if n.id == nil || n.name == nil || !app.MaySee(*n.id) {
		return Group{}, false
	}
	g := Group{ID: *n.id, Name: *n.name, Visibility: Visibility(*n.hidden, *n.internal), AutoAccept: *n.open, IsDefault: *n.isDefault}
	if *n.description != "" {
		g.Description = n.description // each scan allocates anew, in both drivers
	}
	return g, true
}

// sortGroups puts groups in Neucore's order, by name as its database
// orders names (sortByName, as the characters' lists), with the names'
// keys from k.
func (k *nameKeys) sortGroups(gs []Group) {
	if len(gs) < 2 {
		return
	}
	keys := make([][]byte, len(gs))
	for i, g := range gs {
		keys[i] = k.of(g.Name)
	}
	sort.Sort(groupsByKey{gs, keys})
}

// groupsByKey sorts groups by their names' collation keys, then ids.
type groupsByKey struct {
	groups []Group
	keys   [][]byte
}

func (s groupsByKey) Len() int { return len(s.groups) }
func (s groupsByKey) Less(i, j int) bool {
	if c := bytes.Compare(s.keys[i], s.keys[j]); c != 0 {
		return c < 0
	}
	return s.groups[i].ID < s.groups[j].ID
}
func (s groupsByKey) Swap(i, j int) {
	s.groups[i], s.groups[j] = s.groups[j], s.groups[i]
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
}

// maxNameKeys bounds the names kept: a site whose group names keep
// changing starts over when it is reached.
const maxNameKeys = 4096

// nameKeys keeps the collation key of each group name met (the API's
// groupKeys). A key is a function of the name alone, so it is never stale
// (a renamed group's new name has its own key), and a site's group names
// are a few dozen, while making the keys was a tenth of the groups
// endpoint's own CPU (docs/performance.md). Character names, hundreds of
// thousands, are keyed afresh by sortByName.
type nameKeys struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// of gives name's collation key, as sortByName makes it.
func (k *nameKeys) of(name string) []byte {
	k.mu.RLock()
	key, ok := k.m[name]
	k.mu.RUnlock()
	if ok {
		return key
	}
	col := collators.Get().(*collate.Collator)
	var buf collate.Buffer
	key = bytes.Clone(col.KeyFromString(&buf, name))
	collators.Put(col)
	k.mu.Lock()
	if k.m == nil || len(k.m) >= maxNameKeys {
		k.m = map[string][]byte{}
	}
	k.m[name] = key
	k.mu.Unlock()
	return key
}

// groupsOfCharacter reads the groups app may see of the account of a
// character; found is false when Keepstar does not know the character, and
// version is the app's as the statement read it (0 when the app is gone),
// for handleVersioned. It is the hot path of the API (apps ask it for every
// member, often), hence one statement of primary-key lookups: the app, the
// character, its account with its deactivation, and the account's
// memberships unless its groups are deactivated, which are few, with their
// groups when the app sees them (the columns of the others null, cheaper
// to read than their names). The app's
// groups are those of the version read, which the caller checks.
func (api *API) groupsOfCharacter(ctx context.Context, app *App, characterID int64) (groups []Group, found bool, version int64, err error) {
	// The group's columns come out of the left join as non-null values (0
	// and empty when there is no group, which no group has: ids start at
	// 1): scanned into plain values, database/sql allocates nothing per
	// column, where a pointer destination cost an allocation each
	// (docs/performance.md).
	rows, err := api.db.Query(ctx, `SELECT ap.version, COALESCE(c.id, 0), COALESCE(a.groups_deactivated, ''),
		COALESCE(g.id, 0), COALESCE(g.name, ''), COALESCE(g.description, ''),
		COALESCE(g.hidden, FALSE), COALESCE(g.internal, FALSE), COALESCE(g.open, FALSE), COALESCE(g.is_default, FALSE)
		FROM apps ap
		LEFT JOIN characters c ON c.id = $1
		LEFT JOIN accounts a ON a.id = c.account_id
		LEFT JOIN group_members m ON m.account_id = c.account_id AND a.groups_deactivated <> 'yes'
		LEFT JOIN app_groups ag ON ag.app_id = ap.id AND ag.group_id = m.group_id
		LEFT JOIN groups g ON g.id = ag.group_id
		WHERE ap.id = $2`, characterID, app.ID)
	if err != nil {
		return nil, false, 0, fmt.Errorf("apps: groups of character %d: %w", characterID, err)
	}
	defer rows.Close()
	groups = []Group{}
	var (
		character                         int64
		deactivated                       string
		id                                int64
		name, description                 string
		hidden, internal, open, isDefault bool
	)
	dest := []any{&version, &character, &deactivated, &id, &name, &description, &hidden, &internal, &open, &isDefault}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, false, 0, fmt.Errorf("apps: groups of character %d: %w", characterID, err)
		}
		found = character != 0
		if id == 0 || !app.MaySee(id) || deactivated == string(access.YesDeactivated) {
			continue
		}
		g := Group{ID: id, Name: name, Visibility: Visibility(hidden, internal), AutoAccept: open, IsDefault: isDefault}
		if description != "" {
			d := description
			g.Description = &d
		}
		groups = append(groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, false, 0, fmt.Errorf("apps: groups of character %d: %w", characterID, err)
	}
	api.groupKeys.sortGroups(groups)
	return groups, found, version, nil
}

// idsPerStatement bounds the ids of one IN list, well under both engines'
// limits of bound parameters.
const idsPerStatement = 1000

// charactersGroups reads the groups of the accounts of characters, in the
// order of ids, unknown characters left out. Per thousand characters: one
// statement for the characters with their accounts' deactivation,
// corporations and alliances, one for the memberships of their accounts;
// then one for the app's groups, which the memberships name.
func (api *API) charactersGroups(ctx context.Context, app *App, ids []int64) ([]CharacterGroups, error) {
	byID := make(map[int64]*CharacterGroups, len(ids))
	accountOf := make(map[int64]int64, len(ids))
	groupsOf := map[int64][]int64{} // by account, the app's groups only
	for part := range slices.Chunk(ids, idsPerStatement) {
		var accounts []int64
		inPart, args := api.oneOf("c.id", 1, part)
		err := store.Each(ctx, api.db, `SELECT c.id, c.account_id, c.name, a.groups_deactivated,
				c.corporation_id, co.name, co.ticker, c.alliance_id, al.name, al.ticker
			FROM characters c
			JOIN accounts a ON a.id = c.account_id
			LEFT JOIN eve_corporations co ON co.id = c.corporation_id
			LEFT JOIN eve_alliances al ON al.id = c.alliance_id
			WHERE `+inPart, func(rows store.Rows) error {
			c := CharacterGroups{Groups: []Group{}}
			var account int64
			var corpID, allianceID *int64
			var corpName, corpTicker, allianceName, allianceTicker *string
			if err := rows.Scan(&c.Character.ID, &account, &c.Character.Name, &c.Deactivated, &corpID, &corpName, &corpTicker,
				&allianceID, &allianceName, &allianceTicker); err != nil {
				return err
			}
			if corpID != nil {
				c.Character.Corporation = &Corporation{ID: *corpID, Name: corpName, Ticker: corpTicker}
				if allianceID != nil {
					c.Character.Corporation.Alliance = &Alliance{ID: *allianceID, Name: allianceName, Ticker: allianceTicker}
				}
			}
			byID[c.Character.ID], accountOf[c.Character.ID] = &c, account
			if _, ok := groupsOf[account]; !ok && c.Deactivated != string(access.YesDeactivated) {
				groupsOf[account] = nil
				accounts = append(accounts, account)
			}
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("apps: groups of characters: %w", err)
		}
		if len(accounts) == 0 {
			continue
		}
		inAccounts, args := api.oneOf("account_id", 1, accounts)
		err = store.Each(ctx, api.db, `SELECT account_id, group_id FROM group_members WHERE `+inAccounts, func(rows store.Rows) error {
			var account, group int64
			if err := rows.Scan(&account, &group); err != nil {
				return err
			}
			if app.MaySee(group) {
				groupsOf[account] = append(groupsOf[account], group)
			}
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("apps: groups of characters: %w", err)
		}
	}
	groups := map[int64]Group{}
	if len(app.Groups) > 0 {
		inGroups, args := api.oneOf("g.id", 1, app.Groups)
		err := store.Each(ctx, api.db, `SELECT `+appGroupColumns+` FROM groups g WHERE `+inGroups, func(rows store.Rows) error {
			var n nullableGroup
			if err := rows.Scan(n.dest()...); err != nil {
				return err
			}
			if g, ok := n.visibleTo(app); ok {
				groups[g.ID] = g
			}
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("apps: groups of characters: %w", err)
		}
	}
	out := []CharacterGroups{}
	for _, id := range ids {
		c := byID[id]
		if c == nil {
			continue
		}
		for _, g := range groupsOf[accountOf[id]] {
			// A group deleted since the membership was read is gone.
			if g, ok := groups[g]; ok {
				c.Groups = append(c.Groups, g)
			}
		}
		api.groupKeys.sortGroups(c.Groups)
		out = append(out, *c)
	}
	return out, nil
}

// oneOf gives the condition that column is one of ids, and its arguments
// from $n.
func (api *API) oneOf(column string, n int, ids []int64) (string, []any) {
	list, args := api.idList(n, ids)
	return column + " IN (" + list + ")", args
}

// idList gives ids as the inside of an IN ( ) list, and its arguments from
// $n, each dialect its own way: on PostgreSQL one array, so that the
// statement is the same whatever the number of ids and pgx prepares it
// once per connection (a list of placeholders made a statement for every
// length, each prepared anew: a bulk request of 1,000 characters took half
// again as long); on SQLite a "?" each (store.Marks: $N placeholders cost
// SQLite a search each, four times the whole request of 1,000), numbered
// after the statement's earlier ones, so n must follow every placeholder
// that comes before the list in the statement's text.
func (api *API) idList(n int, ids []int64) (string, []any) {
	if api.db.Dialect() == config.Postgres {
		return fmt.Sprintf("SELECT unnest($%d::bigint[])", n), []any{ids}
	}
	return store.Marks(config.SQLite, n, len(ids)), store.Args(ids)
}

// entityKind is corporations or alliances, as the group operations name
// and store them.
type entityKind struct {
	path, param, notFound string
	kind                  string // of group_mappings
	table                 string // of names and tickers
}

var (
	corporations = entityKind{path: "corp-groups", param: "cid", notFound: "Corporation not found.", kind: "corporation", table: "eve_corporations"}
	alliances    = entityKind{path: "alliance-groups", param: "aid", notFound: "Alliance not found.", kind: "alliance", table: "eve_alliances"}
)

// entitiesGroups reads corporations or alliances with the groups mapped to
// them that app may see, in the order of ids, unknown ones left out.
// Keepstar knows a corporation or alliance it has stored (every one of its
// characters' is) or mapped to a group; one mapped by id before Keepstar
// read it has a null name and ticker, as a Neucore corporation added by id
// has until its update.
func (api *API) entitiesGroups(ctx context.Context, app *App, k entityKind, ids []int64) ([]EntityGroups, error) {
	byID := make(map[int64]*EntityGroups, len(ids))
	for part := range slices.Chunk(ids, idsPerStatement) {
		// The ids twice, each list numbered after the one before it; the
		// kind is written in, one of two constants, so that no placeholder
		// comes before the lists.
		inTable, args := api.oneOf("id", 1, part)
		inMappings, more := api.oneOf("entity_id", 1+len(args), part)
		err := store.Each(ctx, api.db, `SELECT known.id, e.name, e.ticker, `+appGroupColumns+`
			FROM (SELECT id FROM `+k.table+` WHERE `+inTable+`
				UNION SELECT entity_id FROM group_mappings WHERE kind = '`+k.kind+`' AND `+inMappings+`) known
			LEFT JOIN `+k.table+` e ON e.id = known.id
			LEFT JOIN group_mappings gm ON gm.kind = '`+k.kind+`' AND gm.entity_id = known.id
			LEFT JOIN groups g ON g.id = gm.group_id`, func(rows store.Rows) error {
			var e EntityGroups
			var n nullableGroup
			if err := rows.Scan(append([]any{&e.ID, &e.Name, &e.Ticker}, n.dest()...)...); err != nil {
				return err
			}
			seen := byID[e.ID]
			if seen == nil {
				e.Groups = []Group{}
				seen = &e
				byID[e.ID] = seen
			}
			if g, ok := n.visibleTo(app); ok {
				seen.Groups = append(seen.Groups, g)
			}
			return nil
		}, append(args, more...)...)
		if err != nil {
			return nil, fmt.Errorf("apps: groups of %s: %w", k.path, err)
		}
	}
	out := []EntityGroups{}
	for _, id := range ids {
		if e := byID[id]; e != nil {
			api.groupKeys.sortGroups(e.Groups)
			out = append(out, *e)
		}
	}
	return out, nil
}

// idsFromBody reads the ids of a bulk operation as groupsBulkFor does:
// Neucore's getIntegerArrayFromBody (integerArrayFromBody: a JSON array or
// a POST form, else 400), then only the ids above zero.
func idsFromBody(r *http.Request) (ids []int64, ok bool) {
	all, ok := integerArrayFromBody(r)
	if !ok {
		return nil, false
	}
	ids = []int64{}
	for _, id := range all {
		if id > 0 {
			ids = append(ids, id)
		}
	}
	return ids, true
}
