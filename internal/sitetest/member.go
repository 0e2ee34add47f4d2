package sitetest

import (
	"context"
	"testing"
)

// Member is a player logged in to the site in a browser of their own.
type Member struct {
	Browser   *Browser
	Character int32
	Name      string
	// Corporation is the character's corporation as Keepstar recorded it
	// at the login.
	Corporation int32
	AccountID   int64
}

// NewMember logs in, in a new browser, a character of a simulated player
// account no earlier NewMember of this site used: every member is a
// Keepstar account of their own. Safe for concurrent use.
func (s *Site) NewMember(t testing.TB) *Member {
	t.Helper()
	// The pick and its record under one lock: two members at once never
	// get the same account.
	s.membersMu.Lock()
	char := s.AccountCharacters(t, 1, s.members...)[0]
	s.members = append(s.members, char)
	s.membersMu.Unlock()
	m := &Member{Browser: s.NewBrowser(t), Character: char}
	m.Browser.LogIn(t, char)
	c, err := s.Accounts().Character(context.Background(), char)
	if err != nil {
		t.Fatal(err)
	}
	m.Name, m.Corporation, m.AccountID = c.Name, c.CorporationID, c.AccountID
	return m
}

// GuestState gives the id of the Guest state, the state of every account
// no other state claims.
func (s *Site) GuestState(t testing.TB) int64 {
	t.Helper()
	var id int64
	if err := s.DB.QueryRow(context.Background(), `SELECT id FROM states WHERE guest`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// GrantGuests gives the Guest state the permissions (those it has already
// stay as they are), straight in the database: the accounts' services are
// not synced, the test does that when it needs to.
func (s *Site) GrantGuests(t testing.TB, permissions ...string) {
	t.Helper()
	guest := s.GuestState(t)
	for _, p := range permissions {
		if _, err := s.DB.Exec(context.Background(), `INSERT INTO state_permissions (state_id, permission) VALUES ($1, $2)
			ON CONFLICT (state_id, permission) DO NOTHING`, guest, p); err != nil {
			t.Fatal(err)
		}
	}
}

// RevokeGuests takes the permissions from the Guest state, as GrantGuests
// gives them: no sync.
func (s *Site) RevokeGuests(t testing.TB, permissions ...string) {
	t.Helper()
	guest := s.GuestState(t)
	for _, p := range permissions {
		if _, err := s.DB.Exec(context.Background(), `DELETE FROM state_permissions WHERE state_id = $1 AND permission = $2`,
			guest, p); err != nil {
			t.Fatal(err)
		}
	}
}
