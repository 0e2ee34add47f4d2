package appapi

import (
	"encoding/json"
	"net/http"
	"time"
)

// The JSON shapes of Neucore's Application API (its entities'
// jsonSerialize), field for field, so that clients generated from its spec
// read Keepstar's answers unchanged. Pointers are the fields Neucore gives
// as null.

// dateFormat is Neucore's Api::DATE_FORMAT: UTC, seconds, a literal Z.
const dateFormat = "2006-01-02T15:04:05Z"

// Time is a date as Neucore writes it, or null.
type Time struct{ t *time.Time }

// TimeOf makes a Time; the zero time is null.
func TimeOf(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{&t}
}

// TimePtr makes a Time of a nullable column.
func TimePtr(t *time.Time) Time {
	if t == nil {
		return Time{}
	}
	return TimeOf(*t)
}

func (t Time) MarshalJSON() ([]byte, error) {
	if t.t == nil {
		return []byte("null"), nil
	}
	return json.Marshal(t.t.UTC().Format(dateFormat))
}

// Alliance is Neucore's Alliance.
type Alliance struct {
	ID     int64   `json:"id"`
	Name   *string `json:"name"`
	Ticker *string `json:"ticker"`
}

// Corporation is Neucore's Corporation, with its alliance (null when none).
type Corporation struct {
	ID       int64     `json:"id"`
	Name     *string   `json:"name"`
	Ticker   *string   `json:"ticker"`
	Alliance *Alliance `json:"alliance"`
}

// Character is Neucore's Character in full (jsonSerialize(false, true)):
// the token fields are those of the core.default token. Its JSON is that of
// CharacterWithoutCorporation followed by the corporation.
type Character struct {
	CharacterWithoutCorporation
	Corporation *Corporation `json:"corporation"`
}

// CharacterMinimum is Neucore's Character in short (jsonSerialize(true)).
type CharacterMinimum struct {
	ID          int64        `json:"id"`
	Name        string       `json:"name"`
	Corporation *Corporation `json:"corporation,omitempty"`
}

// PlayerMinimum is Neucore's Player in short: id and name.
type PlayerMinimum struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Group is Neucore's Group. Keepstar's groups carry Alliance Auth's flags
// too; Neucore's view of them: hidden and internal groups are private, open
// ones accept applications at once, mapped groups and autogroups are
// managed automatically.
type Group struct {
	ID            int64   `json:"id"`
	Name          string  `json:"name"`
	Description   *string `json:"description"`
	Visibility    string  `json:"visibility"`
	AutoAccept    bool    `json:"autoAccept"`
	IsDefault     bool    `json:"isDefault"`
	IsAutoManaged *bool   `json:"isAutoManaged"`
}

// Visibility gives Neucore's visibility of a group with Keepstar's flags.
func Visibility(hidden, internal bool) string {
	if hidden || internal {
		return "private"
	}
	return "public"
}

// RemovedCharacter is Neucore's RemovedCharacter.
type RemovedCharacter struct {
	Player        *PlayerMinimum `json:"player"`
	CharacterID   int64          `json:"characterId"`
	CharacterName string         `json:"characterName"`
	RemovedDate   Time           `json:"removedDate"`
	Reason        string         `json:"reason"`
	DeletedBy     *PlayerMinimum `json:"deletedBy"`
	NewPlayerID   *int64         `json:"newPlayerId"`
	NewPlayerName *string        `json:"newPlayerName"`
}

// EveLogin is Neucore's EveLogin.
type EveLogin struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	ESIScopes   string   `json:"esiScopes"`
	EveRoles    []string `json:"eveRoles"`
}

// AppInfo is Neucore's App, as showV1 gives it.
type AppInfo struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Groups    []Group    `json:"groups"`
	Roles     []string   `json:"roles"`
	EveLogins []EveLogin `json:"eveLogins"`
}

// writeJSON answers with v as JSON, as Neucore's withJson does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value written is one of the types above: this cannot
		// happen short of a bug.
		http.Error(w, "cannot encode the answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
