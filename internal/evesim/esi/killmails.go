package esi

import (
	"context"
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/evesim/universe"
)

// killmail is the spec's KillmailsKillmailIdKillmailHashGet. The universe
// models no cargo, moons or wars, so items, moon_id and war_id are left out.
type killmail struct {
	Attackers     []killmailAttacker `json:"attackers"`
	KillmailID    int64              `json:"killmail_id"`
	KillmailTime  time.Time          `json:"killmail_time"`
	SolarSystemID int32              `json:"solar_system_id"`
	Victim        killmailVictim     `json:"victim"`
}

type killmailAttacker struct {
	AllianceID     int32   `json:"alliance_id,omitempty"`
	CharacterID    int32   `json:"character_id,omitempty"`
	CorporationID  int32   `json:"corporation_id,omitempty"`
	DamageDone     int32   `json:"damage_done"`
	FinalBlow      bool    `json:"final_blow"`
	SecurityStatus float64 `json:"security_status"`
	ShipTypeID     int32   `json:"ship_type_id,omitempty"`
	WeaponTypeID   int32   `json:"weapon_type_id,omitempty"`
}

type killmailVictim struct {
	AllianceID    int32    `json:"alliance_id,omitempty"`
	CharacterID   int32    `json:"character_id,omitempty"`
	CorporationID int32    `json:"corporation_id,omitempty"`
	DamageTaken   int32    `json:"damage_taken"`
	Position      position `json:"position"`
	ShipTypeID    int32    `json:"ship_type_id"`
}

// errBadKillmail is the answer to a wrong hash and to an unknown id alike.
// The current spec documents only a default error; the legacy one (v1)
// documents 422 "Invalid killmail_id and/or killmail_hash" and no 404, the
// message naming both parts. So the simulator answers 422 for both and
// does not tell whether an id exists.
func errBadKillmail() error {
	return &apiError{status: http.StatusUnprocessableEntity, msg: "Invalid killmail_id and/or killmail_hash"}
}

// killmailByHash serves a killmail to whoever knows its id and hash. A
// killmail never changes: it was last modified when the ship died.
func (s *Server) killmailByHash(_ context.Context, c *call) (result, error) {
	id, err := pathID64(c.r, "killmail_id")
	if err != nil {
		return result{}, err
	}
	k, err := s.u.Killmail(id)
	if err != nil || k.Hash != c.r.PathValue("killmail_hash") {
		return result{}, errBadKillmail()
	}
	out := killmail{
		Attackers: make([]killmailAttacker, 0, len(k.Attackers)), KillmailID: k.ID, KillmailTime: k.Time.UTC(),
		SolarSystemID: k.SolarSystemID,
		Victim: killmailVictim{
			AllianceID: k.Victim.AllianceID, CharacterID: k.Victim.CharacterID, CorporationID: k.Victim.CorporationID,
			DamageTaken: k.Victim.DamageTaken, ShipTypeID: k.Victim.ShipTypeID,
			Position: position{k.Victim.Position.X, k.Victim.Position.Y, k.Victim.Position.Z},
		},
	}
	for _, a := range k.Attackers {
		out.Attackers = append(out.Attackers, killmailAttacker{
			AllianceID: a.AllianceID, CharacterID: a.CharacterID, CorporationID: a.CorporationID, DamageDone: a.DamageDone,
			FinalBlow: a.FinalBlow, SecurityStatus: a.SecurityStatus, ShipTypeID: a.ShipTypeID, WeaponTypeID: a.WeaponTypeID,
		})
	}
	return result{status: http.StatusOK, body: out, modified: k.Time}, nil
}

// marketPrice is the spec's MarketsPricesGet_inner.
type marketPrice struct {
	AdjustedPrice float64 `json:"adjusted_price"`
	AveragePrice  float64 `json:"average_price"`
	TypeID        int32   `json:"type_id"`
}

// marketPrices serves GET /markets/prices: one entry per type with a
// market, the same for everyone.
func (s *Server) marketPrices(_ context.Context, _ *call) (result, error) {
	ps := universe.MarketPrices()
	out := make([]marketPrice, 0, len(ps))
	for _, p := range ps {
		out = append(out, marketPrice{AdjustedPrice: p.AdjustedPrice, AveragePrice: p.AveragePrice, TypeID: p.TypeID})
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange()}, nil
}
