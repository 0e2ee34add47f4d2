package esi

import (
	"context"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

type characterFleet struct {
	FleetBossID int32  `json:"fleet_boss_id"`
	FleetID     int64  `json:"fleet_id"`
	Role        string `json:"role"`
	SquadID     int64  `json:"squad_id"`
	WingID      int64  `json:"wing_id"`
}

func (s *Server) characterFleet(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	if ch.FleetID == 0 {
		return result{}, errNotFound("Character is not in a fleet")
	}
	f, err := s.u.Fleet(ch.FleetID)
	if err != nil {
		return result{}, errNotFound("Character is not in a fleet")
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(ch.ID), f.ID), body: characterFleet{
		FleetBossID: f.BossID, FleetID: f.ID, Role: ch.FleetRole, SquadID: ch.SquadID, WingID: ch.WingID,
	}}, nil
}

// bossFleet gives the fleet of the path when the token's character is its
// boss. ESI hides fleets from everyone else behind the same 404 as a fleet
// that does not exist.
func (s *Server) bossFleet(c *call) (universe.Fleet, error) {
	id, err := pathID64(c.r, "fleet_id")
	if err != nil {
		return universe.Fleet{}, err
	}
	f, err := s.u.Fleet(id)
	if err != nil || f.BossID != c.grant.CharacterID {
		return universe.Fleet{}, errNotFound("The fleet does not exist or you don't have access to it!")
	}
	return f, nil
}

type fleetDetail struct {
	IsFreeMove     bool   `json:"is_free_move"`
	IsRegistered   bool   `json:"is_registered"`
	IsVoiceEnabled bool   `json:"is_voice_enabled"`
	MOTD           string `json:"motd"`
}

func (s *Server) fleet(_ context.Context, c *call) (result, error) {
	f, err := s.bossFleet(c)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, modified: s.lastChange(f.ID), body: fleetDetail{
		IsFreeMove: f.FreeMove, IsRegistered: f.Registered, IsVoiceEnabled: f.VoiceEnabled, MOTD: f.MOTD,
	}}, nil
}

// fleetMember is an entry of the spec's FleetsFleetIdMembersGet. The
// universe does not record when each member joined, so join_time is the
// fleet's last change (see the package report: universe.Character lacks a
// fleet join time).
type fleetMember struct {
	CharacterID    int32     `json:"character_id"`
	JoinTime       time.Time `json:"join_time"`
	Role           string    `json:"role"`
	RoleName       string    `json:"role_name"`
	ShipTypeID     int32     `json:"ship_type_id"`
	SolarSystemID  int32     `json:"solar_system_id"`
	SquadID        int64     `json:"squad_id"`
	StationID      int32     `json:"station_id,omitempty"`
	TakesFleetWarp bool      `json:"takes_fleet_warp"`
	WingID         int64     `json:"wing_id"`
}

var roleNames = map[string]string{
	"fleet_commander": "Fleet Commander (Boss)",
	"wing_commander":  "Wing Commander",
	"squad_commander": "Squad Commander",
	"squad_member":    "Squad Member",
}

func (s *Server) fleetMembers(_ context.Context, c *call) (result, error) {
	f, err := s.bossFleet(c)
	if err != nil {
		return result{}, err
	}
	members, err := s.u.FleetMembers(f.ID)
	if err != nil {
		return result{}, errNotFound("The fleet does not exist or you don't have access to it!")
	}
	joined := s.u.LastModified(f.ID).UTC()
	out := make([]fleetMember, 0, len(members))
	for _, m := range members {
		out = append(out, fleetMember{
			CharacterID: m.ID, JoinTime: joined, Role: m.FleetRole, RoleName: roleNames[m.FleetRole],
			ShipTypeID: m.ShipTypeID, SolarSystemID: m.SolarSystem, SquadID: m.SquadID, StationID: m.StationID,
			TakesFleetWarp: true, WingID: m.WingID,
		})
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(f.ID)}, nil
}

type squad struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type wing struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Squads []squad `json:"squads"`
}

func (s *Server) fleetWings(_ context.Context, c *call) (result, error) {
	f, err := s.bossFleet(c)
	if err != nil {
		return result{}, err
	}
	out := make([]wing, 0, len(f.Wings))
	for _, w := range f.Wings {
		sq := make([]squad, 0, len(w.Squads))
		for _, q := range w.Squads {
			sq = append(sq, squad{ID: q.ID, Name: q.Name})
		}
		out = append(out, wing{ID: w.ID, Name: w.Name, Squads: sq})
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(f.ID)}, nil
}
