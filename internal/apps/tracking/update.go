package tracking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/keepstar/keepstar/internal/config"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/eve/logins"
	"github.com/keepstar/keepstar/internal/store"
)

// tracked is an entry of ESI's membertracking answer.
type tracked struct {
	CharacterID int32      `json:"character_id"`
	LocationID  int64      `json:"location_id"`
	LogoffDate  *time.Time `json:"logoff_date"`
	LogonDate   *time.Time `json:"logon_date"`
	ShipTypeID  int32      `json:"ship_type_id"`
	StartDate   *time.Time `json:"start_date"`
}

// nameLife is how long a location's or type's name is kept: they almost
// never change, and a stale one costs nothing but a wrong label.
const nameLife = 30 * 24 * time.Hour

// maxError bounds the error recorded for a corporation.
const maxError = 500

// Result counts what a pass did.
type Result struct {
	Corporations int // read from ESI
	Skipped      int // still within their cache period
	Failed       int
	Members      int // stored
}

// parallel is how many corporations a pass reads at once: ESI's answer
// time (a tenth of a second or more from CCP) and the store's each wait on
// the other side, so a few in flight shorten a pass several times over
// while staying far below ESI's limits (the shared gate still applies).
const parallel = 4

// Update reads every tracked corporation whose last answer has expired,
// with the first of its directors' tokens that ESI accepts, and stores
// each whole or records its (last director's) error. Corporations are
// read parallel at a time, each in its own transaction.
func (t *Tracking) Update(ctx context.Context) (Result, error) {
	var res Result
	ds, err := directors(ctx, t.db)
	if err != nil {
		return res, err
	}
	now := t.now()
	known, err := corporations(ctx, t.db, "")
	if err != nil {
		return res, err
	}
	expires := map[int32]*time.Time{}
	names := map[int32]string{}
	for _, c := range known {
		expires[c.ID] = c.ExpiresAt
		if c.FetchedAt != nil {
			names[c.ID] = c.Name
		}
	}
	var mu sync.Mutex // guards res
	pass := &sharedPass{asked: map[nameKey]bool{}}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for start := 0; start < len(ds); {
		corp := ds[start].CorporationID
		end := start
		for end < len(ds) && ds[end].CorporationID == corp {
			end++
		}
		candidates := ds[start:end]
		start = end
		if e := expires[corp]; e != nil && now.Before(*e) {
			res.Skipped++
			continue
		}
		g.Go(func() error {
			n, err := t.readCorporation(gctx, candidates, names[corp], now, pass)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				res.Corporations++
				res.Members += n
			case gctx.Err() != nil:
				return gctx.Err()
			default:
				res.Failed++
				last := candidates[len(candidates)-1]
				t.logger.WarnContext(gctx, "tracking: corporation not read", "corporation", corp, "error", err)
				if rerr := t.recordError(gctx, last, err, now); rerr != nil {
					return rerr
				}
			}
			return nil
		})
	}
	err = g.Wait()
	return res, err
}

// readCorporation reads a corporation once, with the first director whose
// token ESI accepts (one may have lost the role since the last check).
func (t *Tracking) readCorporation(ctx context.Context, candidates []Director, name string, now time.Time, pass *sharedPass) (int, error) {
	var err error
	for _, d := range candidates {
		var n int
		if n, err = t.updateCorporation(ctx, d, name, now, pass); err == nil || ctx.Err() != nil {
			return n, err
		}
	}
	return 0, err
}

// recordError keeps a failed read's error on the corporation, its members
// untouched.
func (t *Tracking) recordError(ctx context.Context, d Director, cause error, now time.Time) error {
	msg := cause.Error()
	if len(msg) > maxError {
		msg = msg[:maxError]
	}
	if _, err := t.db.Exec(ctx, `INSERT INTO tracking_corporations (corporation_id, name, director_id, error, error_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (corporation_id) DO UPDATE SET director_id = $3, error = $4, error_at = $5`,
		d.CorporationID, strconv.Itoa(int(d.CorporationID)), d.CharacterID, msg, now); err != nil {
		return fmt.Errorf("tracking: record error of %d: %w", d.CorporationID, err)
	}
	return nil
}

// updateCorporation reads one corporation and stores it in one
// transaction, returning the members stored. name is the corporation's
// name as stored, "" to look it up (renames are rare: the affiliations
// job keeps Keepstar's names current, this one only needs a label).
func (t *Tracking) updateCorporation(ctx context.Context, d Director, name string, now time.Time, pass *sharedPass) (int, error) {
	res, err := t.esi.Get(ctx, esi.Request{Route: "GET /corporations/{corporation_id}/membertracking",
		Path: "/corporations/" + strconv.Itoa(int(d.CorporationID)) + "/membertracking", CharacterID: d.CharacterID, Login: logins.Tracking})
	if err != nil {
		return 0, err
	}
	var members []tracked
	if err := json.Unmarshal(res.Body, &members); err != nil {
		return 0, fmt.Errorf("tracking: membertracking of %d: %w", d.CorporationID, err)
	}
	if name == "" {
		corp, err := t.esi.Corporation(ctx, d.CorporationID)
		if err != nil {
			return 0, err
		}
		name = corp.Name
	}
	names, err := t.characterNames(ctx, d.CorporationID, members)
	if err != nil {
		return 0, err
	}
	resolved, err := t.resolve(ctx, d, members, now, pass)
	if err != nil {
		return 0, err
	}
	// One corporation stores at a time (the reads overlap): members moving
	// between corporations read in the same pass are then deleted and
	// inserted in order, never locked crosswise.
	pass.store.Lock()
	defer pass.store.Unlock()
	err = t.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO tracking_corporations (corporation_id, name, director_id, fetched_at, expires_at, error)
			VALUES ($1, $2, $3, $4, $5, '')
			ON CONFLICT (corporation_id) DO UPDATE SET name = $2, director_id = $3, fetched_at = $4, expires_at = $5, error = '', error_at = NULL`,
			d.CorporationID, name, d.CharacterID, now, res.Expires); err != nil {
			return err
		}
		for _, n := range resolved {
			if _, err := tx.Exec(ctx, `INSERT INTO tracking_names (kind, id, name, expires_at, error_count, error_at)
				VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (kind, id) DO UPDATE SET name = CASE WHEN $3 = '' THEN tracking_names.name ELSE $3 END,
					expires_at = $4, error_count = $5, error_at = $6`,
				n.kind, n.id, n.name, n.expires, n.errors, n.errorAt); err != nil {
				return err
			}
		}
		stored, err := storedMembers(ctx, tx, d.CorporationID)
		if err != nil {
			return err
		}
		listed := make(map[int32]bool, len(members))
		var changed []tracked
		for _, m := range members {
			listed[m.CharacterID] = true
			if old, ok := stored[m.CharacterID]; !ok || old != rowOf(m, names[m.CharacterID], old.name) {
				changed = append(changed, m)
			}
		}
		// Those who left: every member not listed now.
		var gone []int32
		for id := range stored {
			if !listed[id] {
				gone = append(gone, id)
			}
		}
		// Only while still this corporation's: another one stored in the
		// same pass may have taken the member in since.
		for in, args := range store.InChunks(gone, d.CorporationID) {
			if _, err := tx.Exec(ctx, `DELETE FROM tracking_members WHERE corporation_id = $1 AND character_id IN (`+in+`)`, args...); err != nil {
				return err
			}
		}
		return upsertMembers(ctx, tx, d.CorporationID, changed, names, now)
	})
	if err != nil {
		return 0, fmt.Errorf("tracking: store members of %d: %w", d.CorporationID, err)
	}
	return len(members), nil
}

// memberRow is what a pass compares of a stored member: a member whose
// row is unchanged is not written again (most of a corporation, hour to
// hour), so updated_at is when its row last changed.
type memberRow struct {
	name                 string
	logon, logoff, start int64 // Unix seconds, 0 for none
	location             int64
	ship                 int32
}

func unix(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.Unix()
}

// rowOf is a member as it would be stored; a name not resolved this pass
// is the stored one.
func rowOf(m tracked, name, storedName string) memberRow {
	if name == "" {
		name = storedName
	}
	return memberRow{name: name, logon: unix(m.LogonDate), logoff: unix(m.LogoffDate), start: unix(m.StartDate),
		location: m.LocationID, ship: m.ShipTypeID}
}

// storedMembers reads a corporation's members as stored.
func storedMembers(ctx context.Context, q store.Querier, corp int32) (map[int32]memberRow, error) {
	out := map[int32]memberRow{}
	err := store.Each(ctx, q, `SELECT character_id, name, logon_at, logoff_at, start_date, COALESCE(location_id, 0), COALESCE(ship_type_id, 0)
		FROM tracking_members WHERE corporation_id = $1`, func(r store.Rows) error {
		var id int32
		var row memberRow
		var logon, logoff, start *time.Time
		if err := r.Scan(&id, &row.name, &logon, &logoff, &start, &row.location, &row.ship); err != nil {
			return err
		}
		row.logon, row.logoff, row.start = unix(logon), unix(logoff), unix(start)
		out[id] = row
		return nil
	}, corp)
	if err != nil {
		return nil, fmt.Errorf("tracking: members stored of %d: %w", corp, err)
	}
	return out, nil
}

// memberBatch is how many members one statement stores on SQLite: 9
// values each, well under its limit on a statement's values.
const memberBatch = 500

// memberUpsert is what a member's insert does when the character is stored
// already. A name not resolved this pass (”) keeps the one stored.
const memberUpsert = ` ON CONFLICT (character_id) DO UPDATE SET corporation_id = excluded.corporation_id,
	name = CASE WHEN excluded.name = '' THEN tracking_members.name ELSE excluded.name END,
	logon_at = excluded.logon_at, logoff_at = excluded.logoff_at, location_id = excluded.location_id,
	ship_type_id = excluded.ship_type_id, start_date = excluded.start_date, updated_at = excluded.updated_at`

// upsertMembers stores members: a corporation of thousands is a handful of
// statements, not thousands. On PostgreSQL it is one statement over arrays,
// whatever the size: a statement of thousands of parameters costs more to
// prepare than to run (the first pass of 50 corporations of 2,000 spent
// 3.3 s of its 5.9 s in those statements).
func upsertMembers(ctx context.Context, tx *store.Tx, corp int32, members []tracked, names map[int32]string, now time.Time) error {
	if len(members) == 0 {
		return nil
	}
	if tx.Dialect() == config.Postgres {
		return upsertMembersArrays(ctx, tx, corp, members, names, now)
	}
	for start := 0; start < len(members); start += memberBatch {
		batch := members[start:min(start+memberBatch, len(members))]
		var b strings.Builder
		args := make([]any, 0, len(batch)*9)
		for i, m := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + store.Marks(tx.Dialect(), len(args)+1, 9) + ")")
			args = append(args, m.CharacterID, corp, names[m.CharacterID], m.LogonDate, m.LogoffDate, nullZero(m.LocationID),
				nullZero(int64(m.ShipTypeID)), m.StartDate, now)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tracking_members (character_id, corporation_id, name, logon_at, logoff_at, location_id,
			ship_type_id, start_date, updated_at) VALUES `+b.String()+memberUpsert, args...); err != nil {
			return err
		}
	}
	return nil
}

// upsertMembersArrays is upsertMembers on PostgreSQL: one column array per
// value, unnested into rows.
func upsertMembersArrays(ctx context.Context, tx *store.Tx, corp int32, members []tracked, names map[int32]string, now time.Time) error {
	n := len(members)
	ids, locations, ships := make([]int64, n), make([]*int64, n), make([]*int64, n)
	memberNames := make([]string, n)
	logons, logoffs, starts := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	for i, m := range members {
		ids[i], memberNames[i] = int64(m.CharacterID), names[m.CharacterID]
		logons[i], logoffs[i], starts[i] = m.LogonDate, m.LogoffDate, m.StartDate
		locations[i], ships[i] = nullZero(m.LocationID), nullZero(int64(m.ShipTypeID))
	}
	_, err := tx.Exec(ctx, `INSERT INTO tracking_members (character_id, corporation_id, name, logon_at, logoff_at, location_id,
		ship_type_id, start_date, updated_at)
		SELECT u.id, $1, u.name, u.logon, u.logoff, u.location, u.ship, u.start, $2
		FROM unnest($3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::bigint[], $9::timestamptz[])
			AS u (id, name, logon, logoff, location, ship, start)`+memberUpsert,
		corp, now, ids, memberNames, logons, logoffs, locations, ships, starts)
	return err
}

func nullZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

// characterNames resolves the names of members not stored yet in the
// corporation (one who moved in from another tracked one is asked again:
// cheaper than a look-up of every member everywhere) (a
// character's name is kept once known: renames are rare and the accounts
// know the new one).
func (t *Tracking) characterNames(ctx context.Context, corp int32, members []tracked) (map[int32]string, error) {
	out := map[int32]string{}
	var missing []int32
	got, err := store.Column[int32](ctx, t.db, `SELECT character_id FROM tracking_members WHERE corporation_id = $1 AND name <> ''`, corp)
	if err != nil {
		return nil, fmt.Errorf("tracking: names known: %w", err)
	}
	known := make(map[int32]bool, len(got))
	for _, id := range got {
		known[id] = true
	}
	ids := make([]int32, len(members))
	for i, m := range members {
		ids[i] = m.CharacterID
	}
	for _, id := range ids {
		if !known[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	names, _, err := t.esi.Names(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		out[n.ID] = n.Name
	}
	return out, nil
}

// aName is a location's or type's name as resolved in a pass.
type aName struct {
	kind    string
	id      int64
	name    string
	expires time.Time
	errors  int
	errorAt *time.Time
}

// nameKey is a location or a type.
type nameKey struct {
	kind string
	id   int64
}

// sharedPass is what the corporations of one pass share: the locations
// and types asked of ESI already (corporations read at the same time share
// most of them, and each is asked once; the corporation that asked stores
// the answer), and the turn to store.
type sharedPass struct {
	mu    sync.Mutex // held through a corporation's resolve
	asked map[nameKey]bool
	store sync.Mutex // held through a corporation's transaction
}

// structureFloor is the lowest id of a player structure: lower location
// ids are solar systems and stations, which /universe/names resolves.
const structureFloor = 100_000_000

// resolve names the locations and ship types of members that are not
// known or whose names expired. Structures are read one by one with the
// director's token; one that fails is backed off (structureBackoff).
func (t *Tracking) resolve(ctx context.Context, d Director, members []tracked, now time.Time, pass *sharedPass) ([]aName, error) {
	type key = nameKey
	pass.mu.Lock()
	defer pass.mu.Unlock()
	wanted := map[key]bool{}
	for _, m := range members {
		if m.LocationID != 0 {
			wanted[key{"location", m.LocationID}] = true
		}
		if m.ShipTypeID != 0 {
			wanted[key{"type", int64(m.ShipTypeID)}] = true
		}
	}
	type stored struct {
		expires time.Time
		errors  int
		errorAt *time.Time
	}
	have := map[key]stored{}
	for _, kind := range []string{"location", "type"} {
		var ids []int64
		for k := range wanted {
			if k.kind == kind {
				ids = append(ids, k.id)
			}
		}
		for in, args := range store.InChunks(ids, kind) {
			err := store.Each(ctx, t.db, `SELECT id, expires_at, error_count, error_at FROM tracking_names WHERE kind = $1 AND id IN (`+in+`)`,
				func(r store.Rows) error {
					var id int64
					var s stored
					if err := r.Scan(&id, &s.expires, &s.errors, &s.errorAt); err != nil {
						return err
					}
					have[key{kind, id}] = s
					return nil
				}, args...)
			if err != nil {
				return nil, fmt.Errorf("tracking: names stored: %w", err)
			}
		}
	}
	backoff, err := t.structureBackoff(ctx)
	if err != nil {
		return nil, err
	}
	var bulk []int32
	var structures []int64
	for k := range wanted {
		s, ok := have[k]
		if ok && now.Before(s.expires) || pass.asked[k] {
			continue
		}
		pass.asked[k] = true
		if k.kind == "location" && k.id >= structureFloor {
			if ok && s.errors > 0 && s.errorAt != nil && now.Before(s.errorAt.Add(backoff.wait(s.errors))) {
				continue
			}
			structures = append(structures, k.id)
			continue
		}
		bulk = append(bulk, int32(k.id))
	}
	var out []aName
	if len(bulk) > 0 {
		slices.Sort(bulk)
		names, unresolved, err := t.esi.Names(ctx, bulk)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			kind := "location"
			if n.Category == "inventory_type" {
				kind = "type"
			}
			out = append(out, aName{kind: kind, id: int64(n.ID), name: n.Name, expires: now.Add(nameLife)})
		}
		for _, id := range unresolved {
			kind := "location"
			if wanted[key{"type", int64(id)}] {
				kind = "type"
			}
			// Unknown to ESI: asked again when the name expires, not
			// every pass.
			out = append(out, aName{kind: kind, id: int64(id), expires: now.Add(nameLife)})
		}
	}
	slices.Sort(structures)
	for _, id := range structures {
		var st struct {
			Name string `json:"name"`
		}
		res, err := t.esi.Get(ctx, esi.Request{Route: "GET /universe/structures/{structure_id}",
			Path: "/universe/structures/" + strconv.FormatInt(id, 10), CharacterID: d.CharacterID, Login: logins.Tracking})
		if err == nil {
			err = json.Unmarshal(res.Body, &st)
		}
		if err != nil {
			if ctx.Err() != nil || !refusedStructure(err) {
				return nil, err
			}
			at := now
			out = append(out, aName{kind: "location", id: id, expires: now, errors: have[key{"location", id}].errors + 1, errorAt: &at})
			continue
		}
		out = append(out, aName{kind: "location", id: id, name: st.Name, expires: now.Add(nameLife)})
	}
	return out, nil
}

// refusedStructure: the structure's name is not the director's to read
// (403: not on its access list; 404: gone), which Neucore backs off.
func refusedStructure(err error) bool {
	return errors.Is(err, esi.ErrForbidden) || errors.Is(err, esi.ErrNotFound)
}

// backoff is the setting tracking.structure_error_days, Neucore's
// fetch_structure_name_error_days: "3=7,10=30" waits 7 days after a
// structure's third failure, 30 after its tenth.
type backoff []struct{ errors, days int }

func (b backoff) wait(errors int) time.Duration {
	days := 0
	for _, s := range b {
		if errors >= s.errors {
			days = s.days
		}
	}
	return time.Duration(days) * 24 * time.Hour
}

// parseBackoff reads "3=7,10=30"; "" backs off nothing.
func parseBackoff(v string) (backoff, error) {
	var b backoff
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		e, d, ok := strings.Cut(part, "=")
		errs, err1 := strconv.Atoi(strings.TrimSpace(e))
		days, err2 := strconv.Atoi(strings.TrimSpace(d))
		if !ok || err1 != nil || err2 != nil || errs < 1 || days < 0 || days > 3650 {
			return nil, fmt.Errorf("%q is not errors=days", part)
		}
		if len(b) > 0 && errs <= b[len(b)-1].errors {
			return nil, fmt.Errorf("%q: error counts must increase", part)
		}
		b = append(b, struct{ errors, days int }{errs, days})
	}
	return b, nil
}
