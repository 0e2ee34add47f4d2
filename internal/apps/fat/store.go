package fat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
)

// Errors callers tell apart with errors.Is.
var (
	ErrNotFound = errors.New("fat: no such fatlink")
	ErrInvalid  = errors.New("fat: invalid fatlink")
)

// Limits of a fatlink: Alliance Auth's fleet name is 254 characters and
// its duration minutes without a bound; a day covers any fleet.
const (
	MaxFleet    = 254
	MaxDuration = 24 * 60
)

// Link is a fatlink.
type Link struct {
	ID          int64
	Hash        string
	Fleet       string
	CreatorName string
	Month       Month
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Records     int // on lists only
}

// Expired reports whether the link no longer records anyone.
func (l Link) Expired(now time.Time) bool { return !now.Before(l.ExpiresAt) }

// Month is a calendar month of EVE time (UTC) as year*100+month: 202612.
type Month int

// MonthOf gives t's month in UTC.
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return Month(t.Year()*100 + int(t.Month()))
}

// ParseMonth reads "2026-12".
func ParseMonth(s string) (Month, bool) {
	y, m, ok := strings.Cut(s, "-")
	year, err1 := strconv.Atoi(y)
	month, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(y) != 4 || len(m) != 2 || year < 2003 || month < 1 || month > 12 {
		return 0, false
	}
	return Month(year*100 + month), true
}

// String writes the month as ParseMonth reads it.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", int(m)/100, int(m)%100) }

// Prev and Next are the months around m.
func (m Month) Prev() Month {
	if m%100 == 1 {
		return m - 100 + 11
	}
	return m - 1
}

func (m Month) Next() Month {
	if m%100 == 12 {
		return m + 100 - 11
	}
	return m + 1
}

// LinkInput is a fatlink as the form gives it.
type LinkInput struct {
	Fleet    string
	Duration string // minutes
}

// Check validates an input, every problem at once.
func (in LinkInput) Check() (fleet string, minutes int, err error) {
	var ps i18n.Problems
	fleet = strings.TrimSpace(in.Fleet)
	switch {
	case fleet == "":
		ps.Add("fleet", "fat.error.fleet_required")
	case utf8.RuneCountInString(fleet) > MaxFleet:
		ps.Add("fleet", "fat.error.fleet_long", "Max", MaxFleet)
	}
	minutes, convErr := strconv.Atoi(strings.TrimSpace(in.Duration))
	if convErr != nil || minutes < 1 || minutes > MaxDuration {
		ps.Add("duration", "fat.error.duration", "Max", MaxDuration)
	}
	return fleet, minutes, ps.Err(ErrInvalid)
}

// CreateLink makes a fatlink of in, by the account creator (main's name
// creatorName), that expires after its duration.
func (f *FAT) CreateLink(ctx context.Context, in LinkInput, creator int64, creatorName string) (Link, error) {
	fleet, minutes, err := in.Check()
	if err != nil {
		return Link{}, err
	}
	var b [16]byte
	rand.Read(b[:])
	now := f.now().UTC().Truncate(time.Second)
	l := Link{Hash: hex.EncodeToString(b[:]), Fleet: fleet, CreatorName: creatorName, Month: MonthOf(now), CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(minutes) * time.Minute)}
	var creatorID *int64
	if creator != 0 {
		creatorID = &creator
	}
	// In a transaction: a write that reads back on SQLite's one writer.
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO fat_links (hash, fleet, creator_id, creator_name, month, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, l.Hash, l.Fleet, creatorID, l.CreatorName, int(l.Month), l.CreatedAt, l.ExpiresAt).Scan(&l.ID)
	})
	if err != nil {
		return Link{}, fmt.Errorf("fat: create link: %w", err)
	}
	return l, nil
}

const linkColumns = `l.id, l.hash, l.fleet, l.creator_name, l.month, l.created_at, l.expires_at`

func scanLink(r store.Row, extra ...any) (Link, error) {
	var l Link
	var month int
	err := r.Scan(append([]any{&l.ID, &l.Hash, &l.Fleet, &l.CreatorName, &month, &l.CreatedAt, &l.ExpiresAt}, extra...)...)
	l.Month = Month(month)
	return l, err
}

// LinkByHash reads the link of a hash; ErrNotFound when none.
func LinkByHash(ctx context.Context, q store.Querier, hash string) (Link, error) {
	return oneLink(ctx, q, `SELECT `+linkColumns+` FROM fat_links l WHERE l.hash = $1`, hash)
}

// LinkByID reads a link; ErrNotFound when none.
func LinkByID(ctx context.Context, q store.Querier, id int64) (Link, error) {
	return oneLink(ctx, q, `SELECT `+linkColumns+` FROM fat_links l WHERE l.id = $1`, id)
}

func oneLink(ctx context.Context, q store.Querier, query string, arg any) (Link, error) {
	l, err := scanLink(q.QueryRow(ctx, query, arg))
	if errors.Is(err, store.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("fat: link: %w", err)
	}
	return l, nil
}

// Links lists the latest links, newest first, with their record counts.
func Links(ctx context.Context, q store.Querier, limit int) ([]Link, error) {
	out, err := store.Collect(ctx, q, `SELECT `+linkColumns+`, (SELECT count(*) FROM fat_records r WHERE r.link_id = l.id)
		FROM fat_links l ORDER BY l.created_at DESC, l.id DESC LIMIT $1`, func(r store.Rows, l *Link) (err error) {
		*l, err = scanLink(r, &l.Records)
		return err
	}, limit)
	if err != nil {
		return nil, fmt.Errorf("fat: links: %w", err)
	}
	return out, nil
}

// Record is one participation.
type Record struct {
	LinkID          int64
	Fleet           string // the link's, on a member's list
	CharacterID     int32
	CharacterName   string
	CorporationID   int32 // 0: not known to Keepstar
	CorporationName string
	SystemID        int32
	SystemName      string
	ShipTypeID      int32
	ShipTypeName    string
	LocationID      int64 // station or structure; 0 in space
	LocationName    string
	Source          string // "link" (the member opened it) or "fleet" (ESI fleet import)
	RecordedAt      time.Time
}

const recordColumns = `r.link_id, l.fleet, r.character_id, r.character_name, r.corporation_id, COALESCE(c.name, ''), r.system_id,
	r.system_name, r.ship_type_id, r.ship_type_name, COALESCE(r.location_id, 0), r.location_name, r.source, r.recorded_at
	FROM fat_records r JOIN fat_links l ON l.id = r.link_id LEFT JOIN eve_corporations c ON c.id = r.corporation_id`

func scanRecord(r store.Rows, x *Record) error {
	return r.Scan(&x.LinkID, &x.Fleet, &x.CharacterID, &x.CharacterName, &x.CorporationID, &x.CorporationName, &x.SystemID,
		&x.SystemName, &x.ShipTypeID, &x.ShipTypeName, &x.LocationID, &x.LocationName, &x.Source, &x.RecordedAt)
}

// LinkRecords lists a link's records by character name.
func LinkRecords(ctx context.Context, q store.Querier, link int64) ([]Record, error) {
	out, err := store.Collect(ctx, q, `SELECT `+recordColumns+` WHERE r.link_id = $1 ORDER BY lower(r.character_name), r.character_id`, scanRecord, link)
	if err != nil {
		return nil, fmt.Errorf("fat: records of link %d: %w", link, err)
	}
	return out, nil
}

// AccountRecords lists the records of the characters on an account in a
// month, newest first: a member's own fleets (Alliance Auth's personal
// statistics follow the user, whose characters these are).
func AccountRecords(ctx context.Context, q store.Querier, account int64, m Month) ([]Record, error) {
	out, err := store.Collect(ctx, q, `SELECT `+recordColumns+` WHERE r.month = $2
		AND r.character_id IN (SELECT id FROM characters WHERE account_id = $1) ORDER BY r.recorded_at DESC, r.character_id`,
		scanRecord, account, int(m))
	if err != nil {
		return nil, fmt.Errorf("fat: records of account %d: %w", account, err)
	}
	return out, nil
}

// MonthCount is a month with a number of participations.
type MonthCount struct {
	Month Month
	Fats  int
}

// AccountMonths counts the participations of an account's characters per
// month, newest first (fat_records_character serves each character).
func AccountMonths(ctx context.Context, q store.Querier, account int64) ([]MonthCount, error) {
	out, err := store.Collect(ctx, q, `SELECT r.month, count(*) FROM fat_records r
		WHERE r.character_id IN (SELECT id FROM characters WHERE account_id = $1) GROUP BY r.month ORDER BY r.month DESC`,
		func(r store.Rows, x *MonthCount) error { return r.Scan(&x.Month, &x.Fats) }, account)
	if err != nil {
		return nil, fmt.Errorf("fat: months of account %d: %w", account, err)
	}
	return out, nil
}

// CorporationRow is a corporation's month.
type CorporationRow struct {
	ID         int32
	Name       string
	Fats       int
	Characters int
}

// Average is the participations per character who took part.
func (c CorporationRow) Average() string {
	if c.Characters == 0 {
		return "0"
	}
	return strconv.FormatFloat(float64(c.Fats)/float64(c.Characters), 'f', 2, 64)
}

// CorporationsOfMonth lists the corporations of a month, the most
// participations first: one row each of fat_corp_monthly.
func CorporationsOfMonth(ctx context.Context, q store.Querier, m Month) ([]CorporationRow, error) {
	out, err := store.Collect(ctx, q, `SELECT s.corporation_id, COALESCE(c.name, ''), s.fats, s.characters FROM fat_corp_monthly s
		LEFT JOIN eve_corporations c ON c.id = s.corporation_id WHERE s.month = $1 ORDER BY s.fats DESC, s.corporation_id`,
		func(r store.Rows, x *CorporationRow) error { return r.Scan(&x.ID, &x.Name, &x.Fats, &x.Characters) }, int(m))
	if err != nil {
		return nil, fmt.Errorf("fat: corporations of %s: %w", m, err)
	}
	return out, nil
}

// MemberRow is a character's month.
type MemberRow struct {
	CharacterID     int32
	Name            string
	CorporationID   int32
	CorporationName string
	Fats            int
}

// TopOfMonth lists the n characters of a month with the most
// participations, ties the newest character first: the order
// fat_monthly_top gives walked backwards, so that only n rows are read.
func TopOfMonth(ctx context.Context, q store.Querier, m Month, n int) ([]MemberRow, error) {
	out, err := store.Collect(ctx, q, `SELECT s.character_id, s.character_name, s.corporation_id, COALESCE(c.name, ''), s.fats
		FROM fat_monthly s LEFT JOIN eve_corporations c ON c.id = s.corporation_id
		WHERE s.month = $1 ORDER BY s.fats DESC, s.character_id DESC LIMIT $2`, scanMember, int(m), n)
	if err != nil {
		return nil, fmt.Errorf("fat: top of %s: %w", m, err)
	}
	return out, nil
}

// CorporationMembers lists a corporation's characters of a month, the
// most participations first.
func CorporationMembers(ctx context.Context, q store.Querier, corp int32, m Month) ([]MemberRow, error) {
	out, err := store.Collect(ctx, q, `SELECT s.character_id, s.character_name, s.corporation_id, COALESCE(c.name, ''), s.fats
		FROM fat_monthly s LEFT JOIN eve_corporations c ON c.id = s.corporation_id
		WHERE s.month = $1 AND s.corporation_id = $2 ORDER BY s.fats DESC, lower(s.character_name), s.character_id`, scanMember, int(m), corp)
	if err != nil {
		return nil, fmt.Errorf("fat: members of %d in %s: %w", corp, m, err)
	}
	return out, nil
}

func scanMember(r store.Rows, x *MemberRow) error {
	return r.Scan(&x.CharacterID, &x.Name, &x.CorporationID, &x.CorporationName, &x.Fats)
}

// recordBatch is how many records one statement writes on SQLite: 13
// values each, under its limit of a statement's values.
const recordBatch = 500

// insertRecords writes records of a link, leaving out characters recorded
// already, and adds those written to the month's statistics, all in tx. It
// gives the records written.
func insertRecords(ctx context.Context, tx *store.Tx, l Link, recs []Record) ([]Record, error) {
	var written []Record
	byID := make(map[int32]Record, len(recs))
	for _, r := range recs {
		byID[r.CharacterID] = r
	}
	for start := 0; start < len(recs); start += recordBatch {
		batch := recs[start:min(start+recordBatch, len(recs))]
		var b strings.Builder
		args := make([]any, 0, len(batch)*13)
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + store.Marks(tx.Dialect(), len(args)+1, 13) + ")")
			var loc *int64
			if r.LocationID != 0 {
				loc = &r.LocationID
			}
			args = append(args, l.ID, r.CharacterID, r.CharacterName, r.CorporationID, int(l.Month), r.SystemID, r.SystemName,
				r.ShipTypeID, r.ShipTypeName, loc, r.LocationName, r.Source, r.RecordedAt)
		}
		ids, err := store.Column[int32](ctx, tx, `INSERT INTO fat_records (link_id, character_id, character_name, corporation_id,
			month, system_id, system_name, ship_type_id, ship_type_name, location_id, location_name, source, recorded_at)
			VALUES `+b.String()+` ON CONFLICT (link_id, character_id) DO NOTHING RETURNING character_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("fat: write records of link %d: %w", l.ID, err)
		}
		for _, id := range ids {
			written = append(written, byID[id])
		}
	}
	if err := addToStatistics(ctx, tx, l.Month, written); err != nil {
		return nil, err
	}
	return written, nil
}

// addToStatistics counts records just written into the monthly
// aggregates: one more for each character, and their corporations'
// totals summed again from their characters' rows.
func addToStatistics(ctx context.Context, tx *store.Tx, m Month, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	corps := map[int32]bool{}
	var corpIDs []int32
	for start := 0; start < len(recs); start += recordBatch {
		batch := recs[start:min(start+recordBatch, len(recs))]
		var b strings.Builder
		args := make([]any, 0, len(batch)*3)
		// The month is a number of ours, written in the statement: it
		// keeps SQLite's "?" placeholders alone in it (Marks).
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + strconv.Itoa(int(m)) + ", " + store.Marks(tx.Dialect(), len(args)+1, 3) + ", 1)")
			args = append(args, r.CorporationID, r.CharacterID, r.CharacterName)
			if !corps[r.CorporationID] {
				corps[r.CorporationID] = true
				corpIDs = append(corpIDs, r.CorporationID)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fat_monthly (month, corporation_id, character_id, character_name, fats)
			VALUES `+b.String()+` ON CONFLICT (month, corporation_id, character_id)
			DO UPDATE SET fats = fat_monthly.fats + 1, character_name = excluded.character_name`, args...); err != nil {
			return fmt.Errorf("fat: statistics of %s: %w", m, err)
		}
	}
	for in, args := range store.InChunks(corpIDs, int(m)) {
		if _, err := tx.Exec(ctx, `INSERT INTO fat_corp_monthly (month, corporation_id, fats, characters)
			SELECT month, corporation_id, sum(fats), count(*) FROM fat_monthly WHERE month = $1 AND corporation_id IN (`+in+`)
			GROUP BY month, corporation_id
			ON CONFLICT (month, corporation_id) DO UPDATE SET fats = excluded.fats, characters = excluded.characters`, args...); err != nil {
			return fmt.Errorf("fat: corporation statistics of %s: %w", m, err)
		}
	}
	return nil
}
