package sso

import (
	"fmt"
	"slices"
)

// IssueRefreshToken gives a refresh token of a character for a client, as
// if the player had logged in with those scopes, without the authorization
// flow or the signing of an access token: benchmarks seed many tokens this
// way, and then measure what refreshing them costs.
func (s *Server) IssueRefreshToken(clientID string, characterID int32, scopes []string) (string, error) {
	if _, ok := s.clients[clientID]; !ok {
		return "", fmt.Errorf("%w: unknown client %q", ErrConfig, clientID)
	}
	c, err := s.u.Character(characterID)
	if err != nil {
		return "", err
	}
	if c.Biomassed {
		return "", fmt.Errorf("sso simulator: character %d is biomassed and cannot log in", characterID)
	}
	refresh := randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh[hashSecret(refresh)] = refreshGrant{clientID: clientID, character: c.ID, scopes: slices.Clone(scopes), generation: c.TokenGeneration}
	return refresh, nil
}
