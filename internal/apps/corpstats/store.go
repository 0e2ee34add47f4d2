package corpstats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/store"
	"github.com/keepstar/keepstar/internal/web"
)

// ErrNotFound: no Corp Stats for that corporation.
var ErrNotFound = errors.New("corpstats: no such Corp Stats")

// Where a Corp Stats' members come from.
const (
	SourceESI      = "esi"      // its own read, corpstats_members
	SourceTracking = "tracking" // member tracking's current read, tracking_members
)

// Stats is a Corp Stats and how its last read went.
type Stats struct {
	CorporationID int32
	Name          string
	AllianceID    int32  // from Keepstar's directory of corporations; 0 when none or unknown
	AllianceName  string //
	AddedBy       int64  // the account; 0 once that account is gone
	CharacterID   int32  // whose token read it last
	Login         string
	Source        string
	FetchedAt     time.Time
	ExpiresAt     time.Time
	Error         string
	ErrorAt       *time.Time
	NotifiedAt    *time.Time
	CreatedAt     time.Time
}

// Viewer is who asks, with the view rules they hold.
type Viewer struct {
	AccountID                  int64
	All, Corp, Alliance, State bool
}

// ViewerOf reads the rules a web visitor holds; superusers hold all.
func ViewerOf(v *web.Viewer) Viewer {
	if v == nil {
		return Viewer{}
	}
	return Viewer{AccountID: v.AccountID, All: v.Has(PermissionViewAll.Name), Corp: v.Has(PermissionViewCorp.Name),
		Alliance: v.Has(PermissionViewAlliance.Name), State: v.Has(PermissionViewState.Name)}
}

const statsColumns = `s.corporation_id, s.name, COALESCE(ec.alliance_id, 0), COALESCE(ea.name, ''), COALESCE(s.added_by, 0),
	s.character_id, s.login, s.source, s.fetched_at, s.expires_at, s.error, s.error_at, s.notified_at, s.created_at
	FROM corpstats s LEFT JOIN eve_corporations ec ON ec.id = s.corporation_id LEFT JOIN eve_alliances ea ON ea.id = ec.alliance_id`

func scanStats(r store.Rows, s *Stats) error {
	return r.Scan(&s.CorporationID, &s.Name, &s.AllianceID, &s.AllianceName, &s.AddedBy, &s.CharacterID, &s.Login, &s.Source,
		&s.FetchedAt, &s.ExpiresAt, &s.Error, &s.ErrorAt, &s.NotifiedAt, &s.CreatedAt)
}

// Get reads one Corp Stats, whoever may see it.
func Get(ctx context.Context, q store.Querier, corporationID int32) (Stats, error) {
	ss, err := store.Collect(ctx, q, `SELECT `+statsColumns+` WHERE s.corporation_id = $1`, scanStats, corporationID)
	if err != nil {
		return Stats{}, fmt.Errorf("corpstats: read %d: %w", corporationID, err)
	}
	if len(ss) == 0 {
		return Stats{}, fmt.Errorf("%w: %d", ErrNotFound, corporationID)
	}
	return ss[0], nil
}

// Visible lists the Corp Stats v may see, by name: Alliance Auth's rules in
// the OR sense, evaluated against v's main character (its corporation and
// alliance as Keepstar last recorded them), and those v added. The state
// rule admits the corporations the account's state lists as members and
// the corporations of the alliances it lists (a state's member characters
// and factions admit none: they name no corporation whose members the
// state is about).
func Visible(ctx context.Context, q store.Querier, v Viewer) ([]Stats, error) {
	where := "WHERE s.added_by = $1"
	switch {
	case v.All:
		where = ""
	default:
		if v.Corp {
			where += ` OR s.corporation_id = (SELECT corporation_id FROM characters WHERE account_id = $1 AND main)`
		}
		if v.Alliance {
			where += ` OR ec.alliance_id = (SELECT alliance_id FROM characters WHERE account_id = $1 AND main)`
		}
		if v.State {
			where += ` OR s.corporation_id IN (SELECT sm.entity_id FROM state_members sm JOIN accounts a ON a.state_id = sm.state_id
					WHERE a.id = $1 AND sm.kind = 'corporation')
				OR ec.alliance_id IN (SELECT sm.entity_id FROM state_members sm JOIN accounts a ON a.state_id = sm.state_id
					WHERE a.id = $1 AND sm.kind = 'alliance')`
		}
	}
	args := []any{v.AccountID}
	if where == "" {
		args = nil
	}
	ss, err := store.Collect(ctx, q, `SELECT `+statsColumns+` `+where+` ORDER BY s.name, s.corporation_id`, scanStats, args...)
	if err != nil {
		return nil, fmt.Errorf("corpstats: visible to %d: %w", v.AccountID, err)
	}
	return ss, nil
}

// MayView reads a Corp Stats if v may see it: ErrNotFound when there is
// none, ok false when v may not see it.
func MayView(ctx context.Context, q store.Querier, v Viewer, corporationID int32) (s Stats, ok bool, err error) {
	ss, err := Visible(ctx, q, v)
	if err != nil {
		return s, false, err
	}
	for _, s := range ss {
		if s.CorporationID == corporationID {
			return s, true, nil
		}
	}
	s, err = Get(ctx, q, corporationID)
	return s, false, err
}

// Member is a character of the corporation: registered when AccountID is
// set, with the account's main.
type Member struct {
	CharacterID       int32
	Name              string
	AccountID         int64
	MainID            int32
	MainName          string
	MainCorporationID int32
	MainCorporation   string
	MainAllianceID    int32
	MainAlliance      string
}

// Alt is a character of a registered member's account.
type Alt struct {
	CharacterID   int32
	Name          string
	CorporationID int32
	Corporation   string
	InCorporation bool // a member of the Corp Stats' corporation
}

// Main is a registered account among the members: its main and every
// character of the account.
type Main struct {
	Member            // the main's fields; CharacterID and Name are the main's
	MainInCorporation bool
	Alts              []Alt // the account's other characters
}

// Report is a Corp Stats' members as the pages show them.
type Report struct {
	Members      []Member // by name
	Mains        []Main   // by the main's name
	Registered   int
	Unregistered int
}

// members reads a Corp Stats' member list from its source.
func members(ctx context.Context, q store.Querier, s Stats) ([]tracking.NamedMember, error) {
	if s.Source == SourceTracking {
		return tracking.MemberNames(ctx, q, s.CorporationID)
	}
	ms, err := store.Collect(ctx, q, `SELECT character_id, name FROM corpstats_members WHERE corporation_id = $1`,
		func(r store.Rows, m *tracking.NamedMember) error { return r.Scan(&m.CharacterID, &m.Name) }, s.CorporationID)
	if err != nil {
		return nil, fmt.Errorf("corpstats: members of %d: %w", s.CorporationID, err)
	}
	return ms, nil
}

// Build reads a Corp Stats' members with their accounts and mains.
func Build(ctx context.Context, q store.Querier, s Stats) (Report, error) {
	var rep Report
	list, err := members(ctx, q, s)
	if err != nil {
		return rep, err
	}
	ids := make([]int32, len(list))
	for i, m := range list {
		ids[i] = m.CharacterID
	}
	reg := map[int32]Member{}
	for in, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, `SELECT ch.id, ch.account_id, COALESCE(mc.id, 0), COALESCE(mc.name, ''), COALESCE(mc.corporation_id, 0),
			COALESCE(ec.name, ''), COALESCE(mc.alliance_id, 0), COALESCE(ea.name, '')
			FROM characters ch LEFT JOIN characters mc ON mc.account_id = ch.account_id AND mc.main
			LEFT JOIN eve_corporations ec ON ec.id = mc.corporation_id LEFT JOIN eve_alliances ea ON ea.id = mc.alliance_id
			WHERE ch.id IN (`+in+`)`, func(r store.Rows) error {
			var m Member
			if err := r.Scan(&m.CharacterID, &m.AccountID, &m.MainID, &m.MainName, &m.MainCorporationID, &m.MainCorporation,
				&m.MainAllianceID, &m.MainAlliance); err != nil {
				return err
			}
			reg[m.CharacterID] = m
			return nil
		}, args...)
		if err != nil {
			return rep, fmt.Errorf("corpstats: accounts of members of %d: %w", s.CorporationID, err)
		}
	}
	inCorp := make(map[int32]bool, len(list))
	accounts := map[int64]Member{}
	for _, l := range list {
		inCorp[l.CharacterID] = true
		m, ok := reg[l.CharacterID]
		if !ok {
			m = Member{CharacterID: l.CharacterID}
		}
		m.Name = l.Name
		rep.Members = append(rep.Members, m)
		if m.AccountID != 0 {
			rep.Registered++
			accounts[m.AccountID] = m
		} else {
			rep.Unregistered++
		}
	}
	slices.SortFunc(rep.Members, func(a, b Member) int { return byName(a.Name, b.Name, a.CharacterID, b.CharacterID) })
	if rep.Mains, err = mains(ctx, q, accounts, inCorp); err != nil {
		return rep, fmt.Errorf("corpstats: mains of %d: %w", s.CorporationID, err)
	}
	return rep, nil
}

// mains groups the registered members by account: each account's main
// (wherever it is) and its other characters.
func mains(ctx context.Context, q store.Querier, accounts map[int64]Member, inCorp map[int32]bool) ([]Main, error) {
	ids := make([]int64, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	alts := map[int64][]Alt{}
	for in, args := range store.InChunks(ids) {
		err := store.Each(ctx, q, `SELECT ch.account_id, ch.id, ch.name, COALESCE(ch.corporation_id, 0), COALESCE(ec.name, ''), ch.main
			FROM characters ch LEFT JOIN eve_corporations ec ON ec.id = ch.corporation_id WHERE ch.account_id IN (`+in+`)`,
			func(r store.Rows) error {
				var acc int64
				var a Alt
				var main bool
				if err := r.Scan(&acc, &a.CharacterID, &a.Name, &a.CorporationID, &a.Corporation, &main); err != nil {
					return err
				}
				if !main {
					a.InCorporation = inCorp[a.CharacterID]
					alts[acc] = append(alts[acc], a)
				}
				return nil
			}, args...)
		if err != nil {
			return nil, err
		}
	}
	out := make([]Main, 0, len(ids))
	for _, acc := range ids {
		m := accounts[acc]
		mm := Main{Member: m, MainInCorporation: inCorp[m.MainID], Alts: alts[acc]}
		mm.CharacterID, mm.Name = m.MainID, m.MainName
		slices.SortFunc(mm.Alts, func(a, b Alt) int { return byName(a.Name, b.Name, a.CharacterID, b.CharacterID) })
		out = append(out, mm)
	}
	slices.SortFunc(out, func(a, b Main) int { return byName(a.Name, b.Name, a.CharacterID, b.CharacterID) })
	return out, nil
}

// byName orders by name, letter case aside, then id.
func byName(a, b string, ida, idb int32) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return cmp.Compare(ida, idb)
}

// Matches reports whether a member's name or its main's holds q (lower
// case).
func (m Member) Matches(q string) bool {
	return q == "" || strings.Contains(strings.ToLower(m.Name), q) || strings.Contains(strings.ToLower(m.MainName), q)
}

// Filter keeps the members, mains and counts matching q (a part of a
// character's or its main's name, letter case aside); the counts stay the
// corporation's.
func (rep Report) Filter(q string) Report {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return rep
	}
	out := Report{Registered: rep.Registered, Unregistered: rep.Unregistered}
	for _, m := range rep.Members {
		if m.Matches(q) {
			out.Members = append(out.Members, m)
		}
	}
	for _, m := range rep.Mains {
		if strings.Contains(strings.ToLower(m.Name), q) || slices.ContainsFunc(m.Alts, func(a Alt) bool {
			return strings.Contains(strings.ToLower(a.Name), q)
		}) {
			out.Mains = append(out.Mains, m)
		}
	}
	return out
}

// UnregisteredMembers lists the members on no account.
func (rep Report) UnregisteredMembers() []Member {
	var out []Member
	for _, m := range rep.Members {
		if m.AccountID == 0 {
			out = append(out, m)
		}
	}
	return out
}

// Sorts are the member list's orders besides the name.
var Sorts = []string{"name", "main", "corporation", "alliance"}

// SortMembers orders members by a column of Sorts, then by name; desc
// reverses the column's order. Unregistered members (no main) come last.
func SortMembers(ms []Member, col string, desc bool) {
	key := func(m Member) string {
		switch col {
		case "main":
			return m.MainName
		case "corporation":
			return m.MainCorporation
		case "alliance":
			return m.MainAlliance
		}
		return m.Name
	}
	slices.SortStableFunc(ms, func(a, b Member) int {
		ka, kb := strings.ToLower(key(a)), strings.ToLower(key(b))
		if col != "name" && col != "" && (ka == "") != (kb == "") {
			if ka == "" {
				return 1
			}
			return -1
		}
		c := strings.Compare(ka, kb)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return byName(a.Name, b.Name, a.CharacterID, b.CharacterID)
	})
}
