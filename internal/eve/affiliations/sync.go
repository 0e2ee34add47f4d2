package affiliations

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/store"
)

// Applier records what ESI says of characters (*accounts.Accounts): their
// affiliations (it moves characters between corporations, removes the
// biomassed, and has the access of the accounts concerned computed again)
// and their names (it renames them, and the accounts whose main they are).
// It applies each call in one transaction.
type Applier interface {
	ApplyAffiliations(ctx context.Context, affs []esi.Affiliation) ([]int32, error)
	ApplyNames(ctx context.Context, names map[int32]string) (int, error)
}

// maxUnknownIDs bounds SyncResult.UnknownIDs.
const maxUnknownIDs = 20

// DefaultChunk is how many characters one step of a sync looks up and
// applies: ten ESI calls of a thousand ids (run side by side by the ESI
// client), a few megabytes of memory, one transaction.
const DefaultChunk = 10_000

// SyncOptions shape a sync.
type SyncOptions struct {
	// Chunk is how many characters one step looks up and applies; 0 means
	// DefaultChunk.
	Chunk int
	// After resumes an interrupted sync: only the characters with a greater
	// id are looked up.
	After int32
	// Applied, when set, is told after each chunk is applied: how many
	// characters are done (those up to After included), of how many, and
	// the last id of the chunk, where a later sync may resume.
	Applied func(done, total int64, last int32)
}

// SyncResult tells what a sync did.
type SyncResult struct {
	// Characters looked up, and removed as biomassed.
	Characters, Removed int
	// Corporations and Alliances read from ESI (new, changed or stale).
	Corporations, Alliances int
	// Unknown: characters ESI refused as no character in this sync (found
	// so, or asked about again and still so); Known: characters recorded
	// so that ESI knows again.
	Unknown, Known int
	// UnknownIDs are the first of them (up to 20), for the log.
	UnknownIDs []int32
	// NamesChecked: characters whose names were compared with ESI's;
	// Renamed: those whose names had changed.
	NamesChecked, Renamed int
}

// Sync looks up the affiliation of every character Keepstar knows, in
// chunks of characters in the order of their ids. For each chunk it asks
// ESI for the affiliations, reads the corporations and alliances that are
// new, changed or stale (settleEntities), and hands the affiliations to
// apply, which writes what changed in one transaction. So memory stays
// bounded whatever the number of characters, and a sync stopped half-way
// (ESI's limits, an error, a shutdown) leaves every chunk applied fully or
// not at all: resumed with After, it goes on from the last chunk applied.
//
// Characters added during the sync are looked up if their id comes after
// the chunk being done (otherwise by the next sync); those removed during
// it are skipped by apply, which writes only to characters it finds.
func (d *Directory) Sync(ctx context.Context, apply Applier, opts SyncOptions) (SyncResult, error) {
	var res SyncResult
	chunk := cmp.Or(opts.Chunk, DefaultChunk)
	var total, done int64
	if err := d.db.QueryRow(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN id <= $1 THEN 1 ELSE 0 END), 0) FROM characters`,
		opts.After).Scan(&total, &done); err != nil {
		return res, fmt.Errorf("affiliations: count characters: %w", err)
	}
	s := newSettled()
	after := opts.After
	for {
		rows, err := d.characters(ctx, after, chunk)
		if err != nil {
			return res, err
		}
		if len(rows) == 0 {
			break
		}
		if err := d.syncChunk(ctx, apply, s, rows, &res); err != nil {
			return res, err
		}
		res.Characters += len(rows)
		res.Corporations, res.Alliances = s.readCorporations, s.readAlliances
		after = rows[len(rows)-1].id
		done += int64(len(rows))
		if opts.Applied != nil {
			opts.Applied(done, max(total, done), after)
		}
		if len(rows) < chunk {
			break
		}
	}
	if err := d.recheckUnknown(ctx, apply, s, &res); err != nil {
		return res, err
	}
	res.Corporations, res.Alliances = s.readCorporations, s.readAlliances
	return res, nil
}

// syncChunk looks up and applies the affiliations of one chunk of
// characters, records the ids ESI refused, and checks the names that are
// due.
func (d *Directory) syncChunk(ctx context.Context, apply Applier, s *settled, rows []characterRow, res *SyncResult) error {
	now := d.now()
	ask := make([]int32, 0, len(rows))
	for _, r := range rows {
		// An id ESI refused before would cost a dozen requests and errors
		// to isolate again: it is asked about alone (recheckUnknown).
		if r.unknownSince == nil {
			ask = append(ask, r.id)
		}
	}
	affs, unknown, err := d.esi.Affiliations(ctx, ask)
	if err != nil {
		return fmt.Errorf("affiliations: %w", err)
	}
	if err := d.applyKnown(ctx, apply, s, affs, res); err != nil {
		return err
	}
	if err := d.recordUnknown(ctx, unknown, now, res); err != nil {
		return err
	}
	var due []int32
	for _, r := range rows {
		if r.unknownSince == nil && !slices.Contains(unknown, r.id) && d.nameDue(r, now) {
			due = append(due, r.id)
		}
	}
	return d.checkNames(ctx, apply, due, now, res)
}

// applyKnown settles the corporations and alliances of affs and applies
// them to the characters.
func (d *Directory) applyKnown(ctx context.Context, apply Applier, s *settled, affs []esi.Affiliation, res *SyncResult) error {
	if err := d.settle(ctx, s, affs); err != nil {
		return err
	}
	removed, err := apply.ApplyAffiliations(ctx, affs)
	if err != nil {
		return err
	}
	res.Removed += len(removed)
	return nil
}

// recordUnknown records the ids ESI refused as no character, and counts
// them in res.
func (d *Directory) recordUnknown(ctx context.Context, unknown []int32, now time.Time, res *SyncResult) error {
	if len(unknown) == 0 {
		return nil
	}
	if err := d.markUnknown(ctx, unknown, now); err != nil {
		return err
	}
	res.Unknown += len(unknown)
	res.UnknownIDs = append(res.UnknownIDs, unknown[:min(len(unknown), maxUnknownIDs-len(res.UnknownIDs))]...)
	return nil
}

// characterRow is a character as a sync sees it.
type characterRow struct {
	id           int32
	unknownSince *time.Time
	nameChecked  *time.Time
}

// characters gives up to n characters after the id given, in order.
func (d *Directory) characters(ctx context.Context, after int32, n int) ([]characterRow, error) {
	out, err := store.Collect(ctx, d.db, `SELECT id, esi_unknown_since, name_checked_at FROM characters WHERE id > $1 ORDER BY id LIMIT $2`,
		func(rows store.Rows, r *characterRow) error { return rows.Scan(&r.id, &r.unknownSince, &r.nameChecked) }, after, n)
	if err != nil {
		return nil, fmt.Errorf("affiliations: characters: %w", err)
	}
	return out, nil
}
