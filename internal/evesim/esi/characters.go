package esi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// characterDetail is the spec's CharactersDetail. The universe has no
// achievements, so achievement_score (required) is 0. Its titles are served
// by /characters/{id}/titles; the optional corporation_title and
// character_title_id (a UUID the universe does not model) are left out.
type characterDetail struct {
	AchievementScore int64     `json:"achievement_score"`
	AllianceID       int32     `json:"alliance_id,omitempty"`
	Birthday         time.Time `json:"birthday"`
	BloodlineID      int32     `json:"bloodline_id"`
	CorporationID    int32     `json:"corporation_id"`
	Description      string    `json:"description,omitempty"`
	FactionID        int32     `json:"faction_id,omitempty"`
	Gender           string    `json:"gender"`
	Name             string    `json:"name"`
	RaceID           int32     `json:"race_id"`
	SecurityStatus   float64   `json:"security_status"`
}

func (s *Server) findCharacter(r *http.Request) (universe.Character, error) {
	id, err := pathID(r, "character_id")
	if err != nil {
		return universe.Character{}, err
	}
	c, err := s.u.Character(id)
	if err != nil {
		return universe.Character{}, errNotFound("Character not found")
	}
	return c, nil
}

// factionOf gives the faction a character fights for: that of its
// corporation when the corporation is a militia.
func (s *Server) factionOf(c universe.Character) int32 {
	corp, err := s.u.Corporation(c.CorporationID)
	if err != nil {
		return 0
	}
	return corp.FactionID
}

func (s *Server) character(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	// A biomassed character is in Doomheim (the universe moved it there),
	// with no alliance or faction.
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)), body: characterDetail{
		AllianceID: s.u.AllianceOf(ch), Birthday: ch.Birthday.UTC(), BloodlineID: ch.BloodlineID,
		CorporationID: ch.CorporationID, Description: ch.Description, FactionID: s.factionOf(ch),
		Gender: ch.Gender, Name: ch.Name, RaceID: ch.RaceID, SecurityStatus: ch.SecurityStatus,
	}}, nil
}

// corporationRecord is an entry of GET
// /characters/{character_id}/corporationhistory
// (CharactersCharacterIdCorporationhistoryGet_inner): corporation_id,
// record_id and start_date required, is_deleted only when true (the
// simulator deletes no corporation).
type corporationRecord struct {
	CorporationID int32     `json:"corporation_id"`
	IsDeleted     bool      `json:"is_deleted,omitempty"`
	RecordID      int64     `json:"record_id"`
	StartDate     time.Time `json:"start_date"`
}

// corporationHistory lists the corporations a character was in, the
// newest first; public, as ESI's.
func (s *Server) corporationHistory(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	hs, err := s.u.CorporationHistory(ch.ID)
	if err != nil {
		return result{}, err
	}
	out := make([]corporationRecord, 0, len(hs))
	for _, h := range hs {
		out = append(out, corporationRecord{CorporationID: h.CorporationID, RecordID: h.RecordID, StartDate: h.StartDate.UTC()})
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)), body: out}, nil
}

type affiliationEntry struct {
	AllianceID    int32 `json:"alliance_id,omitempty"`
	CharacterID   int32 `json:"character_id"`
	CorporationID int32 `json:"corporation_id"`
	FactionID     int32 `json:"faction_id,omitempty"`
}

// affiliation resolves up to 1000 characters, all or nothing: when any id
// is not a character ESI answers 404 for the whole request (the legacy
// specification: "All characters must exist, or none will be returned";
// esi/esi-issues#719). Its message is the one Tranquility gave for the
// case in esi/esi-issues#527; CCP documents none. A biomassed character is
// still a character (in Doomheim).
func (s *Server) affiliation(_ context.Context, c *call) (result, error) {
	ids, err := readIDs(c.r, maxBulkIDs)
	if err != nil {
		return result{}, err
	}
	out := make([]affiliationEntry, 0, len(ids))
	changed := make([]int64, 0, len(ids))
	for _, id := range ids {
		ch, err := s.characterByID(id)
		if err != nil {
			return result{}, errNotFound("No characters found!")
		}
		out = append(out, affiliationEntry{
			AllianceID: s.u.AllianceOf(ch), CharacterID: ch.ID, CorporationID: ch.CorporationID, FactionID: s.factionOf(ch),
		})
		changed = append(changed, int64(ch.ID))
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(changed...)}, nil
}

// characterByID looks up an id of a request body, which may exceed int32.
func (s *Server) characterByID(id int64) (universe.Character, error) {
	if id < 1 || id > 1<<31-1 {
		return universe.Character{}, fmt.Errorf("%w: %d", universe.ErrNoCharacter, id)
	}
	return s.u.Character(int32(id))
}

// characterRoles is the spec's CharactersCharacterIdRolesGet. The universe
// knows one set of roles per character: they are reported as held
// everywhere, the other lists empty.
type characterRoles struct {
	Roles        []string `json:"roles"`
	RolesAtBase  []string `json:"roles_at_base"`
	RolesAtHQ    []string `json:"roles_at_hq"`
	RolesAtOther []string `json:"roles_at_other"`
}

func (s *Server) characterRoles(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)), body: characterRoles{
		Roles: nonNil(ch.Roles), RolesAtBase: []string{}, RolesAtHQ: []string{}, RolesAtOther: []string{},
	}}, nil
}

type location struct {
	SolarSystemID int32 `json:"solar_system_id"`
	StationID     int32 `json:"station_id,omitempty"`
}

func (s *Server) location(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)),
		body: location{SolarSystemID: ch.SolarSystem, StationID: ch.StationID}}, nil
}

type ship struct {
	ShipItemID int64  `json:"ship_item_id"`
	ShipName   string `json:"ship_name"`
	ShipTypeID int32  `json:"ship_type_id"`
}

func (s *Server) ship(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)),
		body: ship{ShipItemID: ch.ShipItemID, ShipName: ch.ShipName, ShipTypeID: ch.ShipTypeID}}, nil
}

type online struct {
	LastLogin  *time.Time `json:"last_login,omitempty"`
	LastLogout *time.Time `json:"last_logout,omitempty"`
	Logins     int32      `json:"logins"`
	Online     bool       `json:"online"`
}

func (s *Server) online(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID)), body: online{
		LastLogin: timePtr(ch.LastLogin), LastLogout: timePtr(ch.LastLogout), Logins: ch.Logins, Online: ch.Online,
	}}, nil
}

// timePtr gives nil for the zero time, so optional dates are left out.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// nonNil keeps empty lists as [] rather than null, as ESI sends them.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
