package esi

import (
	"context"
	"net/http"
)

// corporationTitle is an entry of the spec's CorporationsCorporationIdTitlesGet.
// The universe's titles carry no roles, so every role list is empty.
type corporationTitle struct {
	GrantableRoles        []string `json:"grantable_roles"`
	GrantableRolesAtBase  []string `json:"grantable_roles_at_base"`
	GrantableRolesAtHQ    []string `json:"grantable_roles_at_hq"`
	GrantableRolesAtOther []string `json:"grantable_roles_at_other"`
	Name                  string   `json:"name"`
	Roles                 []string `json:"roles"`
	RolesAtBase           []string `json:"roles_at_base"`
	RolesAtHQ             []string `json:"roles_at_hq"`
	RolesAtOther          []string `json:"roles_at_other"`
	TitleID               int32    `json:"title_id"`
}

// corporationTitles lists the titles of the caller's corporation (a
// Director's: the route table and authorize checked both).
func (s *Server) corporationTitles(_ context.Context, c *call) (result, error) {
	id, err := pathID(c.r, "corporation_id")
	if err != nil {
		return result{}, err
	}
	titles, err := s.u.Titles(id)
	if err != nil {
		return result{}, errNotFound("Corporation not found")
	}
	out := make([]corporationTitle, 0, len(titles))
	for _, t := range titles {
		none := []string{}
		out = append(out, corporationTitle{
			GrantableRoles: none, GrantableRolesAtBase: none, GrantableRolesAtHQ: none, GrantableRolesAtOther: none,
			Name: t.Name, Roles: none, RolesAtBase: none, RolesAtHQ: none, RolesAtOther: none, TitleID: t.ID,
		})
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(int64(id))}, nil
}

// memberTitles is an entry of the spec's CorporationsCorporationIdMembersTitlesGet.
type memberTitles struct {
	CharacterID int32   `json:"character_id"`
	Titles      []int32 `json:"titles"`
}

// corporationMemberTitles lists every member with the ids of their titles
// (an empty list for members without one).
func (s *Server) corporationMemberTitles(_ context.Context, c *call) (result, error) {
	id, m, err := s.members(c)
	if err != nil {
		return result{}, err
	}
	out := make([]memberTitles, 0, len(m))
	changed := []int64{int64(id)}
	for _, cid := range m {
		ch, err := s.u.Character(cid)
		if err != nil {
			continue // moved out between the two reads
		}
		out = append(out, memberTitles{CharacterID: cid, Titles: nonNil(ch.TitleIDs)})
		changed = append(changed, int64(cid))
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(changed...)}, nil
}

// characterTitle is an entry of the spec's CharactersCharacterIdTitlesGet.
type characterTitle struct {
	Name    string `json:"name"`
	TitleID int32  `json:"title_id"`
}

// characterTitles lists the titles the token's own character holds.
func (s *Server) characterTitles(_ context.Context, c *call) (result, error) {
	ch, err := s.findCharacter(c.r)
	if err != nil {
		return result{}, err
	}
	titles, err := s.u.Titles(ch.CorporationID)
	if err != nil {
		return result{}, errNotFound("Character not found")
	}
	out := make([]characterTitle, 0, len(ch.TitleIDs))
	for _, t := range titles {
		for _, held := range ch.TitleIDs {
			if t.ID == held {
				out = append(out, characterTitle{Name: t.Name, TitleID: t.ID})
			}
		}
	}
	return result{status: http.StatusOK, body: out, modified: s.lastChange(int64(ch.ID), int64(ch.CorporationID))}, nil
}
