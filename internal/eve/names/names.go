package names

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keepstar/keepstar/internal/access"
	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/store"
)

// The kinds of EVE entities a field names.
const (
	Character   = "character"
	Corporation = "corporation"
	Alliance    = "alliance"
	Faction     = "faction"
)

// Kinds lists the kinds, in the order forms show them.
var Kinds = []string{Character, Corporation, Alliance, Faction}

// Match is an entity found by its name: what the widget shows of it.
type Match struct {
	ID   int32  `json:"id"`
	Name string `json:"name"`
	// Ticker is a corporation's or alliance's; a character's corporation's.
	Ticker string `json:"ticker,omitempty"`
	// Image is the portrait or logo on the EVE image server; none for a
	// faction.
	Image string `json:"image,omitempty"`
}

// ESI is what the package asks ESI (*esi.Client).
type ESI interface {
	ResolveNames(ctx context.Context, names []string) (esi.IDs, error)
}

// Refresher reads corporations and alliances from ESI into the directory
// (*affiliations.Directory), so that one found by its name shows with its
// ticker, and beside its id on the form's pages.
type Refresher interface {
	Refresh(ctx context.Context, corporations, alliances []int32) error
}

// Resolver finds entities by their names.
type Resolver struct {
	db     *store.DB
	esi    ESI
	dir    Refresher
	images string
	log    *slog.Logger
}

// New makes a Resolver. images is the EVE image server's URL, without a
// trailing slash; logger nil discards.
func New(db *store.DB, client ESI, dir Refresher, images string, logger *slog.Logger) *Resolver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Resolver{db: db, esi: client, dir: dir, images: strings.TrimSuffix(images, "/"), log: logger}
}

// ValidKind tells whether kind is one the package knows.
func ValidKind(kind string) bool { return slices.Contains(Kinds, kind) }

// MaxMatches bounds what one lookup gives.
const MaxMatches = 10

// minESIRunes is the shortest text asked of ESI: its matches are exact, and
// a name in EVE has at least three characters.
const minESIRunes = 3

// Search gives up to MaxMatches entities of kind whose name starts with q
// (regardless of case), or whose ticker or id is q, from what Keepstar
// knows; and the entity named exactly q through ESI when Keepstar does not
// know it yet. ESI failing is logged, not returned: the lookup is a help,
// and what Keepstar knows is still worth showing.
func (r *Resolver) Search(ctx context.Context, kind, q string) ([]Match, error) {
	q = strings.TrimSpace(q)
	if q == "" || !ValidKind(kind) {
		return nil, nil
	}
	out, err := r.local(ctx, kind, q)
	if err != nil {
		return nil, err
	}
	if kind == Faction || utf8.RuneCountInString(q) < minESIRunes || slices.ContainsFunc(out, func(m Match) bool { return strings.EqualFold(m.Name, q) }) {
		return out, nil
	}
	found, err := r.fromESI(ctx, kind, []string{q})
	if err != nil {
		r.log.WarnContext(ctx, "names: ESI could not resolve a name", "kind", kind, "error", err)
		return out, nil
	}
	for _, m := range found {
		if !slices.ContainsFunc(out, func(o Match) bool { return o.ID == m.ID }) {
			out = append([]Match{m}, out...) // the exact match first
		}
	}
	if len(out) > MaxMatches {
		out = out[:MaxMatches]
	}
	return out, nil
}

// likePattern makes a LIKE pattern matching what starts with q, lowered,
// its wildcards escaped (with \, which both engines take in ESCAPE).
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.ToLower(q)) + "%"
}

// local searches what Keepstar knows.
func (r *Resolver) local(ctx context.Context, kind, q string) ([]Match, error) {
	if kind == Faction {
		var out []Match
		for id, name := range access.FactionNames {
			if strings.HasPrefix(strings.ToLower(name), strings.ToLower(q)) || strconv.Itoa(int(id)) == q {
				out = append(out, Match{ID: id, Name: name})
			}
		}
		slices.SortFunc(out, func(a, b Match) int { return cmp.Compare(a.Name, b.Name) })
		return out, nil
	}
	id, _ := strconv.ParseInt(q, 10, 32)
	// Exact names and tickers first, then by name.
	var query string
	switch kind {
	case Character:
		query = `SELECT ch.id, ch.name, COALESCE(c.ticker, '') FROM characters ch LEFT JOIN eve_corporations c ON c.id = ch.corporation_id
			WHERE lower(ch.name) LIKE $1 ESCAPE '\' OR ch.id = $3
			ORDER BY CASE WHEN lower(ch.name) = $2 THEN 0 ELSE 1 END, ch.name LIMIT $4`
	case Corporation:
		query = `SELECT id, name, ticker FROM eve_corporations WHERE lower(name) LIKE $1 ESCAPE '\' OR lower(ticker) = $2 OR id = $3
			ORDER BY CASE WHEN lower(name) = $2 OR lower(ticker) = $2 THEN 0 ELSE 1 END, name LIMIT $4`
	case Alliance:
		query = `SELECT id, name, ticker FROM eve_alliances WHERE lower(name) LIKE $1 ESCAPE '\' OR lower(ticker) = $2 OR id = $3
			ORDER BY CASE WHEN lower(name) = $2 OR lower(ticker) = $2 THEN 0 ELSE 1 END, name LIMIT $4`
	}
	out, err := store.Collect(ctx, r.db, query, func(rows store.Rows, m *Match) error {
		return rows.Scan(&m.ID, &m.Name, &m.Ticker)
	}, likePattern(q), strings.ToLower(q), id, MaxMatches)
	if err != nil {
		return nil, fmt.Errorf("names: search %ss: %w", kind, err)
	}
	for i := range out {
		out[i].Image = r.Image(kind, out[i].ID)
	}
	return out, nil
}

// Image gives the portrait or logo of an entity; "" for a faction.
func (r *Resolver) Image(kind string, id int32) string {
	switch kind {
	case Character:
		return fmt.Sprintf("%s/characters/%d/portrait?size=64", r.images, id)
	case Corporation:
		return fmt.Sprintf("%s/corporations/%d/logo?size=64", r.images, id)
	case Alliance:
		return fmt.Sprintf("%s/alliances/%d/logo?size=64", r.images, id)
	}
	return ""
}

// fromESI resolves exact names of kind through ESI. Corporations and
// alliances found are read into the directory, so that they come with
// their tickers (and show by name on the forms' pages); a failure to read
// them only loses the ticker.
func (r *Resolver) fromESI(ctx context.Context, kind string, names []string) ([]Match, error) {
	ids, err := r.esi.ResolveNames(ctx, names)
	if err != nil {
		return nil, err
	}
	var out []Match
	var found []int32
	for _, e := range ids.Of(kind) {
		if e.ID > 0 {
			out = append(out, Match{ID: e.ID, Name: e.Name, Image: r.Image(kind, e.ID)})
			found = append(found, e.ID)
		}
	}
	if len(found) == 0 || r.dir == nil || kind != Corporation && kind != Alliance {
		return out, nil
	}
	var corps, alliances []int32
	if kind == Corporation {
		corps = found
	} else {
		alliances = found
	}
	if err := r.dir.Refresh(ctx, corps, alliances); err != nil {
		r.log.WarnContext(ctx, "names: could not read what ESI found", "kind", kind, "error", err)
		return out, nil
	}
	tickers, err := r.tickers(ctx, kind, found)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Ticker = tickers[out[i].ID]
	}
	return out, nil
}

// tickers reads the tickers of corporations or alliances the directory
// knows.
func (r *Resolver) tickers(ctx context.Context, kind string, ids []int32) (map[int32]string, error) {
	table := "eve_corporations"
	if kind == Alliance {
		table = "eve_alliances"
	}
	out := map[int32]string{}
	for list, args := range store.InChunks(ids) {
		err := store.Each(ctx, r.db, `SELECT id, ticker FROM `+table+` WHERE id IN (`+list+`)`, func(rows store.Rows) error {
			var id int32
			var t string
			err := rows.Scan(&id, &t)
			out[id] = t
			return err
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("names: tickers: %w", err)
		}
	}
	return out, nil
}
