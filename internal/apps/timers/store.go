package timers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/i18n"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// The timer types, Alliance Auth's.
var TimerTypes = []string{"shield", "armor", "hull", "final", "anchoring", "unanchoring"}

// The objectives, Alliance Auth's.
var Objectives = []string{"friendly", "hostile", "neutral"}

// Structure is a structure type a timer may be of: its key (stored), its
// English name (for the calendar feed and Discord, read in every
// language) and the message id of its name on the pages.
type Structure struct {
	Key, Name, Label string
}

// Structures are the structure types offered, in the order the form
// lists them.
var Structures = []Structure{
	{"astrahus", "Astrahus", "timers.structure.astrahus"},
	{"fortizar", "Fortizar", "timers.structure.fortizar"},
	{"keepstar", "Keepstar", "timers.structure.keepstar"},
	{"raitaru", "Raitaru", "timers.structure.raitaru"},
	{"azbel", "Azbel", "timers.structure.azbel"},
	{"sotiyo", "Sotiyo", "timers.structure.sotiyo"},
	{"athanor", "Athanor", "timers.structure.athanor"},
	{"tatara", "Tatara", "timers.structure.tatara"},
	{"ansiblex", "Ansiblex Jump Bridge", "timers.structure.ansiblex"},
	{"pharolux", "Pharolux Cyno Beacon", "timers.structure.pharolux"},
	{"tenebrex", "Tenebrex Cyno Jammer", "timers.structure.tenebrex"},
	{"metenox", "Metenox Moon Drill", "timers.structure.metenox"},
	{"skyhook", "Orbital Skyhook", "timers.structure.skyhook"},
	{"sov_hub", "Sovereignty Hub", "timers.structure.sov_hub"},
	{"customs_office", "Customs Office", "timers.structure.customs_office"},
	{"mercenary_den", "Mercenary Den", "timers.structure.mercenary_den"},
	{"pos_small", "Control Tower (small)", "timers.structure.pos_small"},
	{"pos_medium", "Control Tower (medium)", "timers.structure.pos_medium"},
	{"pos_large", "Control Tower (large)", "timers.structure.pos_large"},
	{"other", "Other", "timers.structure.other"},
}

// structureOf finds a structure type by its key.
func structureOf(key string) (Structure, bool) {
	for _, st := range Structures {
		if st.Key == key {
			return st, true
		}
	}
	return Structure{}, false
}

// StructureName is the English name of the timer's structure type.
func (t Timer) StructureName() string {
	st, _ := structureOf(t.Structure)
	return st.Name
}

// StructureLabel is the message id of the timer's structure type.
func (t Timer) StructureLabel() string {
	st, _ := structureOf(t.Structure)
	return st.Label
}

// The longest texts, in characters: Alliance Auth's column sizes, details
// longer since officers paste fits and notes there.
const (
	maxSystem  = 254
	maxPlanet  = 254
	maxOwner   = 254
	maxDetails = 2000
)

// listLength bounds each list of the page.
const listLength = 200

// Timer is a structure timer.
type Timer struct {
	ID         int64
	System     string
	PlanetMoon string
	Structure  string
	TimerType  string
	Objective  string
	EVETime    time.Time
	Important  bool
	Owner      string
	Details    string
	// CorporationID is set for a corporation-only timer.
	CorporationID int32
	CreatorID     int64
	CreatorName   string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	NotifiedAt    *time.Time
}

// Input is a timer as a member enters it, from the form.
type Input struct {
	System, PlanetMoon, Structure, TimerType, Objective, Owner, Details string
	// EVETime is when it comes out, or zero when Remaining says.
	EVETime time.Time
	// Days, Hours and Minutes from now, Alliance Auth's entry.
	Days, Hours, Minutes int
	Important            bool
	CorporationOnly      bool
}

// ErrNotFound: no such timer the member may see.
var ErrNotFound = errors.New("timers: not found")

// errInvalid is an input with problems (i18n.InvalidError).
var errInvalid = errors.New("timers: invalid timer")

// check validates an input, every problem at once, and gives the time it
// names.
func check(in *Input, now time.Time) (time.Time, error) {
	var ps i18n.Problems
	text := func(field string, s *string, max int, required bool) {
		*s = strings.TrimSpace(strings.ReplaceAll(*s, "\r\n", "\n"))
		switch n := utf8.RuneCountInString(*s); {
		case n == 0 && required:
			ps.Add(field, "timers.error.required")
		case n > max:
			ps.Add(field, "timers.error.too_long", "Max", max, "Length", n)
		case !utf8.ValidString(*s):
			ps.Add(field, "timers.error.invalid_text")
		}
	}
	text("system", &in.System, maxSystem, true)
	text("planet_moon", &in.PlanetMoon, maxPlanet, false)
	text("owner", &in.Owner, maxOwner, false)
	text("details", &in.Details, maxDetails, false)
	if _, ok := structureOf(in.Structure); !ok {
		ps.Add("structure", "timers.error.structure")
	}
	if !slices.Contains(TimerTypes, in.TimerType) {
		ps.Add("timer_type", "timers.error.timer_type")
	}
	if !slices.Contains(Objectives, in.Objective) {
		ps.Add("objective", "timers.error.objective")
	}
	var at time.Time
	remaining := in.Days != 0 || in.Hours != 0 || in.Minutes != 0
	switch {
	case in.Days < 0 || in.Hours < 0 || in.Minutes < 0 || in.Days > 365 || in.Hours > 23*365 || in.Minutes > 59*365*24:
		ps.Add("remaining", "timers.error.remaining")
	case !in.EVETime.IsZero() && remaining:
		ps.Add("eve_time", "timers.error.both_times")
	case !in.EVETime.IsZero():
		at = in.EVETime.UTC()
		if at.Year() < 2003 || at.After(now.AddDate(2, 0, 0)) {
			ps.Add("eve_time", "timers.error.time_range")
		}
	case remaining:
		at = now.Add(time.Duration(in.Days)*24*time.Hour + time.Duration(in.Hours)*time.Hour + time.Duration(in.Minutes)*time.Minute)
	default:
		ps.Add("eve_time", "timers.error.no_time")
	}
	return at.Truncate(time.Second), ps.Err(errInvalid)
}

// mainCorporation gives the corporation of an account's main (0 without
// one).
func mainCorporation(ctx context.Context, q store.Querier, accountID int64) (int32, error) {
	var corp *int32
	err := q.QueryRow(ctx, `SELECT corporation_id FROM characters WHERE account_id = $1 AND main`, accountID).Scan(&corp)
	if errors.Is(err, store.ErrNoRows) || err == nil && corp == nil {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("timers: main's corporation: %w", err)
	}
	return *corp, nil
}

// visible is the condition on timers t a member sees, with its arguments
// numbered from n: every timer for a superuser, otherwise the timers of
// everyone and those of their main's corporation. It is the one rule of
// the pages, the calendar and the reminders.
func visible(v *web.Viewer, n int) (string, []any) {
	if v.Superuser {
		return "TRUE", nil
	}
	return fmt.Sprintf(`(t.corporation_id IS NULL OR t.corporation_id = (SELECT c.corporation_id FROM characters c
		WHERE c.account_id = $%d AND c.main))`, n), []any{v.AccountID}
}

const columns = `t.id, t.system, t.planet_moon, t.structure, t.timer_type, t.objective, t.eve_time, t.important, t.owner,
	t.details, COALESCE(t.corporation_id, 0), t.creator_id, t.creator_name, t.created_at, t.updated_at, t.notified_at`

func scan(row interface{ Scan(...any) error }) (Timer, error) {
	var tm Timer
	err := row.Scan(&tm.ID, &tm.System, &tm.PlanetMoon, &tm.Structure, &tm.TimerType, &tm.Objective, &tm.EVETime,
		&tm.Important, &tm.Owner, &tm.Details, &tm.CorporationID, &tm.CreatorID, &tm.CreatorName, &tm.CreatedAt,
		&tm.UpdatedAt, &tm.NotifiedAt)
	tm.EVETime, tm.CreatedAt, tm.UpdatedAt = tm.EVETime.UTC(), tm.CreatedAt.UTC(), tm.UpdatedAt.UTC()
	return tm, err
}

// list reads the timers a member sees matching cond (on t, arguments
// from $2; $1 is the member's), in order, at most limit.
func list(ctx context.Context, q store.Querier, v *web.Viewer, cond, order string, limit int, args ...any) ([]Timer, error) {
	vis, vargs := visible(v, 1)
	if vargs == nil {
		// Keep $1 taken (and typed) so that cond's numbering holds.
		vis, vargs = "(t.creator_id = $1 OR TRUE)", []any{v.AccountID}
	}
	query := `SELECT ` + columns + ` FROM timers t WHERE ` + vis + ` AND ` + cond + ` ORDER BY ` + order +
		fmt.Sprintf(` LIMIT %d`, limit)
	var out []Timer
	err := store.Each(ctx, q, query, func(rows store.Rows) error {
		tm, err := scan(rows)
		if err != nil {
			return err
		}
		out = append(out, tm)
		return nil
	}, append(vargs, args...)...)
	if err != nil {
		return nil, fmt.Errorf("timers: list: %w", err)
	}
	return out, nil
}

// Upcoming lists the timers a member sees that come out at now or later,
// soonest first; Past those that came out, latest first. Both read the
// eve_time index.
func (tm *Timers) Upcoming(ctx context.Context, v *web.Viewer, now time.Time) ([]Timer, error) {
	return list(ctx, tm.db, v, `t.eve_time >= $2`, `t.eve_time, t.id`, listLength, now)
}

func (tm *Timers) Past(ctx context.Context, v *web.Viewer, now time.Time) ([]Timer, error) {
	return list(ctx, tm.db, v, `t.eve_time < $2`, `t.eve_time DESC, t.id DESC`, listLength, now)
}

// Get reads one timer the member sees.
func (tm *Timers) Get(ctx context.Context, v *web.Viewer, id int64) (Timer, error) {
	out, err := list(ctx, tm.db, v, `t.id = $2`, `t.id`, 1, id)
	if err != nil {
		return Timer{}, err
	}
	if len(out) == 0 {
		return Timer{}, ErrNotFound
	}
	return out[0], nil
}

// Create checks and stores a new timer by v. A corporation-only timer is
// their main's corporation's.
func (tm *Timers) Create(ctx context.Context, v *web.Viewer, in Input) (Timer, error) {
	now := tm.now().UTC().Truncate(time.Second)
	at, err := check(&in, now)
	if err != nil {
		return Timer{}, err
	}
	var corp any
	if in.CorporationOnly {
		c, err := mainCorporation(ctx, tm.db, v.AccountID)
		if err != nil {
			return Timer{}, err
		}
		if c == 0 {
			var ps i18n.Problems
			ps.Add("corporation_only", "timers.error.no_corporation")
			return Timer{}, ps.Err(errInvalid)
		}
		corp = c
	}
	var id int64
	err = tm.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO timers (system, planet_moon, structure, timer_type, objective, eve_time, important,
		owner, details, corporation_id, creator_id, creator_name, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			in.System, in.PlanetMoon, in.Structure, in.TimerType, in.Objective, at, in.Important, in.Owner, in.Details, corp,
			v.AccountID, v.Name, now).Scan(&id)
	})
	if err != nil {
		return Timer{}, fmt.Errorf("timers: create: %w", err)
	}
	tm.logger.InfoContext(ctx, "timer added", "timer", id, "account", v.AccountID, "system", in.System, "eve_time", at)
	return tm.Get(ctx, v, id)
}

// Update checks and stores a change of a timer v sees. A timer whose time
// moved is reminded of again; one made corporation-only becomes v's main's
// corporation's, one that was stays its own corporation's.
func (tm *Timers) Update(ctx context.Context, v *web.Viewer, id int64, in Input) (Timer, error) {
	old, err := tm.Get(ctx, v, id)
	if err != nil {
		return Timer{}, err
	}
	now := tm.now().UTC().Truncate(time.Second)
	at, err := check(&in, now)
	if err != nil {
		return Timer{}, err
	}
	var corp any
	switch {
	case in.CorporationOnly && old.CorporationID != 0:
		corp = old.CorporationID
	case in.CorporationOnly:
		c, err := mainCorporation(ctx, tm.db, v.AccountID)
		if err != nil {
			return Timer{}, err
		}
		if c == 0 {
			var ps i18n.Problems
			ps.Add("corporation_only", "timers.error.no_corporation")
			return Timer{}, ps.Err(errInvalid)
		}
		corp = c
	}
	_, err = tm.db.Exec(ctx, `UPDATE timers SET system = $2, planet_moon = $3, structure = $4, timer_type = $5, objective = $6,
		eve_time = $7, important = $8, owner = $9, details = $10, corporation_id = $11, updated_at = $12,
		notified_at = CASE WHEN eve_time = $7 THEN notified_at END WHERE id = $1`,
		id, in.System, in.PlanetMoon, in.Structure, in.TimerType, in.Objective, at, in.Important, in.Owner, in.Details, corp, now)
	if err != nil {
		return Timer{}, fmt.Errorf("timers: update: %w", err)
	}
	tm.logger.InfoContext(ctx, "timer changed", "timer", id, "account", v.AccountID)
	return tm.Get(ctx, v, id)
}

// Delete removes a timer v sees.
func (tm *Timers) Delete(ctx context.Context, v *web.Viewer, id int64) error {
	if _, err := tm.Get(ctx, v, id); err != nil {
		return err
	}
	if _, err := tm.db.Exec(ctx, `DELETE FROM timers WHERE id = $1`, id); err != nil {
		return fmt.Errorf("timers: delete: %w", err)
	}
	tm.logger.InfoContext(ctx, "timer deleted", "timer", id, "account", v.AccountID)
	return nil
}

// mergeAccounts gives the loser's timers to the winner.
func mergeAccounts(ctx context.Context, q store.Querier, winner, loser int64) error {
	if _, err := q.Exec(ctx, `UPDATE timers SET creator_id = $1 WHERE creator_id = $2`, winner, loser); err != nil {
		return fmt.Errorf("timers: merge: %w", err)
	}
	return nil
}
