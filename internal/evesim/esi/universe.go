package esi

import (
	"context"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// serverVersion is what /status reports as the cluster's build.
const serverVersion = "keepstar-sim-1"

type status struct {
	Players       int       `json:"players"`
	ServerVersion string    `json:"server_version"`
	StartTime     time.Time `json:"start_time"`
	VIP           bool      `json:"vip"`
}

// status reports the online characters; the cluster started when the
// universe was made. The player count changes with every login and the
// universe does not record when the last one happened, so Last-Modified is
// the moment of the answer; the ETag still tells clients when it changed.
func (s *Server) status(_ context.Context, c *call) (result, error) {
	players := 0
	for _, id := range s.u.CharacterIDs() {
		if ch, err := s.u.Character(id); err == nil && ch.Online {
			players++
		}
	}
	start := s.u.LastModified(0)
	return result{status: http.StatusOK, modified: c.now,
		body: status{Players: players, ServerVersion: serverVersion, StartTime: start.UTC()}}, nil
}

type nameEntry struct {
	Category string `json:"category"`
	ID       int64  `json:"id"`
	Name     string `json:"name"`
}

// names resolves ids of every kind the universe has. Like ESI it answers
// 404 for the whole request when any id is unknown.
func (s *Server) names(_ context.Context, c *call) (result, error) {
	ids, err := readIDs(c.r, maxBulkIDs)
	if err != nil {
		return result{}, err
	}
	out := make([]nameEntry, 0, len(ids))
	changed := make([]int64, 0, len(ids))
	for _, id := range ids {
		e, ok := s.nameOf(id)
		if !ok {
			return result{}, errNotFound("Ensure all IDs are valid before resolving.")
		}
		out = append(out, e)
		changed = append(changed, id)
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(changed...)}, nil
}

func (s *Server) nameOf(id int64) (nameEntry, bool) {
	if id < 1 || id > 1<<31-1 {
		return nameEntry{}, false
	}
	id32 := int32(id)
	if c, err := s.u.Character(id32); err == nil {
		return nameEntry{"character", id, c.Name}, true
	}
	if c, err := s.u.Corporation(id32); err == nil {
		return nameEntry{"corporation", id, c.Name}, true
	}
	if a, err := s.u.Alliance(id32); err == nil {
		return nameEntry{"alliance", id, a.Name}, true
	}
	if f, ok := s.u.Faction(id32); ok {
		return nameEntry{"faction", id, f.Name}, true
	}
	if sys, ok := universe.FindSolarSystem(id32); ok {
		return nameEntry{"solar_system", id, sys.Name}, true
	}
	if t, ok := universe.FindItemType(id32); ok {
		return nameEntry{"inventory_type", id, t.Name}, true
	}
	if st, ok := universe.FindStation(id32); ok {
		return nameEntry{"station", id, st.Name}, true
	}
	return nameEntry{}, false
}

type position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	Z float64 `json:"z"`
}

// solarSystem is the spec's UniverseSystemsSystemIdGet, without the
// planets, stargates and stations the universe does not model.
type solarSystem struct {
	ConstellationID int32    `json:"constellation_id"`
	Name            string   `json:"name"`
	Position        position `json:"position"`
	SecurityClass   string   `json:"security_class,omitempty"`
	SecurityStatus  float64  `json:"security_status"`
	StarID          int32    `json:"star_id,omitempty"`
	SystemID        int32    `json:"system_id"`
}

func (s *Server) system(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "system_id")
	if err != nil {
		return result{}, err
	}
	sys, ok := universe.FindSolarSystem(id)
	if !ok {
		return result{}, errNotFound("Solar system not found")
	}
	return result{status: http.StatusOK, modified: s.u.LastModified(0), body: solarSystem{
		ConstellationID: sys.ConstellationID, Name: sys.Name, Position: position{sys.X, sys.Y, sys.Z},
		SecurityClass: sys.SecurityClass, SecurityStatus: sys.Security, StarID: sys.StarID, SystemID: sys.ID,
	}}, nil
}

// itemType is the spec's UniverseTypesTypeIdGet. The spec requires
// "description" without listing it among the properties; ESI sends it.
type itemType struct {
	Description string  `json:"description"`
	GroupID     int32   `json:"group_id"`
	Name        string  `json:"name"`
	Published   bool    `json:"published"`
	TypeID      int32   `json:"type_id"`
	Volume      float64 `json:"volume"`
}

func (s *Server) itemType(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "type_id")
	if err != nil {
		return result{}, err
	}
	t, ok := universe.FindItemType(id)
	if !ok {
		return result{}, errNotFound("Type not found")
	}
	return result{status: http.StatusOK, modified: s.u.LastModified(0), body: itemType{
		Description: t.Description, GroupID: t.GroupID, Name: t.Name, Published: true, TypeID: t.ID, Volume: t.Volume,
	}}, nil
}
