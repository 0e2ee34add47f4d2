package sessions

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Info is one of a member's sessions as their sessions page shows it.
type Info struct {
	// ID names the session in the page's forms (not its row key).
	ID          string
	CharacterID int32
	Created     time.Time
	// LastSeen is the last activity recorded, up to TouchEvery late.
	LastSeen time.Time
	Expiry   time.Time
	// Address is the client's network (see Network); Browser and System
	// come from its User-Agent; each "" when unknown.
	Address, Browser, System string
	// Current is the session of the request.
	Current bool
}

// Owners are a member's characters with their owner hashes: the sessions
// logged in with one of them, while it had that owner, are the member's.
// A session of a character since sold belongs to no one and ends at its
// next request, so it is neither listed nor the member's to end.
type Owners map[int32]string

func (o Owners) ids() []int32 {
	ids := make([]int32, 0, len(o))
	for id := range o {
		ids = append(ids, id)
	}
	return ids
}

// rows gives the live sessions of owners.
func (m *Manager) rows(ctx context.Context, owners Owners) ([]Row, error) {
	now := m.now()
	all, err := m.st.ForCharacters(ctx, owners.ids(), now, m.idleCutoff(now))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, r := range all {
		var d Data
		if json.Unmarshal(r.Data, &d) == nil && d.OwnerHash != "" && d.OwnerHash == owners[r.CharacterID] {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *Manager) currentHash(ctx context.Context) string {
	if s := from(ctx); s != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.token != "" {
			return tokenHash(s.token)
		}
	}
	return ""
}

// List gives the live sessions of a member, the oldest first.
func (m *Manager) List(ctx context.Context, owners Owners) ([]Info, error) {
	rows, err := m.rows(ctx, owners)
	if err != nil {
		return nil, err
	}
	current := m.currentHash(ctx)
	out := make([]Info, 0, len(rows))
	for _, r := range rows {
		browser, system, _ := strings.Cut(r.Agent, "/")
		out = append(out, Info{ID: publicID(r.TokenHash), CharacterID: r.CharacterID, Created: r.Created,
			LastSeen: r.LastSeen, Expiry: r.Expiry, Address: r.Address, Browser: browser, System: system,
			Current: r.TokenHash == current})
	}
	return out, nil
}

// End ends the member's session id (an Info's ID) and reports whether it
// was one of theirs, and whether it was the request's own, which it ends as
// Destroy does.
func (m *Manager) End(ctx context.Context, owners Owners, id string) (found, current bool, err error) {
	rows, err := m.rows(ctx, owners)
	if err != nil {
		return false, false, err
	}
	for _, r := range rows {
		if publicID(r.TokenHash) != id {
			continue
		}
		if r.TokenHash == m.currentHash(ctx) {
			return true, true, m.Destroy(ctx)
		}
		return true, false, m.st.DeleteHashes(ctx, []string{r.TokenHash})
	}
	return false, false, nil
}

// EndAll ends every session of the member, but the request's own when
// keepCurrent, and tells how many it ended.
func (m *Manager) EndAll(ctx context.Context, owners Owners, keepCurrent bool) (int, error) {
	rows, err := m.rows(ctx, owners)
	if err != nil {
		return 0, err
	}
	current := m.currentHash(ctx)
	var hashes []string
	n := 0
	for _, r := range rows {
		if r.TokenHash == current {
			continue
		}
		hashes = append(hashes, r.TokenHash)
	}
	if err := m.st.DeleteHashes(ctx, hashes); err != nil {
		return 0, err
	}
	n = len(hashes)
	if !keepCurrent && current != "" {
		if err := m.Destroy(ctx); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
