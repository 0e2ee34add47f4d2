package affiliations

import (
	"cmp"
	"context"
	"fmt"

	"github.com/keepstar/keepstar/internal/eve/esi"
)

// Applier records affiliations on the characters (*accounts.Accounts): it
// moves characters between corporations, removes the biomassed, and has
// the access of the accounts concerned computed again. It applies each
// call's affiliations in one transaction.
type Applier interface {
	ApplyAffiliations(ctx context.Context, affs []esi.Affiliation) ([]int32, error)
}

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
		ids, err := d.characterIDs(ctx, after, chunk)
		if err != nil {
			return res, err
		}
		if len(ids) == 0 {
			break
		}
		affs, err := d.esi.Affiliations(ctx, ids)
		if err != nil {
			return res, fmt.Errorf("affiliations: %w", err)
		}
		if err := d.settle(ctx, s, affs); err != nil {
			return res, err
		}
		removed, err := apply.ApplyAffiliations(ctx, affs)
		if err != nil {
			return res, err
		}
		res.Characters += len(ids)
		res.Removed += len(removed)
		res.Corporations, res.Alliances = s.readCorporations, s.readAlliances
		after = ids[len(ids)-1]
		done += int64(len(ids))
		if opts.Applied != nil {
			opts.Applied(done, max(total, done), after)
		}
		if len(ids) < chunk {
			break
		}
	}
	return res, nil
}

// characterIDs gives up to n character ids after the id given, in order.
func (d *Directory) characterIDs(ctx context.Context, after int32, n int) ([]int32, error) {
	rows, err := d.db.Query(ctx, `SELECT id FROM characters WHERE id > $1 ORDER BY id LIMIT $2`, after, n)
	if err != nil {
		return nil, fmt.Errorf("affiliations: characters: %w", err)
	}
	defer rows.Close()
	ids := make([]int32, 0, n)
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("affiliations: characters: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("affiliations: characters: %w", err)
	}
	return ids, nil
}
