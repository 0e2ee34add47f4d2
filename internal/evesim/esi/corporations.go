package esi

import (
	"context"
	"net/http"
	"time"
)

type taxRates struct {
	ISK          float64 `json:"isk"`
	LoyaltyPoint float64 `json:"loyalty_point"`
}

// corporationDetail is the spec's CorporationsDetail. Like the type
// schema, it requires "description" without listing it as a property.
type corporationDetail struct {
	AllianceID    int32      `json:"alliance_id,omitempty"`
	CEOID         int32      `json:"ceo_id,omitempty"`
	CreatorID     int32      `json:"creator_id,omitempty"`
	DateFounded   *time.Time `json:"date_founded,omitempty"`
	Description   string     `json:"description"`
	FriendlyFire  string     `json:"friendly_fire"`
	HomeStationID int32      `json:"home_station_id"`
	MemberCount   int        `json:"member_count"`
	Name          string     `json:"name"`
	Shares        int64      `json:"shares"`
	State         string     `json:"state"`
	TaxRates      taxRates   `json:"tax_rates"`
	Ticker        string     `json:"ticker"`
	Type          string     `json:"type"`
	URL           string     `json:"url,omitempty"`
	WarEligible   bool       `json:"war_eligible"`
}

func (s *Server) corporation(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "corporation_id")
	if err != nil {
		return result{}, err
	}
	corp, err := s.u.Corporation(id)
	if err != nil {
		return result{}, errNotFound("Corporation not found")
	}
	d := corporationDetail{
		AllianceID: corp.AllianceID, CEOID: corp.CEOID, CreatorID: corp.CreatorID, DateFounded: timePtr(corp.Founded),
		Description: corp.Description, FriendlyFire: "illegal", HomeStationID: corp.HomeStationID,
		MemberCount: s.u.MemberCount(id), Name: corp.Name, Shares: corp.Shares, State: "active",
		TaxRates: taxRates{ISK: corp.TaxRate, LoyaltyPoint: corp.TaxRate}, Ticker: corp.Ticker,
		Type: "player_owned", URL: corp.URL, WarEligible: true,
	}
	if corp.NPC {
		// NPC corporations cannot be war-decced; a militia's faction is its
		// own, not an enlistment.
		d.Type, d.WarEligible = "npc_owned", false
	}
	return result{status: http.StatusOK, body: d, modified: s.lastChange(int64(id))}, nil
}

func (s *Server) alliances(_ context.Context, c *call) (result, error) {
	ids := s.u.Alliances()
	changed := make([]int64, len(ids))
	for i, id := range ids {
		changed[i] = int64(id)
	}
	return result{status: http.StatusOK, body: nonNil(ids), modified: s.lastChange(changed...)}, nil
}

type allianceDetail struct {
	CreatorCorporationID  int32     `json:"creator_corporation_id"`
	CreatorID             int32     `json:"creator_id"`
	DateFounded           time.Time `json:"date_founded"`
	ExecutorCorporationID int32     `json:"executor_corporation_id,omitempty"`
	FactionID             int32     `json:"faction_id,omitempty"`
	Name                  string    `json:"name"`
	Ticker                string    `json:"ticker"`
}

func (s *Server) alliance(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "alliance_id")
	if err != nil {
		return result{}, err
	}
	a, err := s.u.Alliance(id)
	if err != nil {
		return result{}, errNotFound("Alliance not found")
	}
	return result{status: http.StatusOK, modified: s.lastChange(int64(id)), body: allianceDetail{
		CreatorCorporationID: a.CreatorCorporationID, CreatorID: a.CreatorID, DateFounded: a.Founded.UTC(),
		ExecutorCorporationID: a.ExecutorCorporation, FactionID: a.FactionID, Name: a.Name, Ticker: a.Ticker,
	}}, nil
}

func (s *Server) allianceCorporations(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "alliance_id")
	if err != nil {
		return result{}, err
	}
	corps, err := s.u.AllianceCorporations(id)
	if err != nil {
		return result{}, errNotFound("Alliance not found")
	}
	return result{status: http.StatusOK, body: nonNil(corps), modified: s.lastChange(int64(id))}, nil
}

// members gives a corporation's member ids; the caller's membership was
// checked, so the corporation exists.
func (s *Server) members(c *call) (int32, []int32, error) {
	id, err := pathID(c.r, "corporation_id")
	if err != nil {
		return 0, nil, err
	}
	m, err := s.u.Members(id)
	if err != nil {
		return 0, nil, errNotFound("Corporation not found")
	}
	return id, m, nil
}

func (s *Server) corporationMembers(_ context.Context, c *call) (result, error) {
	id, m, err := s.members(c)
	if err != nil {
		return result{}, err
	}
	return result{status: http.StatusOK, body: nonNil(m), modified: s.lastChange(int64(id))}, nil
}

type memberTracking struct {
	BaseID      int32      `json:"base_id,omitempty"`
	CharacterID int32      `json:"character_id"`
	LocationID  int64      `json:"location_id,omitempty"`
	LogoffDate  *time.Time `json:"logoff_date,omitempty"`
	LogonDate   *time.Time `json:"logon_date,omitempty"`
	ShipTypeID  int32      `json:"ship_type_id,omitempty"`
	StartDate   *time.Time `json:"start_date,omitempty"`
}

func (s *Server) memberTracking(_ context.Context, c *call) (result, error) {
	id, m, err := s.members(c)
	if err != nil {
		return result{}, err
	}
	out := make([]memberTracking, 0, len(m))
	changed := []int64{int64(id)}
	for _, cid := range m {
		ch, err := s.u.Character(cid)
		if err != nil {
			continue // moved out between the two reads
		}
		loc := int64(ch.SolarSystem)
		if ch.StationID != 0 {
			loc = int64(ch.StationID)
		}
		out = append(out, memberTracking{
			CharacterID: cid, LocationID: loc, LogoffDate: timePtr(ch.LastLogout), LogonDate: timePtr(ch.LastLogin),
			ShipTypeID: ch.ShipTypeID, StartDate: timePtr(ch.JoinedCorp),
		})
		changed = append(changed, int64(cid))
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(changed...)}, nil
}

// memberRoles is an entry of the spec's CorporationsCorporationIdRolesGet;
// as on /characters/{id}/roles, the universe's roles are held everywhere
// and none is grantable.
type memberRoles struct {
	CharacterID           int32    `json:"character_id"`
	GrantableRoles        []string `json:"grantable_roles"`
	GrantableRolesAtBase  []string `json:"grantable_roles_at_base"`
	GrantableRolesAtHQ    []string `json:"grantable_roles_at_hq"`
	GrantableRolesAtOther []string `json:"grantable_roles_at_other"`
	Roles                 []string `json:"roles"`
	RolesAtBase           []string `json:"roles_at_base"`
	RolesAtHQ             []string `json:"roles_at_hq"`
	RolesAtOther          []string `json:"roles_at_other"`
}

func (s *Server) corporationRoles(_ context.Context, c *call) (result, error) {
	id, m, err := s.members(c)
	if err != nil {
		return result{}, err
	}
	out := make([]memberRoles, 0, len(m))
	changed := []int64{int64(id)}
	for _, cid := range m {
		ch, err := s.u.Character(cid)
		if err != nil {
			continue
		}
		none := []string{}
		out = append(out, memberRoles{
			CharacterID: cid, GrantableRoles: none, GrantableRolesAtBase: none, GrantableRolesAtHQ: none,
			GrantableRolesAtOther: none, Roles: nonNil(ch.Roles), RolesAtBase: none, RolesAtHQ: none, RolesAtOther: none,
		})
		changed = append(changed, int64(cid))
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(changed...)}, nil
}
