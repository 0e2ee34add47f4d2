package fat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/keepstar/keepstar/internal/eve/esi"
	"github.com/keepstar/keepstar/internal/store"
)

// Why a participation is not recorded, told apart with errors.Is; each is
// a message to the member, not a failure of Keepstar's.
var (
	ErrExpired  = errors.New("fat: the fatlink has expired")
	ErrRecorded = errors.New("fat: the character is recorded on this fatlink already")
	ErrOffline  = errors.New("fat: the character is offline")
	ErrNoToken  = errors.New("fat: the character has no usable token")
	ErrNotBoss  = errors.New("fat: the character is not the boss of a fleet")
	// ErrESI wraps what ESI answered when it failed us: nothing was
	// written, the member may try again.
	ErrESI = errors.New("fat: ESI did not answer")
)

// Character is a character of a member's, with whether its token of the
// login in question can be used.
type Character struct {
	ID     int32
	Name   string
	Main   bool
	Token  bool // a valid token of the login
	Scopes bool // the token holds every scope needed
}

// Usable reports whether the character can be recorded or import a fleet.
func (c Character) Usable() bool { return c.Token && c.Scopes }

// AccountCharacters lists an account's characters, main first, with their
// token of login checked for scopes.
func AccountCharacters(ctx context.Context, q store.Querier, account int64, login string, scopes []string) ([]Character, error) {
	out, err := store.Collect(ctx, q, `SELECT c.id, c.name, c.main, COALESCE(t.validity, ''), COALESCE(t.scopes, '')
		FROM characters c LEFT JOIN eve_tokens t ON t.character_id = c.id AND t.login = $2
		WHERE c.account_id = $1 ORDER BY c.main DESC, lower(c.name), c.id`, func(r store.Rows, c *Character) error {
		var validity, have string
		if err := r.Scan(&c.ID, &c.Name, &c.Main, &validity, &have); err != nil {
			return err
		}
		c.Token = validity == "valid"
		granted := strings.Fields(have)
		c.Scopes = !slices.ContainsFunc(scopes, func(s string) bool { return !slices.Contains(granted, s) })
		return nil
	}, account, login)
	if err != nil {
		return nil, fmt.Errorf("fat: characters of account %d: %w", account, err)
	}
	return out, nil
}

// usableCharacter finds a character of the account that can act with
// login; ErrNoToken when it is not the account's or its token cannot.
func usableCharacter(ctx context.Context, q store.Querier, account int64, character int32, login string, scopes []string) (Character, error) {
	cs, err := AccountCharacters(ctx, q, account, login, scopes)
	if err != nil {
		return Character{}, err
	}
	for _, c := range cs {
		if c.ID == character && c.Usable() {
			return c, nil
		}
	}
	return Character{}, ErrNoToken
}

// esiFailed tells apart ESI failing us (down, limited, a server error)
// from an answer about the character: the first is ErrESI.
func esiFailed(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrESI, err)
}

// Click records a member's character from a link, as Alliance Auth's
// click_fatlink: online, location and ship from ESI with the character's
// token of the login fat.login, the names of the system, ship type and
// station or structure, and one record in one transaction. The link must
// not have expired, the character must be the account's and online.
func (f *FAT) Click(ctx context.Context, hash string, account int64, character int32) (Record, error) {
	l, err := LinkByHash(ctx, f.db, hash)
	if err != nil {
		return Record{}, err
	}
	now := f.now()
	if l.Expired(now) {
		return Record{}, ErrExpired
	}
	login, _, err := f.loginSettings(ctx)
	if err != nil {
		return Record{}, err
	}
	c, err := usableCharacter(ctx, f.db, account, character, login, ClickScopes)
	if err != nil {
		return Record{}, err
	}
	// Asked before ESI: a second click costs no calls.
	var n int
	if err := f.db.QueryRow(ctx, `SELECT count(*) FROM fat_records WHERE link_id = $1 AND character_id = $2`, l.ID, c.ID).Scan(&n); err != nil {
		return Record{}, fmt.Errorf("fat: recorded already: %w", err)
	}
	if n > 0 {
		return Record{}, ErrRecorded
	}
	path := "/characters/" + strconv.Itoa(int(c.ID))
	get := func(ctx context.Context, route, suffix string, v any) error {
		res, err := f.esi.Get(ctx, esi.Request{Route: route, Path: path + suffix, CharacterID: c.ID, Login: login})
		if err != nil {
			return esiFailed(err)
		}
		if err := json.Unmarshal(res.Body, v); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrESI, route, err)
		}
		return nil
	}
	var online struct {
		Online bool `json:"online"`
	}
	var location struct {
		SolarSystemID int32 `json:"solar_system_id"`
		StationID     int32 `json:"station_id"`
		StructureID   int64 `json:"structure_id"`
	}
	var ship struct {
		ShipTypeID int32 `json:"ship_type_id"`
	}
	// The three at once: a click waits for the slowest, not their sum.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return get(gctx, "GET /characters/{character_id}/online", "/online", &online) })
	g.Go(func() error { return get(gctx, "GET /characters/{character_id}/location", "/location", &location) })
	g.Go(func() error { return get(gctx, "GET /characters/{character_id}/ship", "/ship", &ship) })
	if err := g.Wait(); err != nil {
		return Record{}, err
	}
	if !online.Online {
		return Record{}, ErrOffline
	}
	ids := []int32{location.SolarSystemID, ship.ShipTypeID}
	if location.StationID != 0 {
		ids = append(ids, location.StationID)
	}
	names, err := f.names(ctx, ids, nil)
	if err != nil {
		return Record{}, err
	}
	rec := Record{LinkID: l.ID, Fleet: l.Fleet, CharacterID: c.ID, CharacterName: c.Name, SystemID: location.SolarSystemID,
		SystemName: names[int64(location.SolarSystemID)], ShipTypeID: ship.ShipTypeID, ShipTypeName: names[int64(ship.ShipTypeID)],
		Source: "link", RecordedAt: now.UTC()}
	switch {
	case location.StationID != 0:
		rec.LocationID, rec.LocationName = int64(location.StationID), names[int64(location.StationID)]
	case location.StructureID != 0:
		rec.LocationID = location.StructureID
		if rec.LocationName, err = f.structureName(ctx, location.StructureID, c.ID, login); err != nil {
			return Record{}, err
		}
	}
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(corporation_id, 0) FROM characters WHERE id = $1`, c.ID).Scan(&rec.CorporationID); err != nil {
			return err
		}
		written, err := insertRecords(ctx, tx, l, []Record{rec})
		if err != nil {
			return err
		}
		if len(written) == 0 {
			return ErrRecorded // a click at the same moment won
		}
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	return rec, nil
}

// structureName reads a structure's name with the member's token (Alliance
// Auth's click asks esi-universe.read_structures.v1 for it). A structure
// the character may not read (403) or gone (404) keeps no name: the
// participation counts all the same.
func (f *FAT) structureName(ctx context.Context, id int64, character int32, login string) (string, error) {
	if name, ok, err := storedName(ctx, f.db, id); err != nil || ok {
		return name, err
	}
	res, err := f.esi.Get(ctx, esi.Request{Route: "GET /universe/structures/{structure_id}",
		Path: "/universe/structures/" + strconv.FormatInt(id, 10), CharacterID: character, Login: login})
	if errors.Is(err, esi.ErrForbidden) || errors.Is(err, esi.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", esiFailed(err)
	}
	var st struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(res.Body, &st); err != nil {
		return "", fmt.Errorf("%w: structure %d: %w", ErrESI, id, err)
	}
	if _, err := f.db.Exec(ctx, `INSERT INTO fat_names (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2`, id, st.Name); err != nil {
		return "", fmt.Errorf("fat: keep name of %d: %w", id, err)
	}
	return st.Name, nil
}

func storedName(ctx context.Context, q store.Querier, id int64) (string, bool, error) {
	var name string
	err := q.QueryRow(ctx, `SELECT name FROM fat_names WHERE id = $1`, id).Scan(&name)
	if errors.Is(err, store.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("fat: stored name of %d: %w", id, err)
	}
	return name, true, nil
}

// names gives the names of systems, types and stations (kept in
// fat_names once asked) and of the characters in more (never kept: the
// accounts and member tracking know those Keepstar knows), asking ESI
// once, in one POST /universe/names, for all it lacks.
func (f *FAT) names(ctx context.Context, places []int32, more []int32) (map[int64]string, error) {
	out := map[int64]string{}
	var wanted []int32
	seen := map[int32]bool{}
	for _, id := range places {
		if id != 0 && !seen[id] {
			seen[id] = true
			wanted = append(wanted, id)
		}
	}
	for in, args := range store.InChunks(wanted) {
		err := store.Each(ctx, f.db, `SELECT id, name FROM fat_names WHERE id IN (`+in+`)`, func(r store.Rows) error {
			var id int64
			var name string
			if err := r.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = name
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("fat: stored names: %w", err)
		}
	}
	var ask []int32
	for _, id := range wanted {
		if _, ok := out[int64(id)]; !ok {
			ask = append(ask, id)
		}
	}
	keep := len(ask)
	ask = append(ask, more...)
	if len(ask) == 0 {
		return out, nil
	}
	got, _, err := f.esi.Names(ctx, ask)
	if err != nil {
		return nil, esiFailed(err)
	}
	var kept []esi.Name
	for _, n := range got {
		out[int64(n.ID)] = n.Name
		if slices.Contains(ask[:keep], n.ID) {
			kept = append(kept, n)
		}
	}
	for _, n := range kept {
		if _, err := f.db.Exec(ctx, `INSERT INTO fat_names (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2`,
			int64(n.ID), n.Name); err != nil {
			return nil, fmt.Errorf("fat: keep name of %d: %w", n.ID, err)
		}
	}
	return out, nil
}

// fleetMember is an entry of GET /fleets/{fleet_id}/members.
type fleetMember struct {
	CharacterID   int32 `json:"character_id"`
	ShipTypeID    int32 `json:"ship_type_id"`
	SolarSystemID int32 `json:"solar_system_id"`
	StationID     int64 `json:"station_id"`
}

// ImportResult is what an ESI fleet import did.
type ImportResult struct {
	Members  int // in the fleet
	Recorded int // new records (the others were recorded already)
	Unknown  int // members on no Keepstar account
}

// Import records every member of the fleet whose boss is character (one of
// the account's, with a token of the login fat.fleet_login): GET
// /characters/{id}/fleet for the fleet and the role, GET
// /fleets/{id}/members, and one POST /universe/names for what Keepstar
// does not know (characters on no account and not tracked, systems, ship
// types and stations not seen before). Members on no account are recorded
// too (see docs/decisions/0043-fleet-activity-tracking.md). All in one
// transaction; members recorded already are left as they are.
func (f *FAT) Import(ctx context.Context, linkID int64, account int64, character int32) (ImportResult, error) {
	var res ImportResult
	l, err := LinkByID(ctx, f.db, linkID)
	if err != nil {
		return res, err
	}
	now := f.now()
	if l.Expired(now) {
		return res, ErrExpired
	}
	_, login, err := f.loginSettings(ctx)
	if err != nil {
		return res, err
	}
	boss, err := usableCharacter(ctx, f.db, account, character, login, FleetScopes)
	if err != nil {
		return res, err
	}
	res1, err := f.esi.Get(ctx, esi.Request{Route: "GET /characters/{character_id}/fleet",
		Path: "/characters/" + strconv.Itoa(int(boss.ID)) + "/fleet", CharacterID: boss.ID, Login: login})
	if errors.Is(err, esi.ErrNotFound) {
		return res, ErrNotBoss
	}
	if err != nil {
		return res, esiFailed(err)
	}
	var cf struct {
		FleetID     int64  `json:"fleet_id"`
		FleetBossID int32  `json:"fleet_boss_id"`
		Role        string `json:"role"`
	}
	if err := json.Unmarshal(res1.Body, &cf); err != nil {
		return res, fmt.Errorf("%w: fleet of %d: %w", ErrESI, boss.ID, err)
	}
	// Only the boss may read the members: ESI answers anyone else 404.
	if cf.Role != "fleet_commander" || cf.FleetBossID != 0 && cf.FleetBossID != boss.ID {
		return res, ErrNotBoss
	}
	res2, err := f.esi.Get(ctx, esi.Request{Route: "GET /fleets/{fleet_id}/members",
		Path: "/fleets/" + strconv.FormatInt(cf.FleetID, 10) + "/members", CharacterID: boss.ID, Login: login})
	if errors.Is(err, esi.ErrNotFound) {
		return res, ErrNotBoss
	}
	if err != nil {
		return res, esiFailed(err)
	}
	var members []fleetMember
	if err := json.Unmarshal(res2.Body, &members); err != nil {
		return res, fmt.Errorf("%w: members of fleet %d: %w", ErrESI, cf.FleetID, err)
	}
	res.Members = len(members)
	ids := make([]int32, len(members))
	var places []int32
	for i, m := range members {
		ids[i] = m.CharacterID
		places = append(places, m.SolarSystemID, m.ShipTypeID)
		if m.StationID > 0 && m.StationID <= 1<<31-1 {
			places = append(places, int32(m.StationID))
		}
	}
	known, err := knownCharacters(ctx, f.db, ids)
	if err != nil {
		return res, err
	}
	var unknown []int32
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	res.Unknown = len(unknown)
	names, err := f.names(ctx, places, unknown)
	if err != nil {
		return res, err
	}
	recs := make([]Record, 0, len(members))
	at := now.UTC()
	for _, m := range members {
		k, ok := known[m.CharacterID]
		if !ok {
			k.name = names[int64(m.CharacterID)]
		}
		r := Record{CharacterID: m.CharacterID, CharacterName: k.name, CorporationID: k.corporation, SystemID: m.SolarSystemID,
			SystemName: names[int64(m.SolarSystemID)], ShipTypeID: m.ShipTypeID, ShipTypeName: names[int64(m.ShipTypeID)],
			Source: "fleet", RecordedAt: at}
		if m.StationID != 0 {
			r.LocationID, r.LocationName = m.StationID, names[m.StationID]
		}
		recs = append(recs, r)
	}
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		written, err := insertRecords(ctx, tx, l, recs)
		res.Recorded = len(written)
		return err
	})
	return res, err
}

// known is what Keepstar knows of a character.
type known struct {
	name        string
	corporation int32
}

// knownCharacters finds characters on accounts, then those member tracking
// lists: their names and corporations, without asking ESI.
func knownCharacters(ctx context.Context, q store.Querier, ids []int32) (map[int32]known, error) {
	out := make(map[int32]known, len(ids))
	for _, query := range []string{`SELECT id, name, COALESCE(corporation_id, 0) FROM characters WHERE id IN (%s)`,
		`SELECT character_id, name, corporation_id FROM tracking_members WHERE name <> '' AND character_id IN (%s)`} {
		var rest []int32
		for _, id := range ids {
			if _, ok := out[id]; !ok {
				rest = append(rest, id)
			}
		}
		for in, args := range store.InChunks(rest) {
			err := store.Each(ctx, q, fmt.Sprintf(query, in), func(r store.Rows) error {
				var id int32
				var k known
				if err := r.Scan(&id, &k.name, &k.corporation); err != nil {
					return err
				}
				out[id] = k
				return nil
			}, args...)
			if err != nil {
				return nil, fmt.Errorf("fat: known characters: %w", err)
			}
		}
	}
	return out, nil
}
