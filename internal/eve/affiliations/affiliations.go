package affiliations

import (
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
	Affiliations(ctx context.Context, ids []int32) ([]esi.Affiliation, error)
	Corporation(ctx context.Context, id int32) (esi.Corporation, error)
	Alliance(ctx context.Context, id int32) (esi.Alliance, error)
}

var _ ESI = (*esi.Client)(nil)

// DefaultMaxAge is how long a corporation's or alliance's entry is used
// before it is read again.
const DefaultMaxAge = 24 * time.Hour

// Directory keeps corporations and alliances.
type Directory struct {
	db     *store.DB
	esi    ESI
	now    func() time.Time
	maxAge time.Duration
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
// in, and makes sure their corporations and alliances are known. Characters
// ESI does not know are left out, as ESI leaves them out.
func (d *Directory) Lookup(ctx context.Context, characterIDs []int32) ([]esi.Affiliation, error) {
	affs, err := d.esi.Affiliations(ctx, characterIDs)
	if err != nil {
		return nil, fmt.Errorf("affiliations: %w", err)
	}
	var corps, alliances []int32
	for _, a := range affs {
		corps = append(corps, a.CorporationID)
		if a.AllianceID != 0 {
			alliances = append(alliances, a.AllianceID)
		}
	}
	if err := d.Refresh(ctx, corps, alliances); err != nil {
		return nil, err
	}
	return affs, nil
}

// concurrency bounds the ESI calls of one Refresh.
const concurrency = 8

// Refresh reads the corporations and alliances that are new or stale from
// ESI and stores them. An entity ESI no longer knows (404) is skipped.
func (d *Directory) Refresh(ctx context.Context, corporations, alliances []int32) error {
	staleCorps, err := d.stale(ctx, "eve_corporations", corporations)
	if err != nil {
		return err
	}
	staleAlliances, err := d.stale(ctx, "eve_alliances", alliances)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	corpInfo := make([]*esi.Corporation, len(staleCorps))
	for i, id := range staleCorps {
		g.Go(func() error {
			c, err := d.esi.Corporation(gctx, id)
			if errors.Is(err, esi.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("affiliations: corporation %d: %w", id, err)
			}
			corpInfo[i] = &c
			return nil
		})
	}
	allianceInfo := make([]*esi.Alliance, len(staleAlliances))
	for i, id := range staleAlliances {
		g.Go(func() error {
			a, err := d.esi.Alliance(gctx, id)
			if errors.Is(err, esi.ErrNotFound) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("affiliations: alliance %d: %w", id, err)
			}
			allianceInfo[i] = &a
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	now := d.now()
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		for i, c := range corpInfo {
			if c == nil {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO eve_corporations (id, name, ticker, alliance_id, faction_id, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET name = excluded.name, ticker = excluded.ticker,
				alliance_id = excluded.alliance_id, faction_id = excluded.faction_id, updated_at = excluded.updated_at`,
				staleCorps[i], c.Name, c.Ticker, nullID(c.AllianceID), nullID(c.FactionID), now); err != nil {
				return fmt.Errorf("affiliations: store corporation %d: %w", staleCorps[i], err)
			}
		}
		for i, a := range allianceInfo {
			if a == nil {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO eve_alliances (id, name, ticker, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, ticker = excluded.ticker, updated_at = excluded.updated_at`,
				staleAlliances[i], a.Name, a.Ticker, now); err != nil {
				return fmt.Errorf("affiliations: store alliance %d: %w", staleAlliances[i], err)
			}
		}
		return nil
	})
}

// stale gives the ids of table not stored or stored before maxAge.
func (d *Directory) stale(ctx context.Context, table string, ids []int32) ([]int32, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil, nil
	}
	fresh := map[int32]bool{}
	for chunk := range slices.Chunk(ids, 500) {
		args := []any{d.now().Add(-d.maxAge)}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := d.db.Query(ctx, `SELECT id FROM `+table+` WHERE updated_at > $1 AND id IN (`+store.Placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("affiliations: %s: %w", table, err)
		}
		for rows.Next() {
			var id int32
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("affiliations: %s: %w", table, err)
			}
			fresh[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("affiliations: %s: %w", table, err)
		}
	}
	return slices.DeleteFunc(ids, func(id int32) bool { return fresh[id] }), nil
}

func nullID(id int32) *int64 {
	if id == 0 {
		return nil
	}
	v := int64(id)
	return &v
}
