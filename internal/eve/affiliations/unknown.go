package affiliations

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keepstar/keepstar/internal/store"
)

// What happens to a character ESI refuses as no character.
//
// ESI answers 404 for a whole affiliation request when one of its ids is no
// character (esi/esi-issues#719); the ESI client isolates such ids. EVE never
// deletes a character (a biomassed one stays known, in Doomheim), so an id
// ESI does not know as a character is most likely bad data, or ESI having a
// bad moment: never a reason to take a character from its account. Such a
// character keeps its account and its last known affiliation, and is
// recorded (characters.esi_unknown_since) for an administrator to look at:
// the operations page lists it, the log names it, and the metric
// keepstar_characters_unknown_to_esi counts it. Later syncs leave it out of
// the bulk requests (isolating it again would cost a dozen requests and
// errors every run) and ask about it alone, at most daily and
// recheckPerSync per run; once ESI knows it again, the record goes and its
// affiliation is applied as any other's.

// recheckAfter is how long a character ESI refused waits before it is asked
// about again.
const recheckAfter = 24 * time.Hour

// recheckPerSync bounds the characters asked about again in one sync: each
// one still unknown costs one of ESI's error limit (100 a minute).
const recheckPerSync = 10

// markUnknown records characters ESI refused.
func (d *Directory) markUnknown(ctx context.Context, ids []int32, now time.Time) error {
	for list, args := range store.InChunks(ids, now) {
		if _, err := d.db.Exec(ctx, `UPDATE characters SET esi_unknown_since = COALESCE(esi_unknown_since, $1), esi_unknown_checked_at = $1
			WHERE id IN (`+list+`)`, args...); err != nil {
			return fmt.Errorf("affiliations: record unknown characters: %w", err)
		}
	}
	return nil
}

// recheckUnknown asks ESI again about the characters it refused, one by
// one, those waiting longest first: the ones it knows again are applied and
// no longer recorded.
func (d *Directory) recheckUnknown(ctx context.Context, apply Applier, s *settled, res *SyncResult) error {
	now := d.now()
	ids, err := store.Column[int32](ctx, d.db, `SELECT id FROM characters WHERE esi_unknown_since IS NOT NULL
		AND (esi_unknown_checked_at IS NULL OR esi_unknown_checked_at <= $1) ORDER BY esi_unknown_checked_at, id LIMIT $2`,
		now.Add(-recheckAfter), recheckPerSync)
	if err != nil {
		return fmt.Errorf("affiliations: unknown characters: %w", err)
	}
	for _, id := range ids {
		affs, unknown, err := d.esi.Affiliations(ctx, []int32{id})
		if err != nil {
			return fmt.Errorf("affiliations: %w", err)
		}
		if len(unknown) > 0 {
			if err := d.recordUnknown(ctx, unknown, now, res); err != nil {
				return err
			}
			continue
		}
		if err := d.applyKnown(ctx, apply, s, affs, res); err != nil {
			return err
		}
		if _, err := d.db.Exec(ctx, `UPDATE characters SET esi_unknown_since = NULL, esi_unknown_checked_at = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("affiliations: clear unknown character %d: %w", id, err)
		}
		res.Known++
	}
	return nil
}

// UnknownCharacter is a character ESI refused as no character.
type UnknownCharacter struct {
	ID        int32
	Name      string
	AccountID int64
	// Since ESI first refused it; Checked when it was last asked.
	Since, Checked time.Time
}

// Unknown lists up to limit of the characters ESI refused, longest refused
// first, and how many there are in all.
func Unknown(ctx context.Context, db *store.DB, limit int) ([]UnknownCharacter, int, error) {
	var total int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM characters WHERE esi_unknown_since IS NOT NULL`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("affiliations: count unknown characters: %w", err)
	}
	out, err := store.Collect(ctx, db, `SELECT id, name, account_id, esi_unknown_since, esi_unknown_checked_at
		FROM characters WHERE esi_unknown_since IS NOT NULL ORDER BY esi_unknown_since, id LIMIT $1`, func(rows store.Rows, c *UnknownCharacter) error {
		var checked *time.Time
		err := rows.Scan(&c.ID, &c.Name, &c.AccountID, &c.Since, &checked)
		c.Checked = c.Since
		if checked != nil {
			c.Checked = *checked
		}
		return err
	}, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("affiliations: unknown characters: %w", err)
	}
	return out, total, nil
}

// Collector reports how many characters ESI refuses as no character, read
// from the database at each scrape, so every process reports the same.
type Collector struct {
	db     *store.DB
	logger *slog.Logger
	desc   *prometheus.Desc
}

// NewCollector gives the collector over db's characters.
func NewCollector(db *store.DB, logger *slog.Logger) *Collector {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{db: db, logger: logger, desc: prometheus.NewDesc("keepstar_characters_unknown_to_esi",
		"Characters whose id ESI's affiliation lookup refuses as no character; they keep their last known affiliation "+
			"(listed on the operations page).", nil, nil)}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var n int64
	if err := c.db.QueryRow(ctx, `SELECT count(*) FROM characters WHERE esi_unknown_since IS NOT NULL`).Scan(&n); err != nil {
		c.logger.WarnContext(ctx, "affiliations: metrics: count unknown characters", "error", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}
