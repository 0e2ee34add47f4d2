package appapi

import (
	"net/http"
	"time"

	"github.com/keepstar/keepstar/internal/apps/tracking"
	"github.com/keepstar/keepstar/internal/web"
)

// mountTracking adds the operation of role app-tracking.
func (api *API) mountTracking(srv *web.Server) {
	api.handle(srv, "GET /api/app/v1/corporation/{id}/member-tracking", RoleTracking, api.memberTracking)
}

// corporationMember is Neucore's CorporationMember as memberTracking
// gives it: without its character and player. The spec's location and
// shipType are objects that may not be null, so an unknown one is left
// out (neither is required).
type corporationMember struct {
	ID                             int64        `json:"id"`
	Name                           *string      `json:"name"`
	Location                       *esiLocation `json:"location,omitempty"`
	LogoffDate                     Time         `json:"logoffDate"`
	LogonDate                      Time         `json:"logonDate"`
	ShipType                       *esiType     `json:"shipType,omitempty"`
	StartDate                      Time         `json:"startDate"`
	MissingCharacterMailSentDate   Time         `json:"missingCharacterMailSentDate"`
	MissingCharacterMailSentResult *string      `json:"missingCharacterMailSentResult"`
	MissingCharacterMailSentNumber int          `json:"missingCharacterMailSentNumber"`
}

// esiLocation is Neucore's EsiLocation.
type esiLocation struct {
	ID       int64   `json:"id"`
	Category string  `json:"category"`
	Name     *string `json:"name"`
}

// esiType is Neucore's EsiType.
type esiType struct {
	ID   int64   `json:"id"`
	Name *string `json:"name"`
}

// memberTracking is memberTrackingV1: the members of a corporation from its
// member tracking data, filtered by the query (inactive, active: days;
// account: true or false), most recent logon first. As Neucore, it reads
// the query with PHP's (int) and string comparisons, so no query is ever
// refused, and a corporation without tracking data (unknown, or not a
// number) is an empty list.
func (api *API) memberTracking(w http.ResponseWriter, r *http.Request, _ *App) {
	q := r.URL.Query()
	f := tracking.Filter{InactiveDays: int(min(max(phpInt(q.Get("inactive")), 0), 1<<20)),
		ActiveDays: int(min(max(phpInt(q.Get("active")), 0), 1<<20))}
	if a := q.Get("account"); a == "true" || a == "false" {
		f.Account = a
	}
	corp := phpInt(r.PathValue("id"))
	out := []corporationMember{}
	if corp > 0 && corp <= 1<<31-1 {
		ms, err := tracking.Members(r.Context(), api.db, int32(corp), f, time.Now())
		if err != nil {
			api.internal(w, r, err)
			return
		}
		for _, m := range ms {
			out = append(out, memberJSON(m))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func memberJSON(m tracking.Member) corporationMember {
	c := corporationMember{ID: int64(m.CharacterID), LogoffDate: TimePtr(m.LogoffAt), LogonDate: TimePtr(m.LogonAt),
		StartDate: TimePtr(m.StartDate)}
	if m.Name != "" {
		c.Name = &m.Name
	}
	if m.LocationID != 0 {
		c.Location = &esiLocation{ID: m.LocationID, Category: tracking.LocationCategory(m.LocationID)}
		if m.LocationName != "" {
			c.Location.Name = &m.LocationName
		}
	}
	if m.ShipTypeID != 0 {
		c.ShipType = &esiType{ID: int64(m.ShipTypeID)}
		if m.ShipTypeName != "" {
			c.ShipType.Name = &m.ShipTypeName
		}
	}
	return c
}
