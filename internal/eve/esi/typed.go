package esi

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// DoomheimID is the corporation of biomassed characters.
const DoomheimID = 1000001

// Character is what Keepstar reads of GET /characters/{character_id}.
type Character struct {
	Name           string    `json:"name"`
	CorporationID  int32     `json:"corporation_id"`
	AllianceID     int32     `json:"alliance_id"`
	FactionID      int32     `json:"faction_id"`
	Birthday       time.Time `json:"birthday"`
	SecurityStatus float64   `json:"security_status"`
}

// Corporation is what Keepstar reads of GET /corporations/{corporation_id}.
type Corporation struct {
	Name        string `json:"name"`
	Ticker      string `json:"ticker"`
	AllianceID  int32  `json:"alliance_id"`
	FactionID   int32  `json:"faction_id"`
	CEOID       int32  `json:"ceo_id"`
	MemberCount int    `json:"member_count"`
	// Expires is when ESI's answer goes stale (its Expires header): not
	// part of the body.
	Expires time.Time `json:"-"`
}

// Alliance is what Keepstar reads of GET /alliances/{alliance_id}.
type Alliance struct {
	Name                  string    `json:"name"`
	Ticker                string    `json:"ticker"`
	ExecutorCorporationID int32     `json:"executor_corporation_id"`
	FactionID             int32     `json:"faction_id"`
	DateFounded           time.Time `json:"date_founded"`
	// Expires is when ESI's answer goes stale (its Expires header): not
	// part of the body.
	Expires time.Time `json:"-"`
}

// Character reads a character's public information.
func (c *Client) Character(ctx context.Context, id int32) (Character, error) {
	return getJSON[Character](ctx, c, Request{Route: "GET /characters/{character_id}", Path: "/characters/" + itoa(id)})
}

// Corporation reads a corporation's public information, with the time its
// answer expires.
func (c *Client) Corporation(ctx context.Context, id int32) (Corporation, error) {
	v, res, err := getJSONAnswer[Corporation](ctx, c, Request{Route: "GET /corporations/{corporation_id}", Path: "/corporations/" + itoa(id)})
	if err != nil {
		return v, err
	}
	v.Expires = res.Expires
	return v, nil
}

// Alliance reads an alliance's public information, with the time its answer
// expires.
func (c *Client) Alliance(ctx context.Context, id int32) (Alliance, error) {
	v, res, err := getJSONAnswer[Alliance](ctx, c, Request{Route: "GET /alliances/{alliance_id}", Path: "/alliances/" + itoa(id)})
	if err != nil {
		return v, err
	}
	v.Expires = res.Expires
	return v, nil
}

// CorporationMembers lists a corporation's members, with the token of
// characterID (a member, with esi-corporations.read_corporation_membership.v1)
// for login.
func (c *Client) CorporationMembers(ctx context.Context, corpID, characterID int32, login string) ([]int32, error) {
	return getJSON[[]int32](ctx, c, Request{Route: "GET /corporations/{corporation_id}/members",
		Path: "/corporations/" + itoa(corpID) + "/members", CharacterID: characterID, Login: login})
}

// CharacterRoles lists a character's corporation roles, with an access
// token in hand (esi-characters.read_corporation_roles.v1).
func (c *Client) CharacterRoles(ctx context.Context, characterID int32, accessToken string) ([]string, error) {
	r, err := getJSON[struct {
		Roles []string `json:"roles"`
	}](ctx, c, Request{Route: "GET /characters/{character_id}/roles", Path: "/characters/" + itoa(characterID) + "/roles",
		CharacterID: characterID, AccessToken: accessToken})
	return r.Roles, err
}

func getJSON[T any](ctx context.Context, c *Client, req Request) (T, error) {
	v, _, err := getJSONAnswer[T](ctx, c, req)
	return v, err
}

// getJSONAnswer decodes a GET's body and gives the answer too, for its
// headers (Expires).
func getJSONAnswer[T any](ctx context.Context, c *Client, req Request) (T, *Response, error) {
	var v T
	res, err := c.Get(ctx, req)
	if err != nil {
		return v, nil, err
	}
	if err := json.Unmarshal(res.Body, &v); err != nil {
		return v, nil, fmt.Errorf("esi: %s: decode answer: %w", req.Route, err)
	}
	return v, res, nil
}

func itoa(id int32) string { return strconv.Itoa(int(id)) }
