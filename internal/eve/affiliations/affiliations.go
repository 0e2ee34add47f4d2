package affiliations

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/store"
)

// ESI is what the package needs of the ESI client (*esi.Client).
type ESI interface {
	Affiliations(ctx context.Context, ids []int32) (affs []esi.Affiliation, unknown []int32, err error)
	Names(ctx context.Context, ids []int32) (names []esi.Name, unresolved []int32, err error)
	Corporation(ctx context.Context, id int32) (esi.Corporation, error)
	Alliance(ctx context.Context, id int32) (esi.Alliance, error)
}

var _ ESI = (*esi.Client)(nil)

// DefaultMaxAge is how old a corporation's or alliance's entry may grow
// before it is read again (see stale for the whole rule).
const DefaultMaxAge = 24 * time.Hour

// Directory keeps corporations and alliances.
type Directory struct {
	db       *store.DB
	esi      ESI
	now      func() time.Time
	maxAge   time.Duration
	follower func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error
}

// FollowWith makes f follow every change of a corporation's or alliance's
// name or ticker, told of the accounts whose main is in it (the services'
// names are made of them). It is set once, before the process serves or
// works.
func (d *Directory) FollowWith(f func(ctx context.Context, tx *store.Tx, accounts []int64, why string) error) {
	d.follower = f
}

// New makes a Directory; now nil means time.Now, maxAge 0 DefaultMaxAge.
func New(db *store.DB, client ESI, now func() time.Time, maxAge time.Duration) *Directory {
	if now == nil {
		now = time.Now
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Directory{db: db, esi: client, now: now, maxAge: maxAge}
}

// Lookup asks ESI which corporation, alliance and faction the characters are
// in, and makes sure their corporations and alliances are known and true.
// Ids ESI does not know as characters are left out (the sync records them:
// see unknown.go).
func (d *Directory) Lookup(ctx context.Context, characterIDs []int32) ([]esi.Affiliation, error) {
	affs, _, err := d.esi.Affiliations(ctx, characterIDs)
	if err != nil {
		return nil, fmt.Errorf("affiliations: %w", err)
	}
	if err := d.settle(ctx, newSettled(), affs); err != nil {
		return nil, err
	}
	return affs, nil
}

// Refresh reads the corporations and alliances that are new or stale from
// ESI and stores them. An entity ESI no longer knows (404) is skipped.
func (d *Directory) Refresh(ctx context.Context, corporations, alliances []int32) error {
	wants := make([]wantedCorporation, len(corporations))
	for i, id := range corporations {
		wants[i] = wantedCorporation{id: id}
	}
	return d.settleEntities(ctx, newSettled(), wants, alliances)
}

// settled is what one Lookup or sync has made sure of: the corporations and
// alliances checked against the database, and read from ESI where needed.
// A sync keeps one for all its chunks, so that a corporation met in every
// chunk is checked once a run; it holds a few bytes per corporation.
type settled struct {
	corporations map[int32]bool
	alliances    map[int32]bool
	// read counts the entities read from ESI.
	readCorporations, readAlliances int
}

func newSettled() *settled {
	return &settled{corporations: map[int32]bool{}, alliances: map[int32]bool{}}
}

// wantedCorporation is a corporation to be made sure of; shown tells
// whether an affiliation showed which alliance it is in (alliance).
type wantedCorporation struct {
	id       int32
	alliance int32
	shown    bool
}

// settle makes sure of the corporations and alliances the affiliations name.
func (d *Directory) settle(ctx context.Context, s *settled, affs []esi.Affiliation) error {
	var corps []wantedCorporation
	var alliances []int32
	for _, a := range affs {
		corps = append(corps, wantedCorporation{id: a.CorporationID, alliance: a.AllianceID, shown: true})
		if a.AllianceID != 0 {
			alliances = append(alliances, a.AllianceID)
		}
	}
	return d.settleEntities(ctx, s, corps, alliances)
}

// concurrency bounds the ESI calls of one settleEntities.
const concurrency = 8

// settleEntities reads from ESI, and stores, the corporations that are new,
// shown in another alliance than the one stored, or stale, then the
// alliances (those asked for and those the corporations read are in) that
// are new or stale. What was settled before in s is skipped. Everything
// read is stored in one transaction: an error leaves the tables as they
// were.
func (d *Directory) settleEntities(ctx context.Context, s *settled, corps []wantedCorporation, alliances []int32) error {
	now := d.now()
	corps = slices.DeleteFunc(corps, func(w wantedCorporation) bool { return w.id <= 0 || s.corporations[w.id] })
	// The first affiliation that shows a corporation speaks for it.
	slices.SortStableFunc(corps, func(a, b wantedCorporation) int { return cmp.Compare(a.id, b.id) })
	corps = slices.CompactFunc(corps, func(a, b wantedCorporation) bool { return a.id == b.id })
	ids := make([]int32, len(corps))
	for i, w := range corps {
		ids[i] = w.id
	}
	stored, err := d.stored(ctx, "eve_corporations", ids)
	if err != nil {
		return err
	}
	var readCorps []int32
	for _, w := range corps {
		e, ok := stored[w.id]
		if !ok || w.shown && e.alliance != w.alliance || d.stale(w.id, e, now) {
			readCorps = append(readCorps, w.id)
		}
	}
	corpInfo, err := read(ctx, readCorps, d.esi.Corporation)
	if err != nil {
		return err
	}

	for _, c := range corpInfo {
		if c != nil && c.AllianceID != 0 {
			alliances = append(alliances, c.AllianceID)
		}
	}
	alliances = slices.DeleteFunc(alliances, func(id int32) bool { return id <= 0 || s.alliances[id] })
	alliances = slices.Compact(slices.Sorted(slices.Values(alliances)))
	storedAlliances, err := d.stored(ctx, "eve_alliances", alliances)
	if err != nil {
		return err
	}
	var readAlliances []int32
	for _, id := range alliances {
		if e, ok := storedAlliances[id]; !ok || d.stale(id, e, now) {
			readAlliances = append(readAlliances, id)
		}
	}
	allianceInfo, err := read(ctx, readAlliances, d.esi.Alliance)
	if err != nil {
		return err
	}

	if len(readCorps)+len(readAlliances) > 0 {
		if err := d.store(ctx, readCorps, corpInfo, readAlliances, allianceInfo, d.now()); err != nil {
			return err
		}
	}
	for _, id := range ids {
		s.corporations[id] = true
	}
	for _, id := range alliances {
		s.alliances[id] = true
	}
	s.readCorporations += len(readCorps)
	s.readAlliances += len(readAlliances)
	return nil
}

// stale tells whether a stored entry is to be read again.
//
// ESI's answers for corporations and alliances expire after about an hour:
// an hourly sync that read every expired entry would read them all (20,000
// corporations on a large site) every run. The part of an entry that
// decides access, the alliance of a corporation, does not need that: every
// sync compares it with the characters' affiliations and reads a
// corporation shown in another alliance at once (settleEntities). The rest
// (names, tickers, factions) changes rarely, so an entry is read again only
// when ESI's answer has expired (before then ESI would repeat its cached
// answer) and the entry is older than maxAge, a day by default. An entry
// without an Expires (stored before it was kept) counts as expired.
//
// Entries read together, as on a new site, would all go stale in the same
// run a day later; the age limit grows with the id by up to a quarter of
// maxAge (six hours), which spreads those reads over several hourly runs.
func (d *Directory) stale(id int32, e entry, now time.Time) bool {
	if e.expires != nil && now.Before(*e.expires) {
		return false
	}
	limit := d.maxAge + d.maxAge/4*time.Duration(id%16)/16
	return now.Sub(e.updated) >= limit
}

// entry is what the stale rule and the alliance check need of a stored
// corporation or alliance.
type entry struct {
	alliance int32 // corporations only; 0: none
	updated  time.Time
	expires  *time.Time
}

// stored reads the entries of table among ids.
func (d *Directory) stored(ctx context.Context, table string, ids []int32) (map[int32]entry, error) {
	out := make(map[int32]entry, len(ids))
	alliance := "0"
	if table == "eve_corporations" {
		alliance = "COALESCE(alliance_id, 0)"
	}
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, d.db, `SELECT id, `+alliance+`, updated_at, expires_at FROM `+table+`
			WHERE id IN (`+list+`)`, func(rows store.Rows) error {
			var id int32
			var e entry
			err := rows.Scan(&id, &e.alliance, &e.updated, &e.expires)
			out[id] = e
			return err
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("affiliations: %s: %w", table, err)
		}
	}
	return out, nil
}

// read asks ESI for each id, concurrency at once. An id ESI does not know
// (404) gives nil; any other error stops the reading and is returned.
func read[T any](ctx context.Context, ids []int32, get func(context.Context, int32) (T, error)) ([]*T, error) {
	out := make([]*T, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	for i, id := range ids {
		g.Go(func() error {
			v, err := get(gctx, id)
			if errors.Is(err, esi.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("affiliations: read %d: %w", id, err)
			}
			out[i] = &v
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// store writes the corporations and alliances read, in one transaction.
func (d *Directory) store(ctx context.Context, corpIDs []int32, corps []*esi.Corporation, allianceIDs []int32, alliances []*esi.Alliance, now time.Time) error {
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		renamedCorps, renamedAlliances, err := d.renamed(ctx, tx, corpIDs, corps, allianceIDs, alliances)
		if err != nil {
			return err
		}
		for i, c := range corps {
			if c == nil {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, alliance_id, faction_id, updated_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET name = excluded.name, ticker = excluded.ticker,
				alliance_id = excluded.alliance_id, faction_id = excluded.faction_id, updated_at = excluded.updated_at,
				expires_at = excluded.expires_at`,
				corpIDs[i], c.Name, c.Ticker, nullID(c.AllianceID), nullID(c.FactionID), now, nullTime(c.Expires)); err != nil {
				return fmt.Errorf("affiliations: store corporation %d: %w", corpIDs[i], err)
			}
		}
		for i, a := range alliances {
			if a == nil {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO eve_alliances (id, name, ticker, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, ticker = excluded.ticker, updated_at = excluded.updated_at,
				expires_at = excluded.expires_at`,
				allianceIDs[i], a.Name, a.Ticker, now, nullTime(a.Expires)); err != nil {
				return fmt.Errorf("affiliations: store alliance %d: %w", allianceIDs[i], err)
			}
		}
		if d.follower == nil || len(renamedCorps)+len(renamedAlliances) == 0 {
			return nil
		}
		var accounts []int64
		for column, ids := range map[string][]int32{"corporation_id": renamedCorps, "alliance_id": renamedAlliances} {
			for list, args := range store.InChunks(ids) {
				ids, err := store.Column[int64](ctx, tx, `SELECT account_id FROM characters WHERE main AND `+column+` IN (`+list+`)`, args...)
				if err != nil {
					return fmt.Errorf("affiliations: renamed: %w", err)
				}
				accounts = append(accounts, ids...)
			}
		}
		return d.follower(ctx, tx, accounts, "corporation or alliance renamed")
	})
}

// renamed gives the corporations and alliances read whose name or ticker
// differs from what is stored (a new one is not renamed: the accounts
// whose main is in it were told when their main moved there).
func (d *Directory) renamed(ctx context.Context, tx *store.Tx, corpIDs []int32, corps []*esi.Corporation, allianceIDs []int32,
	alliances []*esi.Alliance) (renamedCorps, renamedAlliances []int32, err error) {
	if d.follower == nil {
		return nil, nil, nil
	}
	type named struct{ name, ticker string }
	diff := func(table string, ids []int32, read func(i int) (named, bool)) ([]int32, error) {
		stored := map[int32]named{}
		for list, args := range store.InChunks(ids) {
			err := store.Each(ctx, tx, `SELECT id, name, ticker FROM `+table+` WHERE id IN (`+list+`)`, func(rows store.Rows) error {
				var id int32
				var n named
				err := rows.Scan(&id, &n.name, &n.ticker)
				stored[id] = n
				return err
			}, args...)
			if err != nil {
				return nil, fmt.Errorf("affiliations: renamed: %w", err)
			}
		}
		var out []int32
		for i, id := range ids {
			n, ok := read(i)
			if old, known := stored[id]; ok && known && old != n {
				out = append(out, id)
			}
		}
		return out, nil
	}
	if renamedCorps, err = diff("eve_corporations", corpIDs, func(i int) (named, bool) {
		if corps[i] == nil {
			return named{}, false
		}
		return named{corps[i].Name, corps[i].Ticker}, true
	}); err != nil {
		return nil, nil, err
	}
	renamedAlliances, err = diff("eve_alliances", allianceIDs, func(i int) (named, bool) {
		if alliances[i] == nil {
			return named{}, false
		}
		return named{alliances[i].Name, alliances[i].Ticker}, true
	})
	return renamedCorps, renamedAlliances, err
}

func nullID(id int32) *int64 {
	if id == 0 {
		return nil
	}
	v := int64(id)
	return &v
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
