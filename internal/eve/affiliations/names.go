package affiliations

import (
	"context"
	"fmt"
	"time"

	"github.com/keepstar/keepstar/internal/store"
)

// Names change: a character's by a paid name change, a corporation's or an
// alliance's (and their tickers) when CCP renames them.
//
// Characters' names are compared with ESI's through POST /universe/names,
// a thousand to a request, within the affiliation sync: a character's name
// is due once a day (ESI caches a character's public information for a day,
// 86,400 s), the day growing with the id by up to a quarter (nameDue), so
// that a site whose names were all checked in one run spreads the next
// checks over several hourly runs. A site of 100,000 characters so makes
// about five requests an hour for names. universe/names has no rate-limit
// bucket; it costs only when it fails.
//
// Corporations and alliances, with their tickers, which universe/names does
// not give, are read again from /corporations/{id} and /alliances/{id} once
// ESI's answer has expired and the entry is a day old (stale), and at once
// when an affiliation shows a corporation in another alliance.

// nameDue tells whether a character's name is to be compared with ESI's.
func (d *Directory) nameDue(r characterRow, now time.Time) bool {
	if r.nameChecked == nil {
		return true
	}
	limit := d.maxAge + d.maxAge/4*time.Duration(r.id%16)/16
	return now.Sub(*r.nameChecked) >= limit
}

// checkNames asks ESI for the names of the characters due, has the changed
// ones applied, and records them all as checked. Ids universe/names cannot
// resolve are recorded as checked too: the affiliation lookup is what
// tells a character ESI does not know.
func (d *Directory) checkNames(ctx context.Context, apply Applier, due []int32, now time.Time, res *SyncResult) error {
	if len(due) == 0 {
		return nil
	}
	names, _, err := d.esi.Names(ctx, due)
	if err != nil {
		return fmt.Errorf("affiliations: names: %w", err)
	}
	byID := make(map[int32]string, len(names))
	for _, n := range names {
		if n.Category == "character" && n.Name != "" {
			byID[n.ID] = n.Name
		}
	}
	renamed, err := apply.ApplyNames(ctx, byID)
	if err != nil {
		return err
	}
	for list, args := range store.InChunks(due, now) {
		if _, err := d.db.Exec(ctx, `UPDATE characters SET name_checked_at = $1 WHERE id IN (`+list+`)`, args...); err != nil {
			return fmt.Errorf("affiliations: record names checked: %w", err)
		}
	}
	res.NamesChecked += len(due)
	res.Renamed += renamed
	return nil
}
